using MongoDB.Bson;
using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>
/// The MongoDB store (<c>--mongo mongodb://host:27017/rawsocketchat</c>), on the official driver. docs/storage.md
/// describes the documents, the indexes and what is guaranteed where.
/// <para>
/// <b>Durability.</b> Every write waits for the configured write concern, by default a majority of the replica set
/// with the journal (<c>w: "majority", j: true</c>): when a method returns, its change survives a crash and a fail-over,
/// so the chat's <c>ack</c> still means "stored".
/// </para>
/// <para>
/// <b>Messages</b> arrive in batches from <see cref="MessageWriter"/> and are stored with one unordered
/// <c>insertMany</c>: unordered is safe because no two documents of a batch can conflict (a ref repeated within the
/// batch is resolved here first), and it lets the server write the rest of a batch past a duplicate. A duplicate
/// (user, guest flag, ref) is decided by the unique index: its duplicate-key error is caught and answered with the
/// message already stored.
/// </para>
/// <para>
/// <b>Unavailability.</b> While no server can be reached, every call fails within <see cref="MongoStoreOptions.Timeout"/>
/// with <see cref="StoreUnavailableException"/> (the chat answers <c>store_unavailable</c>); the driver reconnects by
/// itself when the server is back. Nothing was acknowledged for a failed call.
/// </para>
/// </summary>
public sealed class MongoChatStore : IChatStore
{
    private readonly MongoClient _client;
    private readonly string _where;
    private readonly IMongoCollection<UserDocument> _users;
    private readonly IMongoCollection<SessionDocument> _sessions;
    private readonly IMongoCollection<RoomDocument> _rooms;
    private readonly IMongoCollection<MessageDocument> _messages;
    private readonly IMongoCollection<SanctionDocument> _bans;
    private readonly IMongoCollection<SanctionDocument> _mutes;
    private readonly IMongoCollection<ModerationDocument> _moderationLog;
    private int _disposed;

    private MongoChatStore(MongoClient client, IMongoDatabase database, string where)
    {
        _client = client;
        Database = database;
        _where = where;
        _users = database.GetCollection<UserDocument>(MongoIndexes.Users);
        _sessions = database.GetCollection<SessionDocument>(MongoIndexes.Sessions);
        _rooms = database.GetCollection<RoomDocument>(MongoIndexes.Rooms);
        _messages = database.GetCollection<MessageDocument>(MongoIndexes.Messages);
        _bans = database.GetCollection<SanctionDocument>(MongoIndexes.Bans);
        _mutes = database.GetCollection<SanctionDocument>(MongoIndexes.Mutes);
        _moderationLog = database.GetCollection<ModerationDocument>(MongoIndexes.ModerationLog);
    }

    /// <summary>The database, with the store's write concern (for tests and tools).</summary>
    public IMongoDatabase Database { get; }

    /// <summary>
    /// Whether an append first reads which of its refs are already stored (see <see cref="AppendMessagesAsync"/>).
    /// Tests turn it off to drive the duplicate-key path of the unique index directly.
    /// </summary>
    internal bool CheckRefsBeforeInsert { get; set; } = true;

