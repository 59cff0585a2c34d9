using System.Diagnostics;
using MongoDB.Bson;
using MongoDB.Driver;
using RawSocketChat.Storage;
using RawSocketChat.Storage.Mongo;

namespace RawSocketChat.Tests.Storage.Mongo;

/// <summary>
/// What only the MongoDB store promises, against a server through the real driver (the in-memory one on CI, a real
/// one when configured; see <see cref="MongoTestServer"/>): the stored document shapes, the indexes, agreement with
/// the SQLite store on the same operations, and failing cleanly — then recovering — when the server goes away.
/// </summary>
public sealed class MongoStoreTests : IAsyncLifetime
{
    private static readonly DateTime T0 = new(2026, 11, 27, 10, 0, 0, 123, DateTimeKind.Utc);
    private readonly string _database = MongoTestServer.NewDatabaseName();
    private string? _connectionString;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_connectionString is not null)
            await MongoTestServer.DropAsync(_connectionString, _database);
    }

    /// <summary>Without TTL indexes unless asked: fixed-date fixtures must not be deleted by a real server mid-test.</summary>
    private async Task<MongoChatStore> OpenAsync(bool ttl = false)
    {
        _connectionString = MongoTestServer.Require();
        return await MongoChatStore.OpenAsync(MongoTestServer.Options(_connectionString, _database) with { CreateTtlIndexes = ttl });
    }

    private static string MessageId(ulong counter) => MessageIdGenerator.Format(1_795_600_000, counter);

    [SkippableFact]
    public async Task Documents_are_stored_in_the_documented_shape()
    {
        await using MongoChatStore store = await OpenAsync();
        await store.CreateUserAsync(new UserRecord("Alice", "pbkdf2-sha256$1$c2FsdA==$aGFzaA==", "#3b82f6", Role.Member, T0));
        await store.CreateRoomAsync(new RoomRecord("Lobby", null, T0));
        await store.AddRoomMemberAsync("lobby", "alice", T0.AddMinutes(1));
        await store.CreateSessionAsync(new SessionRecord([1, 2, 3], "ALICE", T0, T0.AddDays(30)));
        await store.AppendMessagesAsync([new MessageRecord(MessageId(1), "Lobby", "Alice", "#3b82f6", "hi", T0, "c1")]);

        BsonDocument user = await Raw(store, MongoIndexes.Users);
        Assert.IsType<BsonObjectId>(user["_id"]);
        user.Remove("_id");
        Assert.Equal(Sorted(BsonDocument.Parse("""
            { "name" : "Alice", "nameKey" : "alice", "passwordHash" : "pbkdf2-sha256$1$c2FsdA==$aGFzaA==", "color" : "#3b82f6", "role" : "member",
              "createdAt" : ISODate("2026-11-27T10:00:00.123Z"), "memberships" : [{ "room" : "lobby", "joinedAt" : ISODate("2026-11-27T10:01:00.123Z") }] }
            """)), Sorted(user));

        BsonDocument room = await Raw(store, MongoIndexes.Rooms);
        Assert.IsType<BsonObjectId>(room["_id"]);
        room.Remove("_id");
        Assert.Equal(Sorted(BsonDocument.Parse("""{ "name" : "Lobby", "nameKey" : "lobby", "createdAt" : ISODate("2026-11-27T10:00:00.123Z") }""")), Sorted(room));

        BsonDocument session = await Raw(store, MongoIndexes.Sessions);
        Assert.IsType<BsonObjectId>(session["_id"]);
        session.Remove("_id");
        Assert.Equal(Sorted(BsonDocument.Parse("""
            { "tokenHash" : BinData(0, "AQID"), "userKey" : "alice", "createdAt" : ISODate("2026-11-27T10:00:00.123Z"), "expiresAt" : ISODate("2026-12-27T10:00:00.123Z") }
            """)), Sorted(session));

        Assert.Equal(Sorted(BsonDocument.Parse($$"""
            { "_id" : ObjectId("{{MessageId(1)}}"), "room" : "Lobby", "roomKey" : "lobby", "user" : "Alice", "userKey" : "alice", "guest" : false,
              "color" : "#3b82f6", "text" : "hi", "ts" : ISODate("2026-11-27T10:00:00.123Z"), "ref" : "c1", "words" : ["hi"] }
            """)), Sorted(await Raw(store, MongoIndexes.Messages)));
    }

    [SkippableFact]
    public async Task Ids_the_store_creates_are_ObjectIds_in_creation_order()
    {
        await using MongoChatStore store = await OpenAsync();
        for (int i = 0; i < 5; i++)
            await store.CreateRoomAsync(new RoomRecord($"room{i}", null, T0));
        List<BsonDocument> rooms = await store.Database.GetCollection<BsonDocument>(MongoIndexes.Rooms)
            .Find(FilterDefinition<BsonDocument>.Empty).Sort(Builders<BsonDocument>.Sort.Ascending("_id")).ToListAsync();
        Assert.Equal(["room0", "room1", "room2", "room3", "room4"], rooms.Select(r => r["name"].AsString));
    }

    [SkippableFact]
    public async Task Indexes_are_created_at_start_up_and_creating_them_again_changes_nothing()
    {
        await using (MongoChatStore first = await OpenAsync(ttl: true))
        {
        }
        await using MongoChatStore store = await OpenAsync(ttl: true); // a second start-up on the same database
        var expected = new Dictionary<string, string[]>
        {
            [MongoIndexes.Users] = ["_id_", "memberships_room_nameKey", "nameKey_unique"],
            [MongoIndexes.Sessions] = ["_id_", "expiresAt_ttl", "tokenHash_unique", "userKey"],
            [MongoIndexes.Rooms] = ["_id_", "nameKey_unique"],
            [MongoIndexes.Messages] = ["_id_", "mentionKeys_roomKey_id", "roomKey_id", "roomKey_words_id", "ts", "userKey_guest_ref_unique"],
            [MongoIndexes.ReadPositions] = ["_id_", "userKey_roomKey_unique"],
            [MongoIndexes.RetiredNames] = ["_id_", "nameKey_unique"],
            [MongoIndexes.Bans] = ["_id_", "expiresAt_ttl", "nameKey_unique"],
            [MongoIndexes.Mutes] = ["_id_", "expiresAt_ttl", "nameKey_unique"],
        };
        foreach ((string collection, string[] names) in expected)
        {
            List<BsonDocument> indexes = await (await store.Database.GetCollection<BsonDocument>(collection).Indexes.ListAsync()).ToListAsync();
            Assert.Equal(names, indexes.Select(i => i["name"].AsString).Order(StringComparer.Ordinal));
            foreach (BsonDocument index in indexes.Where(i => i["name"].AsString.EndsWith("_unique", StringComparison.Ordinal)))
                Assert.True(index.GetValue("unique", false).ToBoolean(), $"{collection}.{index["name"]} is unique");
        }

        BsonDocument history = await Index(store, MongoIndexes.Messages, "roomKey_id");
        Assert.Equal(BsonDocument.Parse("""{ "roomKey" : 1, "_id" : 1 }"""), history["key"].AsBsonDocument);
        BsonDocument reference = await Index(store, MongoIndexes.Messages, "userKey_guest_ref_unique");
        Assert.Equal(BsonDocument.Parse("""{ "userKey" : 1, "guest" : 1, "ref" : 1 }"""), reference["key"].AsBsonDocument);
        foreach (string collection in new[] { MongoIndexes.Sessions, MongoIndexes.Bans, MongoIndexes.Mutes })
            Assert.Equal(0, (await Index(store, collection, "expiresAt_ttl"))["expireAfterSeconds"].ToInt64());
        if (MongoTestServer.IsReal) // the in-memory server does not list partial filters back
            Assert.Equal(BsonDocument.Parse("""{ "ref" : { "$type" : 2 } }"""), reference["partialFilterExpression"].AsBsonDocument);
        BsonDocument words = await Index(store, MongoIndexes.Messages, "roomKey_words_id");
        Assert.Equal(BsonDocument.Parse("""{ "roomKey" : 1, "words" : 1, "_id" : -1 }"""), words["key"].AsBsonDocument);
    }

    [SkippableFact]
    public async Task Messages_stored_before_search_get_their_words_at_the_next_start_once()
    {
        await using (MongoChatStore first = await OpenAsync())
        {
            // What a server from before search wrote: no words field.
            await first.Database.GetCollection<BsonDocument>(MongoIndexes.Messages).InsertOneAsync(BsonDocument.Parse($$"""
                { "_id" : ObjectId("{{MessageId(5)}}"), "room" : "lobby", "roomKey" : "lobby", "user" : "Alice", "userKey" : "alice",
                  "guest" : false, "color" : "#3b82f6", "text" : "Before SEARCH existed", "ts" : ISODate("2026-11-27T10:00:00.123Z") }
                """));
            await first.Database.GetCollection<BsonDocument>(MongoIndexes.Migrations).DeleteManyAsync(FilterDefinition<BsonDocument>.Empty);
        }
        await using MongoChatStore store = await OpenAsync();
        BsonDocument stored = await Raw(store, MongoIndexes.Messages);
        Assert.Equal(["before", "search", "existed"], stored["words"].AsBsonArray.Select(w => w.AsString));
        Assert.Single(await store.SearchMessagesAsync(SearchQuery.Parse("existed", 8, out _)!, ["lobby"], null, null, 10));
        Assert.Equal(1, await store.Database.GetCollection<BsonDocument>(MongoIndexes.Migrations).CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [SkippableFact]
    public async Task The_same_operations_give_the_same_results_as_the_embedded_store()
    {
        await using MongoChatStore mongo = await OpenAsync();
        await using SqliteChatStore sqlite = SqliteChatStore.OpenInMemory();
        foreach (IChatStore store in new IChatStore[] { mongo, sqlite })
        {
            await store.CreateUserAsync(new UserRecord("alice", "h", "#111111", Role.Admin, T0));
            await store.CreateUserAsync(new UserRecord("Bob", "h", "#222222", Role.Member, T0));
            var batch = new List<MessageRecord>();
            for (int i = 0; i < 30; i++)
            {
                string room = (i % 3) switch { 0 => "lobby", 1 => "Dev", _ => "LOBBY" };
                string user = (i % 4) switch { 0 => "alice", 1 => "Bob", 2 => "bob", _ => "carol" };
                batch.Add(new MessageRecord(MessageId((ulong)(100 + i)), room, user, "#333333", $"m{i}", T0.AddMinutes(17 * i), $"r{i % 25}", Guest: i % 4 == 3));
            }
            await store.AppendMessagesAsync(batch);
            await store.EditMessageAsync(MessageId(101), "edited", T0.AddDays(1));
            await store.DeleteMessageAsync(MessageId(102), T0.AddDays(1));
            await store.DeleteMessageAsync(MessageId(103), T0.AddDays(1), moderator: "alice");
            await store.SetBanAsync(new BanRecord("Mallory", "alice", null, T0, null));
            await store.SetBanAsync(new BanRecord("eve", "alice", "spam", T0, T0.AddHours(1)));
            await store.SetBanAsync(new BanRecord("MALLORY", "bob", "again", T0.AddMinutes(1), T0.AddDays(2)));
            await store.SetMuteAsync(new MuteRecord("trudy", "alice", "caps", T0, T0.AddMinutes(10)));
            for (int i = 0; i < 5; i++)
                await store.AppendModerationAsync(new ModerationRecord(MessageId((ulong)(500 + i)), T0.AddSeconds(i), ModerationAction.Kick, "alice", $"u{i}",
                    Room: i % 2 == 0 ? "lobby" : null, Reason: i == 3 ? "why" : null));
        }

        async Task Same<T>(Func<IChatStore, Task<T>> query, bool ignoreCase = false)
        {
            string expected = System.Text.Json.JsonSerializer.Serialize(await query(sqlite));
            string actual = System.Text.Json.JsonSerializer.Serialize(await query(mongo));
            // Counts name a room or poster "as spelled in one of its messages": which spelling is the store's choice.
            Assert.Equal(ignoreCase ? expected.ToLowerInvariant() : expected, ignoreCase ? actual.ToLowerInvariant() : actual);
        }

        await Same(s => s.GetMessagesAsync("lobby", null, 100));
        await Same(s => s.GetMessagesAsync("dev", MessageId(120), 3));
        await Same(s => s.FindMessageAsync(MessageId(101)));
        await Same(s => s.FindMessageAsync(MessageId(102)));
        await Same(s => s.FindMessageAsync(MessageId(103)));
        await Same(s => s.FindMessageAsync(MessageId(999)));
        await Same(s => s.EditMessageAsync(MessageId(102), "undead", T0.AddDays(2)));
        await Same(s => s.DeleteMessageAsync(MessageId(102), T0.AddDays(2)));
        await Same(s => s.GetLatestMessageIdAsync());
        await Same(s => s.ListBansAsync(T0));
        await Same(s => s.ListBansAsync(T0.AddHours(2)));
        await Same(s => s.ListMutesAsync(T0));
        await Same(s => s.ListMutesAsync(T0.AddHours(1)));
        await Same(s => s.RemoveBanAsync("eve", T0.AddHours(2)));
        await Same(s => s.RemoveBanAsync("mallory", T0));
        await Same(s => s.RemoveMuteAsync("trudy", T0));
        await Same(s => s.GetModerationLogAsync(null, 3));
        await Same(s => s.GetModerationLogAsync(MessageId(502), 10));
        await Same(s => s.CountUsersAsync());
        await Same(s => s.CountMessagesPerRoomAsync(), ignoreCase: true);
        await Same(s => s.CountMessagesPerUserAsync(10), ignoreCase: true);
        await Same(s => s.CountMessagesPerUserAsync(2), ignoreCase: true);
        await Same(s => s.CountMessagesPerUserAsync(0));
        await Same(s => s.CountMessagesPerRoomAndUserAsync(["lobby", "Dev", "nowhere"], 2), ignoreCase: true);
        await Same(s => s.CountMessagesPerRoomAndUserAsync(["LOBBY"], 10), ignoreCase: true);
        await Same(s => s.CountMessagesPerRoomAndUserAsync(["lobby"], 0));
        await Same(s => s.CountMessagesPerHourAsync(T0, T0.AddHours(5)));
        await Same(s => s.CountMessagesPerHourAsync(T0.AddMinutes(30), T0.AddDays(1)));
        await Same(s => s.CountMessagesPerHourAsync(T0.AddDays(5), T0.AddDays(6)));
    }

    [SkippableFact]
    public async Task While_the_server_is_down_calls_fail_as_unavailable_within_the_timeout_and_work_again_when_it_is_back()
    {
        await using CongoProcess congo = await CongoProcess.StartAsync();
        await using MongoChatStore store = await MongoChatStore.OpenAsync(
            MongoTestServer.Options(congo.ConnectionString, _database, timeout: TimeSpan.FromSeconds(5)));
        MessageRecord first = new(MessageId(1), "lobby", "alice", "#000000", "before", T0, "c1");
        Assert.False((await store.AppendMessagesAsync([first])).Single().Duplicate);

        await congo.KillAsync();
        MessageRecord second = new(MessageId(2), "lobby", "alice", "#000000", "during", T0, "c2");
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.AppendMessagesAsync([second]));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(30)); // bounded, not hanging
        Assert.Contains($"127.0.0.1:{congo.Port}", error.Message);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.GetMessagesAsync("lobby", null, 10));

        // Same address, a new (empty) server: the driver finds it again by itself.
        await congo.StartAgainAsync();
        IReadOnlyList<AppendResult>? results = null;
        for (var deadline = Stopwatch.StartNew(); results is null; )
        {
            try
            {
                results = await store.AppendMessagesAsync([second]);
            }
            catch (StoreUnavailableException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(200);
            }
        }
        Assert.False(results.Single().Duplicate);
        Assert.Equal([second], await store.GetMessagesAsync("lobby", null, 10));
    }

    private static async Task<BsonDocument> Raw(MongoChatStore store, string collection) =>
        await store.Database.GetCollection<BsonDocument>(collection).Find(FilterDefinition<BsonDocument>.Empty).SingleAsync();

    private static async Task<BsonDocument> Index(MongoChatStore store, string collection, string name) =>
        (await (await store.Database.GetCollection<BsonDocument>(collection).Indexes.ListAsync()).ToListAsync()).Single(i => i["name"] == name);

    /// <summary>Field order is not part of the shape; compare sorted.</summary>
    private static BsonDocument Sorted(BsonDocument document) =>
        new(document.Elements.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => new BsonElement(e.Name, Sorted(e.Value))));

    private static BsonValue Sorted(BsonValue value) => value switch
    {
        BsonDocument document => Sorted(document),
        BsonArray array => new BsonArray(array.Select(Sorted)),
        _ => value,
    };
}
