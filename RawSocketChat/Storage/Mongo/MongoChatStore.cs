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
/// <b>Unavailability.</b> While no server can be reached, every call fails within <see cref="MongoStoreOptions.Timeout"/>
/// with <see cref="StoreUnavailableException"/> (the chat answers <c>store_unavailable</c>); the driver reconnects by
/// itself when the server is back. Nothing was acknowledged for a failed call.
/// </para>
/// <para>
/// <b>Files.</b> This file is the connection: opening it (ping, indexes), the collections, disposal, and
/// <c>Guard</c>, which every call goes through. Each area of <see cref="IChatStore"/> has a file of its own, named as
/// <see cref="SqliteChatStore"/>'s are: <c>MongoChatStore.Accounts.cs</c> (users, sessions), <c>.Rooms.cs</c> (rooms,
/// memberships), <c>.Messages.cs</c>, <c>.Reactions.cs</c>, <c>.Reading.cs</c>, <c>.Search.cs</c>, <c>.Moderation.cs</c> (bans, mutes, the log) and <c>.Stats.cs</c>. The filters,
/// updates and pipelines they send are in <see cref="MongoQueries"/>, the documents in <c>MongoDocuments.cs</c>, the
/// indexes in <see cref="MongoIndexes"/>.
/// </para>
/// </summary>
public sealed partial class MongoChatStore : IChatStore
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
    private readonly IMongoCollection<ReadPositionDocument> _readPositions;
    private readonly IMongoCollection<RetiredNameDocument> _retiredNames;
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
        _readPositions = database.GetCollection<ReadPositionDocument>(MongoIndexes.ReadPositions);
        _retiredNames = database.GetCollection<RetiredNameDocument>(MongoIndexes.RetiredNames);
    }

    /// <summary>The database, with the store's write concern (for tests and tools).</summary>
    public IMongoDatabase Database { get; }

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
            // Outside the time limit: on a large database it takes as long as the messages it has to read.
            await BackfillWordsAsync(database, cancellationToken);
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

    /// <summary>
    /// An optional id that bounds a read (a page's <c>before</c>, an unread count's <c>after</c>): null for none. One that
    /// is not an id is the caller's mistake, not "nothing there".
    /// </summary>
    private static ObjectId? ParseBound(string? id, string parameter) =>
        id is null ? null
        : TryParseId(id, out ObjectId parsed) ? parsed
        : throw new ArgumentException($"'{id}' is not a 24-hex id", parameter);

    /// <summary>Ids are 24 lower-case hex digits (<see cref="MessageIdGenerator.IsValid"/>); anything else names nothing.</summary>
    private static bool TryParseId(string id, out ObjectId objectId)
    {
        objectId = ObjectId.Empty;
        return MessageIdGenerator.IsValid(id) && ObjectId.TryParse(id, out objectId);
    }
}
