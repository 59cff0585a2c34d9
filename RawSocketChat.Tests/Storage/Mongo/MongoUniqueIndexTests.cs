using MongoDB.Bson;
using MongoDB.Driver;
using RawSocketChat.Storage;
using RawSocketChat.Storage.Mongo;

namespace RawSocketChat.Tests.Storage.Mongo;

/// <summary>
/// What the unique indexes guarantee, which only a real MongoDB can show: the in-memory test server accepts unique
/// indexes but does not enforce them. These tests run when <c>RAWSOCKETCHAT_TEST_MONGODB</c> names a server and are
/// reported as skipped otherwise (filter them with <c>--filter "Requires=RealMongoDB"</c>). They cover what one chat
/// server cannot decide alone: two servers (two stores on one database) racing for the same name or the same ref,
/// and a retry that reaches the database through the duplicate-key error rather than the store's own check.
/// </summary>
[Trait(MongoTestServer.RequiresTrait, MongoTestServer.RealMongoDB)]
public sealed class MongoUniqueIndexTests : IAsyncLifetime
{
    private const string Why = "does not enforce unique indexes";
    private static readonly DateTime T0 = new(2026, 11, 27, 10, 0, 0, 123, DateTimeKind.Utc);
    private readonly string _database = MongoTestServer.NewDatabaseName();
    private string? _connectionString;
    private readonly List<MongoChatStore> _stores = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (MongoChatStore store in _stores)
            await store.DisposeAsync();
        if (_connectionString is not null)
            await MongoTestServer.DropAsync(_connectionString, _database);
    }

    /// <summary>A store of its own, as a second chat server on the same database would have.</summary>
    private async Task<MongoChatStore> ServerAsync()
    {
        _connectionString = MongoTestServer.RequireReal(Why);
        MongoChatStore store = await MongoChatStore.OpenAsync(MongoTestServer.Options(_connectionString, _database) with { CreateTtlIndexes = false });
        _stores.Add(store);
        return store;
    }

    private static string MessageId(ulong counter) => MessageIdGenerator.Format(1_795_600_000, counter);

    private static bool IsDuplicateKey(MongoWriteException e) => e.WriteError.Category == ServerErrorCategory.DuplicateKey;

    [SkippableFact]
    public async Task The_indexes_refuse_a_second_user_room_session_or_sanction_with_the_same_key()
    {
        MongoChatStore store = await ServerAsync();
        IMongoDatabase db = store.Database;
        BsonDocument User() => new() { { "_id", ObjectId.GenerateNewId() }, { "name", "Alice" }, { "nameKey", "alice" } };
        await db.GetCollection<BsonDocument>(MongoIndexes.Users).InsertOneAsync(User());
        Assert.True(IsDuplicateKey(await Assert.ThrowsAsync<MongoWriteException>(() => db.GetCollection<BsonDocument>(MongoIndexes.Users).InsertOneAsync(User()))));

        Assert.True(await store.CreateRoomAsync(new RoomRecord("Dev", null, T0)));
        Assert.True(IsDuplicateKey(await Assert.ThrowsAsync<MongoWriteException>(() => db.GetCollection<BsonDocument>(MongoIndexes.Rooms)
            .InsertOneAsync(new BsonDocument { { "_id", ObjectId.GenerateNewId() }, { "name", "DEV" }, { "nameKey", "dev" } }))));

        await store.CreateSessionAsync(new SessionRecord([9, 9], "alice", T0, T0.AddDays(1)));
        Assert.True(IsDuplicateKey(await Assert.ThrowsAsync<MongoWriteException>(() => db.GetCollection<BsonDocument>(MongoIndexes.Sessions)
            .InsertOneAsync(new BsonDocument { { "_id", ObjectId.GenerateNewId() }, { "tokenHash", new BsonBinaryData([9, 9]) } }))));

        await store.SetBanAsync(new BanRecord("Mallory", "alice", null, T0, null));
        Assert.True(IsDuplicateKey(await Assert.ThrowsAsync<MongoWriteException>(() => db.GetCollection<BsonDocument>(MongoIndexes.Bans)
            .InsertOneAsync(new BsonDocument { { "_id", ObjectId.GenerateNewId() }, { "nameKey", "mallory" } }))));
    }

    [SkippableFact]
    public async Task The_ref_index_holds_one_message_per_user_guest_flag_and_ref_and_ignores_messages_without_ref()
    {
        MongoChatStore store = await ServerAsync();
        IMongoCollection<MessageDocument> messages = store.Database.GetCollection<MessageDocument>(MongoIndexes.Messages);
        MessageDocument Doc(ulong id, string user, bool guest, string? reference) => MongoChatStore.ToDocument(
            new MessageRecord(MessageId(id), "lobby", user, "#000000", "x", T0, reference, guest));

        await messages.InsertManyAsync([Doc(1, "alice", false, "r"), Doc(2, "bob", false, "r"), Doc(3, "alice", true, "r"),
            Doc(4, "alice", false, null), Doc(5, "alice", false, null)]);
        var error = await Assert.ThrowsAsync<MongoWriteException>(() => messages.InsertOneAsync(Doc(6, "ALICE", false, "r")));
        Assert.True(IsDuplicateKey(error));
    }

    [SkippableFact]
    public async Task A_duplicate_ref_refused_by_the_index_is_answered_with_the_stored_message()
    {
        MongoChatStore store = await ServerAsync();
        store.CheckRefsBeforeInsert = false; // go straight to insertMany: the index alone must catch the retry
        MessageRecord original = new(MessageId(1), "lobby", "alice", "#000000", "hello", T0, "c17");
        MessageRecord other = new(MessageId(2), "lobby", "alice", "#000000", "other", T0, "c18");
        await store.AppendMessagesAsync([original]);

        MessageRecord retry = original with { Id = MessageId(3), Room = "LOBBY", Text = "hello again" };
        MessageRecord fresh = new(MessageId(4), "lobby", "bob", "#000000", "new", T0, "c17");
        IReadOnlyList<AppendResult> results = await store.AppendMessagesAsync([retry, other, fresh]);

        Assert.Equal([true, false, false], results.Select(r => r.Duplicate));
        Assert.Equal(original, results[0].Stored);
        Assert.Equal([original, other, fresh], await store.GetMessagesAsync("lobby", null, 10)); // unordered: the rest was stored
    }

    [SkippableFact]
    public async Task Two_servers_sending_the_same_refs_at_once_store_each_once()
    {
        MongoChatStore a = await ServerAsync();
        MongoChatStore b = await ServerAsync();
        ulong next = 0;
        for (int round = 0; round < 20; round++)
        {
            List<MessageRecord> Batch() => Enumerable.Range(0, 10)
                .Select(i => new MessageRecord(MessageId(Interlocked.Increment(ref next)), "lobby", $"user{i % 3}", "#000000", $"{round}:{i}", T0, $"r{round}-{i}"))
                .ToList();
            List<MessageRecord> fromA = Batch(), fromB = Batch();
            IReadOnlyList<AppendResult>[] results = await Task.WhenAll(a.AppendMessagesAsync(fromA), b.AppendMessagesAsync(fromB));
            for (int i = 0; i < 10; i++)
            {
                // Both answers name the one stored message, and exactly one of them stored it.
                Assert.Equal(results[0][i].Stored.Id, results[1][i].Stored.Id);
                Assert.NotEqual(results[0][i].Duplicate, results[1][i].Duplicate);
            }
        }
        Assert.Equal(200, (await a.GetMessagesAsync("lobby", null, 1000)).Count);
    }

    [SkippableFact]
    public async Task Two_servers_registering_the_same_names_at_once_create_each_account_once()
    {
        MongoChatStore a = await ServerAsync();
        MongoChatStore b = await ServerAsync();
        for (int i = 0; i < 30; i++)
        {
            var user = new UserRecord($"Name{i}", "h", "#000000", Role.Member, T0);
            bool[] created = await Task.WhenAll(
                a.CreateUserAsync(user), b.CreateUserAsync(user with { Name = $"NAME{i}" }),
                a.CreateRoomAsync(new RoomRecord($"room{i}", null, T0)), b.CreateRoomAsync(new RoomRecord($"ROOM{i}", null, T0)));
            Assert.Equal(1, created[..2].Count(c => c));
            Assert.Equal(1, created[2..].Count(c => c));
        }
        Assert.Equal(30, await a.CountUsersAsync());
        Assert.Equal(30, (await b.ListRoomsAsync()).Count);
    }
}
