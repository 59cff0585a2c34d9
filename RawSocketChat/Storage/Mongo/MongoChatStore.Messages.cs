using MongoDB.Bson;
using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>
/// Messages: the batched append with its idempotent refs, history pages, and edits and deletes (a deleted message
/// stays as a tombstone); at the end, the mapping between a message and its document.
/// <para>
/// <b>Appending.</b> Messages arrive in batches from <see cref="MessageWriter"/> and are stored with one unordered
/// <c>insertMany</c>: unordered is safe because no two documents of a batch can conflict (a ref repeated within the
/// batch is resolved here first), and it lets the server write the rest of a batch past a duplicate. A duplicate
/// (user, guest flag, ref) is decided by the unique index: its duplicate-key error is caught and answered with the
/// message already stored.
/// </para>
/// </summary>
public sealed partial class MongoChatStore
{
    /// <summary>
    /// Whether an append first reads which of its refs are already stored (see <see cref="AppendMessagesAsync"/>).
    /// Tests turn it off to drive the duplicate-key path of the unique index directly.
    /// </summary>
    internal bool CheckRefsBeforeInsert { get; set; } = true;

    public Task<IReadOnlyList<AppendResult>> AppendMessagesAsync(IReadOnlyList<MessageRecord> messages, CancellationToken cancellationToken = default)
    {
        if (messages.Count == 0)
            return Task.FromResult<IReadOnlyList<AppendResult>>([]);
        return Guard<IReadOnlyList<AppendResult>>(() => AppendAsync(messages, cancellationToken));
    }

