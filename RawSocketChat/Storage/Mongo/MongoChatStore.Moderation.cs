using MongoDB.Bson;
using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>
/// Moderation: bans and mutes, which have the same shape in two collections and share one pair of helpers, and the
/// moderation log, appended to and paged like history.
/// </summary>
public sealed partial class MongoChatStore
{
    public Task SetBanAsync(BanRecord ban, CancellationToken cancellationToken = default) =>
        SetSanctionAsync(_bans, ban.Name, ban.By, ban.Reason, ban.CreatedAt, ban.ExpiresAt, cancellationToken);

    public Task<bool> RemoveBanAsync(string name, DateTime now, CancellationToken cancellationToken = default) =>
        RemoveSanctionAsync(_bans, name, now, cancellationToken);

    public Task<IReadOnlyList<BanRecord>> ListBansAsync(DateTime now, CancellationToken cancellationToken = default) => Guard<IReadOnlyList<BanRecord>>(async () =>
    {
        List<SanctionDocument> bans = await _bans.Find(MongoQueries.SanctionsInForce(now)).Sort(MongoQueries.BySanctionName).ToListAsync(cancellationToken);
        return bans.Select(b => new BanRecord(b.Name, b.By, b.Reason, b.CreatedAt, b.ExpiresAt)).ToList();
    });

    public Task SetMuteAsync(MuteRecord mute, CancellationToken cancellationToken = default) =>
        SetSanctionAsync(_mutes, mute.Name, mute.By, mute.Reason, mute.CreatedAt, mute.ExpiresAt, cancellationToken);

    public Task<bool> RemoveMuteAsync(string name, DateTime now, CancellationToken cancellationToken = default) =>
        RemoveSanctionAsync(_mutes, name, now, cancellationToken);

    public Task<IReadOnlyList<MuteRecord>> ListMutesAsync(DateTime now, CancellationToken cancellationToken = default) => Guard<IReadOnlyList<MuteRecord>>(async () =>
    {
        List<SanctionDocument> mutes = await _mutes.Find(MongoQueries.SanctionsInForce(now)).Sort(MongoQueries.BySanctionName).ToListAsync(cancellationToken);
        return mutes.Select(m => new MuteRecord(m.Name, m.By, m.Reason, m.CreatedAt, m.ExpiresAt ?? DateTime.MaxValue)).ToList();
    });

    private Task SetSanctionAsync(IMongoCollection<SanctionDocument> collection, string name, string by, string? reason, DateTime createdAt,
        DateTime? expiresAt, CancellationToken cancellationToken) => Guard(async () =>
    {
        var sanction = new SanctionDocument
        {
            Id = ObjectId.GenerateNewId(),
            Name = name,
            NameKey = MongoQueries.Key(name),
            By = by,
            Reason = reason,
            CreatedAt = createdAt,
            ExpiresAt = expiresAt,
        };
        try
        {
            await collection.UpdateOneAsync(MongoQueries.SanctionOf(name), MongoQueries.SetSanction(sanction), new UpdateOptions { IsUpsert = true }, cancellationToken);
        }
        catch (MongoWriteException e) when (e.WriteError?.Category == ServerErrorCategory.DuplicateKey)
        {
            // Two servers inserted the first sanction of this name at once and the index kept the other one: the
            // document exists now, so the same upsert updates it.
            await collection.UpdateOneAsync(MongoQueries.SanctionOf(name), MongoQueries.SetSanction(sanction), new UpdateOptions { IsUpsert = true }, cancellationToken);
        }
    });

    private Task<bool> RemoveSanctionAsync(IMongoCollection<SanctionDocument> collection, string name, DateTime now, CancellationToken cancellationToken) => Guard(async () =>
    {
        // An expired one is removed too, but does not count: it was no longer in force.
        SanctionDocument? removed = await collection.FindOneAndDeleteAsync(MongoQueries.SanctionOf(name), cancellationToken: cancellationToken);
        return removed is not null && (removed.ExpiresAt is null || removed.ExpiresAt > MongoQueries.Utc(now));
    });

    public Task AppendModerationAsync(ModerationRecord entry, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        if (!TryParseId(entry.Id, out ObjectId id))
            throw new ArgumentException($"'{entry.Id}' is not a 24-hex id", nameof(entry));
        await _moderationLog.InsertOneAsync(new ModerationDocument
        {
            Id = id,
            Timestamp = MongoQueries.Utc(entry.Timestamp),
            Action = entry.Action,
            Actor = entry.Actor,
            Target = entry.Target,
            Room = entry.Room,
            MessageId = entry.MessageId,
            ExpiresAt = entry.ExpiresAt is { } expires ? MongoQueries.Utc(expires) : null,
            Reason = entry.Reason,
        }, cancellationToken: cancellationToken);
    });

    public Task<IReadOnlyList<ModerationRecord>> GetModerationLogAsync(string? beforeId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ObjectId? before = ParseBound(beforeId, nameof(beforeId));
        if (limit == 0)
            return Task.FromResult<IReadOnlyList<ModerationRecord>>([]);
        return Guard<IReadOnlyList<ModerationRecord>>(async () =>
        {
            List<ModerationDocument> page = await _moderationLog.Find(MongoQueries.ModerationLog(before)).Sort(MongoQueries.NewestEntryFirst)
                .Limit(limit).ToListAsync(cancellationToken);
            page.Reverse();
            return page.Select(e => new ModerationRecord(e.Id.ToString(), e.Timestamp, e.Action, e.Actor, e.Target, e.Room, e.MessageId, e.ExpiresAt, e.Reason)).ToList();
        });
    }
}