    /// <summary>
    /// Connects, checks the server answers within <see cref="MongoStoreOptions.Timeout"/>, and creates the indexes.
    /// Throws <see cref="StoreUnavailableException"/>, naming the server without its password, when it cannot.
    /// </summary>
    public static async Task<MongoChatStore> OpenAsync(MongoStoreOptions options, CancellationToken cancellationToken = default)
    {
        MongoUrl url = MongoStoreOptions.ParseConnectionString(options.ConnectionString);
        string where = MongoStoreOptions.Redact(options.ConnectionString);
        MongoClientSettings settings = MongoClientSettings.FromUrl(url);
        settings.ServerSelectionTimeout = options.Timeout;
        if (settings.ConnectTimeout > options.Timeout)
            settings.ConnectTimeout = options.Timeout;
        settings.WriteConcern = options.WriteConcern;
        settings.ReadPreference = ReadPreference.Primary;
        settings.ApplicationName ??= "RawSocketChat";

        var client = new MongoClient(settings);
        try
        {
            IMongoDatabase database = client.GetDatabase(options.DatabaseName)
                .WithWriteConcern(options.WriteConcern)
                .WithReadPreference(ReadPreference.Primary);
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                // Server selection gives up after Timeout; the token bounds the rest (a server that accepts the
                // connection and then says nothing).
                timeout.CancelAfter(options.Timeout + options.Timeout);
                try
                {
                    await database.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: timeout.Token);
                    await MongoIndexes.EnsureAsync(database, timeout.Token, options.CreateTtlIndexes);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"no answer within {options.Timeout.TotalSeconds:0.###}s");
                }
            }
            return new MongoChatStore(client, database, where);
        }
        catch (Exception e) when (MongoErrors.IsUnavailable(e))
        {
            string reason = MongoErrors.Describe(e, client); // before Dispose: it reads the driver's view of the servers
            client.Dispose();
            throw new StoreUnavailableException($"cannot reach MongoDB at {where} within {options.Timeout.TotalSeconds:0.###}s: {reason}", e);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    // ---- Users ----

    public Task<bool> CreateUserAsync(UserRecord user, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        var document = new UserDocument
        {
            Id = ObjectId.GenerateNewId(),
            Name = user.Name,
            NameKey = MongoQueries.Key(user.Name),
            PasswordHash = user.PasswordHash,
            Color = user.Color,
            Role = user.Role.ToWire(),
            CreatedAt = MongoQueries.Utc(user.CreatedAt),
        };
        try
        {
            UpdateResult result = await _users.UpdateOneAsync(MongoQueries.UserByName(user.Name), MongoQueries.InsertUser(document),
                new UpdateOptions { IsUpsert = true }, cancellationToken);
            return result.UpsertedId is not null;
        }
        catch (MongoWriteException e) when (e.WriteError?.Category == ServerErrorCategory.DuplicateKey)
        {
            return false; // another server registered the same name at the same moment; the index chose it
        }
    });

    public Task<UserRecord?> FindUserAsync(string name, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        UserDocument? user = await _users.Find(MongoQueries.UserByName(name)).FirstOrDefaultAsync(cancellationToken);
        return user is null ? null : new UserRecord(user.Name, user.PasswordHash, user.Color, RoleNames.Parse(user.Role), user.CreatedAt);
    });

    public Task<bool> SetUserRoleAsync(string name, Role role, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        UpdateResult result = await _users.UpdateOneAsync(MongoQueries.UserByName(name), MongoQueries.SetRole(role), cancellationToken: cancellationToken);
        return result.MatchedCount == 1;
    });

    // ---- Sessions ----

    public Task CreateSessionAsync(SessionRecord session, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        await _sessions.InsertOneAsync(new SessionDocument
        {
            Id = ObjectId.GenerateNewId(),
            TokenHash = session.TokenHash,
            UserKey = MongoQueries.Key(session.UserName),
            CreatedAt = MongoQueries.Utc(session.CreatedAt),
            ExpiresAt = MongoQueries.Utc(session.ExpiresAt),
        }, cancellationToken: cancellationToken);
    });

    public Task<SessionRecord?> FindSessionAsync(byte[] tokenHash, DateTime now, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        SessionDocument? session = await _sessions.Find(MongoQueries.LiveSession(tokenHash, now)).FirstOrDefaultAsync(cancellationToken);
        if (session is null)
            return null;
        // The account's spelling of the name, and no session for an account that is gone.
        UserDocument? user = await _users.Find(MongoQueries.UserByName(session.UserKey)).FirstOrDefaultAsync(cancellationToken);
        return user is null ? null : new SessionRecord(session.TokenHash, user.Name, session.CreatedAt, session.ExpiresAt);
    });

    public Task<bool> DeleteSessionAsync(byte[] tokenHash, CancellationToken cancellationToken = default) => Guard(async () =>
        (await _sessions.DeleteOneAsync(MongoQueries.SessionByHash(tokenHash), cancellationToken)).DeletedCount == 1);

    public Task<int> DeleteExpiredSessionsAsync(DateTime now, CancellationToken cancellationToken = default) => Guard(async () =>
        (int)(await _sessions.DeleteManyAsync(MongoQueries.ExpiredSessions(now), cancellationToken)).DeletedCount);

    // ---- Rooms ----

    public Task<bool> CreateRoomAsync(RoomRecord room, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        var document = new RoomDocument
        {
            Id = ObjectId.GenerateNewId(),
            Name = room.Name,
            NameKey = MongoQueries.Key(room.Name),
            CreatedBy = room.CreatedBy,
            CreatedAt = MongoQueries.Utc(room.CreatedAt),
        };
        try
        {
            UpdateResult result = await _rooms.UpdateOneAsync(MongoQueries.RoomByName(room.Name), MongoQueries.InsertRoom(document),
                new UpdateOptions { IsUpsert = true }, cancellationToken);
            return result.UpsertedId is not null;
        }
        catch (MongoWriteException e) when (e.WriteError?.Category == ServerErrorCategory.DuplicateKey)
        {
            return false;
        }
    });

    public Task<RoomRecord?> FindRoomAsync(string name, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        RoomDocument? room = await _rooms.Find(MongoQueries.RoomByName(name)).FirstOrDefaultAsync(cancellationToken);
        return room is null ? null : ToRecord(room);
    });

    public Task<IReadOnlyList<RoomRecord>> ListRoomsAsync(CancellationToken cancellationToken = default) => Guard<IReadOnlyList<RoomRecord>>(async () =>
    {
        List<RoomDocument> rooms = await _rooms.Find(MongoQueries.AllRooms).Sort(MongoQueries.ByRoomName).ToListAsync(cancellationToken);
        return rooms.Select(ToRecord).ToList();
    });

    public Task<bool> AddRoomMemberAsync(string room, string user, DateTime joinedAt, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        // One conditional update of one document: atomic, so two joins at once add one membership.
        UpdateResult result = await _users.UpdateOneAsync(MongoQueries.UserNotInRoom(user, room), MongoQueries.AddMembership(room, joinedAt),
            cancellationToken: cancellationToken);
        return result.ModifiedCount == 1;
    });

    public Task<bool> RemoveRoomMemberAsync(string room, string user, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        UpdateResult result = await _users.UpdateOneAsync(MongoQueries.UserInRoom(user, room), MongoQueries.RemoveMembership(room),
            cancellationToken: cancellationToken);
        return result.ModifiedCount == 1;
    });

    public Task<IReadOnlyList<RoomMemberRecord>> ListRoomMembersAsync(string room, CancellationToken cancellationToken = default) => Guard<IReadOnlyList<RoomMemberRecord>>(async () =>
    {
        List<UserDocument> members = await _users.Find(MongoQueries.MembersOf(room)).Sort(MongoQueries.ByUserName)
            .Project<UserDocument>(MongoQueries.MemberFields).ToListAsync(cancellationToken);
        return members.Select(m => new RoomMemberRecord(m.Name, m.Color, RoleNames.Parse(m.Role))).ToList();
    });

    // ---- Messages ----

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
                    results[index] = new AppendResult(ToRecord(document), Duplicate: true);
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
                    results[i] = new AppendResult(ToRecord(stored), Duplicate: true);
                }
            }
            foreach (int i in toInsert)
                results[i] ??= new AppendResult(messages[i] with { Timestamp = Truncate(messages[i].Timestamp), EditedAt = null, DeletedAt = null, DeletedByModerator = null }, Duplicate: false);
        }

        foreach ((int index, int of) in repeats)
            results[index] = new AppendResult(results[of]!.Value.Stored, Duplicate: true);
        return results.Select(r => r!.Value).ToArray();
    }

    public Task<IReadOnlyList<MessageRecord>> GetMessagesAsync(string room, string? beforeId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ObjectId? before = null;
        if (beforeId is not null)
        {
            if (!TryParseId(beforeId, out ObjectId parsed))
                throw new ArgumentException($"'{beforeId}' is not a message id", nameof(beforeId));
            before = parsed;
        }
        if (limit == 0)
            return Task.FromResult<IReadOnlyList<MessageRecord>>([]); // MongoDB reads limit 0 as "no limit"
        return Guard<IReadOnlyList<MessageRecord>>(async () =>
        {
            List<MessageDocument> page = await _messages.Find(MongoQueries.History(room, before)).Sort(MongoQueries.NewestFirst)
                .Limit(limit).ToListAsync(cancellationToken);
            page.Reverse(); // newest-first from the index, oldest-first for the caller
            return page.Select(ToRecord).ToList();
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
            return message is null ? null : ToRecord(message);
        });
    }

    public Task<MessageRecord?> EditMessageAsync(string id, string text, DateTime editedAt, CancellationToken cancellationToken = default) =>
        UpdateLiveMessageAsync(id, MongoQueries.Edit(text, editedAt), cancellationToken);

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
            return message is null ? null : ToRecord(message);
        });
    }

    // ---- Moderation ----

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
        ObjectId? before = null;
        if (beforeId is not null)
        {
            if (!TryParseId(beforeId, out ObjectId parsed))
                throw new ArgumentException($"'{beforeId}' is not a 24-hex id", nameof(beforeId));
            before = parsed;
        }
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

    // ---- Statistics ----

    /// <summary>Grouping every message may exceed the 100 MB a pipeline stage gets in memory: let it spill to disk.</summary>
    private static readonly AggregateOptions StatisticsOptions = new() { AllowDiskUse = true };

    public Task<long> CountUsersAsync(CancellationToken cancellationToken = default) => Guard(() =>
        _users.CountDocumentsAsync(MongoQueries.AllUsers, cancellationToken: cancellationToken));

    public Task<IReadOnlyList<RoomMessageCount>> CountMessagesPerRoomAsync(CancellationToken cancellationToken = default) =>
        Guard<IReadOnlyList<RoomMessageCount>>(async () =>
        {
            List<MessageCountDocument> rows = await (await _messages.AggregateAsync(MongoQueries.MessagesPerRoom(), StatisticsOptions, cancellationToken))
                .ToListAsync(cancellationToken);
            return rows.Select(r => new RoomMessageCount(r.Name, r.Count)).ToList();
        });

    public Task<IReadOnlyList<UserMessageCount>> CountMessagesPerUserAsync(int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
            return Task.FromResult<IReadOnlyList<UserMessageCount>>([]); // $limit must be positive
        return Guard<IReadOnlyList<UserMessageCount>>(async () =>
        {
            List<MessageCountDocument> rows = await (await _messages.AggregateAsync(MongoQueries.MessagesPerUser(limit), StatisticsOptions, cancellationToken))
                .ToListAsync(cancellationToken);
            return rows.Select(r => new UserMessageCount(r.Name, r.Guest, r.Count)).ToList();
        });
    }

    public Task<IReadOnlyList<RoomUserMessageCount>> CountMessagesPerRoomAndUserAsync(IReadOnlyCollection<string> rooms, int limit,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        List<string> ordered = rooms.DistinctBy(MongoQueries.Key).OrderBy(MongoQueries.Key, StringComparer.Ordinal).ToList();
        if (ordered.Count == 0 || limit == 0)
            return Task.FromResult<IReadOnlyList<RoomUserMessageCount>>([]); // $limit must be positive
        return Guard<IReadOnlyList<RoomUserMessageCount>>(async () =>
        {
            // One small pipeline per room (MongoQueries.MessagesPerUserInRoom says why); the service asks for a few rooms.
            var counts = new List<RoomUserMessageCount>();
            foreach (string room in ordered)
            {
                List<MessageCountDocument> rows = await (await _messages.AggregateAsync(MongoQueries.MessagesPerUserInRoom(room, limit),
                    StatisticsOptions, cancellationToken)).ToListAsync(cancellationToken);
                counts.AddRange(rows.Select(r => new RoomUserMessageCount(room, r.Name, r.Guest, r.Count)));
            }
            return counts;
        });
    }

    public Task<IReadOnlyList<HourMessageCount>> CountMessagesPerHourAsync(DateTime from, DateTime to, CancellationToken cancellationToken = default) =>
        Guard<IReadOnlyList<HourMessageCount>>(async () =>
        {
            List<HourCountDocument> rows = await (await _messages.AggregateAsync(MongoQueries.MessagesPerHour(from, to), StatisticsOptions, cancellationToken))
                .ToListAsync(cancellationToken);
            return rows.Select(r => new HourMessageCount(r.Hour, r.Count)).ToList();
        });

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _client.Dispose();
        return ValueTask.CompletedTask;
    }

    // ---- Plumbing ----

    private Task Guard(Func<Task> work) => Guard(async () =>
    {
        await work();
        return true;
    });

    /// <summary>Runs one store call, turning "cannot reach the database" into <see cref="StoreUnavailableException"/>.</summary>
    private async Task<T> Guard<T>(Func<Task<T>> work)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            return await work();
        }
        catch (Exception e) when (MongoErrors.IsUnavailable(e))
        {
            throw new StoreUnavailableException($"MongoDB at {_where} is unavailable: {MongoErrors.Describe(e, _client)}", e);
        }
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
    };

    internal static MessageRecord ToRecord(MessageDocument m) =>
        new(m.Id.ToString(), m.Room, m.User, m.Color, m.Text, m.Timestamp, m.Ref, m.Guest, m.EditedAt, m.DeletedAt, m.DeletedByModerator);

    /// <summary>Ids are 24 lower-case hex digits (<see cref="MessageIdGenerator.IsValid"/>); anything else names nothing.</summary>
    private static bool TryParseId(string id, out ObjectId objectId)
    {
        objectId = ObjectId.Empty;
        return MessageIdGenerator.IsValid(id) && ObjectId.TryParse(id, out objectId);
    }

    private static RoomRecord ToRecord(RoomDocument r) => new(r.Name, r.CreatedBy, r.CreatedAt);

    /// <summary>What a BSON date keeps: whole milliseconds, UTC.</summary>
    private static DateTime Truncate(DateTime time)
    {
        DateTime utc = MongoQueries.Utc(time);
        return new DateTime(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
    }
}