    private async Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<MessageRecord> messages, CancellationToken cancellationToken)
    {
        var results = new AppendResult?[messages.Count];
        // A ref repeated within the batch: the later ones are duplicates of the first, resolved after the insert.
        var firstWithRef = new Dictionary<MongoQueries.RefKey, int>();
        var repeats = new List<(int Index, int Of)>();
        var candidates = new List<int>(messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            if (MongoQueries.RefOf(messages[i]) is { } key)
            {
                if (firstWithRef.TryGetValue(key, out int first))
                {
                    repeats.Add((i, first));
                    continue;
                }
                firstWithRef.Add(key, i);
            }
            candidates.Add(i);
        }

        // Refs stored by earlier batches. Only this server's MessageWriter appends, one batch at a time, so for one
        // chat server this read is exact even where unique indexes are not enforced (the in-memory test server);
        // between servers the unique index below is what decides, and a race lost there is caught as a duplicate key.
        if (firstWithRef.Count > 0 && CheckRefsBeforeInsert)
        {
            List<MessageDocument> stored = await _messages.Find(MongoQueries.ByRefs(firstWithRef.Keys)).ToListAsync(cancellationToken);
            foreach (MessageDocument document in stored)
            {
                if (document.Ref is not null
                    && firstWithRef.TryGetValue(new MongoQueries.RefKey(document.UserKey, document.Guest, document.Ref), out int index)
                    && results[index] is null)
                {
                    results[index] = new AppendResult((await CompleteAsync([document], cancellationToken))[0], Duplicate: true);
                }
            }
        }

        List<int> toInsert = candidates.Where(i => results[i] is null).ToList();
        if (toInsert.Count > 0)
        {
            List<MessageDocument> documents = toInsert.Select(i => ToDocument(messages[i])).ToList();
            try
            {
                await _messages.InsertManyAsync(documents, new InsertManyOptions { IsOrdered = false }, cancellationToken);
            }
            catch (MongoBulkWriteException<MessageDocument> e) when (e.WriteConcernError is null
                && e.WriteErrors.Count > 0 && e.WriteErrors.All(w => w.Category == ServerErrorCategory.DuplicateKey))
            {
                // Lost a race on the ref index to another server (or a retry of the same send): the index kept the
                // first; answer with it. Every other document of the batch was inserted (unordered).
                foreach (BulkWriteError error in e.WriteErrors)
                {
                    int i = toInsert[error.Index];
                    if (MongoQueries.RefOf(messages[i]) is not { } key)
                        throw; // a duplicate _id: not a retry we can resolve
                    MessageDocument? stored = await _messages.Find(MongoQueries.ByRef(key)).FirstOrDefaultAsync(cancellationToken);
                    if (stored is null)
                        throw;
                    results[i] = new AppendResult((await CompleteAsync([stored], cancellationToken))[0], Duplicate: true);
                }
            }
            foreach (int i in toInsert)
                results[i] ??= new AppendResult(messages[i] with { Timestamp = Truncate(messages[i].Timestamp), EditedAt = null, DeletedAt = null, DeletedByModerator = null, Reactions = null }, Duplicate: false);
        }

        foreach ((int index, int of) in repeats)
            results[index] = new AppendResult(results[of]!.Value.Stored, Duplicate: true);
        return results.Select(r => r!.Value).ToArray();
    }

    public Task<IReadOnlyList<MessageRecord>> GetMessagesAsync(string room, string? beforeId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ObjectId? before = ParseBound(beforeId, nameof(beforeId));
        if (limit == 0)
            return Task.FromResult<IReadOnlyList<MessageRecord>>([]); // MongoDB reads limit 0 as "no limit"
        return Guard<IReadOnlyList<MessageRecord>>(async () =>
        {
            List<MessageDocument> page = await _messages.Find(MongoQueries.History(room, before)).Sort(MongoQueries.NewestFirst)
                .Limit(limit).ToListAsync(cancellationToken);
            page.Reverse(); // newest-first from the index, oldest-first for the caller
            return await CompleteAsync(page, cancellationToken);
        });
    }

    public Task<string?> GetLatestMessageIdAsync(CancellationToken cancellationToken = default) => Guard(async () =>
    {
        MessageDocument? latest = await _messages.Find(MongoQueries.AllMessages).Sort(MongoQueries.NewestFirst)
            .Project<MessageDocument>(MongoQueries.IdOnly).Limit(1).FirstOrDefaultAsync(cancellationToken);
        return latest?.Id.ToString();
    });

    public Task<MessageRecord?> FindMessageAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!TryParseId(id, out ObjectId objectId))
            return Task.FromResult<MessageRecord?>(null);
        return Guard(async () =>
        {
            MessageDocument? message = await _messages.Find(MongoQueries.MessageById(objectId)).FirstOrDefaultAsync(cancellationToken);
            return message is null ? null : (await CompleteAsync([message], cancellationToken))[0];
        });
    }

    public Task<MessageRecord?> EditMessageAsync(string id, string text, DateTime editedAt, MessageMentions? mentions = null, CancellationToken cancellationToken = default) =>
        UpdateLiveMessageAsync(id, MongoQueries.Edit(text, editedAt, mentions), cancellationToken);

    public Task<MessageRecord?> DeleteMessageAsync(string id, DateTime deletedAt, string? moderator = null, CancellationToken cancellationToken = default) =>
        UpdateLiveMessageAsync(id, MongoQueries.Delete(deletedAt, moderator), cancellationToken);

    /// <summary>One findAndModify: the change and the message as it is afterwards, atomically; null for a tombstone.</summary>
    private Task<MessageRecord?> UpdateLiveMessageAsync(string id, UpdateDefinition<MessageDocument> update, CancellationToken cancellationToken)
    {
        if (!TryParseId(id, out ObjectId objectId))
            return Task.FromResult<MessageRecord?>(null);
        return Guard(async () =>
        {
            MessageDocument? message = await _messages.FindOneAndUpdateAsync(MongoQueries.LiveMessage(objectId), update,
                new FindOneAndUpdateOptions<MessageDocument> { ReturnDocument = ReturnDocument.After }, cancellationToken);
            return message is null ? null : (await CompleteAsync([message], cancellationToken))[0];
        });
    }

    internal static MessageDocument ToDocument(MessageRecord m) => new()
    {
        Id = ObjectId.Parse(m.Id),
        Room = m.Room,
        RoomKey = MongoQueries.Key(m.Room),
        User = m.User,
        UserKey = MongoQueries.Key(m.User),
        Guest = m.Guest,
        Color = m.Color,
        Text = m.Text,
        Timestamp = MongoQueries.Utc(m.Timestamp),
        Ref = m.Ref,
        ReplyTo = m.ReplyTo is null ? null : ObjectId.Parse(m.ReplyTo),
        Mentions = m.Mentions?.Users.ToList(),
        MentionsRoom = m.Mentions?.Room ?? false,
        MentionKeys = m.Mentions is null ? null : MongoQueries.MentionKeys(m.Mentions),
        Words = SearchText.DistinctWords(m.Text),
    };

    internal static MessageRecord ToRecord(MessageDocument m) =>
        new(m.Id.ToString(), m.Room, m.User, m.Color, m.Text, m.Timestamp, m.Ref, m.Guest, m.EditedAt, m.DeletedAt, m.DeletedByModerator,
            m.Reactions is { Count: > 0 } reactions ? MessageReactions.Group(reactions.Select(r => (r.Emoji, r.User))) : null,
            m.ReplyTo?.ToString(),
            Mentions: m.Mentions is not null || m.MentionsRoom ? new MessageMentions(m.Mentions ?? [], m.MentionsRoom) : null);

    /// <summary>
    /// The records of <paramref name="documents"/>, each reply with its parent as it is now: one query for all the
    /// parents of a page (a page without replies costs none).
    /// </summary>
    private async Task<List<MessageRecord>> CompleteAsync(IReadOnlyList<MessageDocument> documents, CancellationToken cancellationToken)
    {
        List<MessageRecord> records = documents.Select(ToRecord).ToList();
        ObjectId[] parentIds = documents.Where(d => d.ReplyTo is not null).Select(d => d.ReplyTo!.Value).Distinct().ToArray();
        if (parentIds.Length == 0)
            return records;
        List<MessageDocument> parents = await _messages.Find(MongoQueries.MessagesByIds(parentIds)).Project<MessageDocument>(MongoQueries.QuoteFields)
            .ToListAsync(cancellationToken);
        Dictionary<string, ReplyParent> byId = parents.ToDictionary(p => p.Id.ToString(), p => new ReplyParent(p.Id.ToString(), p.User, p.Text, p.DeletedAt is not null));
        return records.Select(r => r.ReplyTo is { } parent ? r with { Parent = byId.GetValueOrDefault(parent) } : r).ToList();
    }

    /// <summary>What a BSON date keeps: whole milliseconds, UTC.</summary>
    private static DateTime Truncate(DateTime time)
    {
        DateTime utc = MongoQueries.Utc(time);
        return new DateTime(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
    }
}
