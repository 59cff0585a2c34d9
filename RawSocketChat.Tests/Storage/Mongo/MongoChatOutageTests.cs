using System.Diagnostics;
using System.Text.Json;
using RawSocketChat.Chat;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Storage.Mongo;

/// <summary>
/// End to end over /chat with <c>--mongo</c>: the chat server on a private in-memory MongoDB that the test kills
/// mid-run. While the database is down a <c>send</c> is answered <c>store_unavailable</c> (no ack, no broadcast);
/// once a server is back at the same address the driver reconnects by itself and the retried send (same ref) is
/// stored and acknowledged. The killed server keeps nothing, so "what was acknowledged before survives" is a property
/// of MongoDB's durable write concern that only a real server shows — see docs/storage.md.
/// </summary>
public sealed class MongoChatOutageTests
{
    [SkippableFact]
    public async Task A_send_while_mongodb_is_down_gets_store_unavailable_and_the_retry_is_stored_once_it_is_back()
    {
        await using CongoProcess congo = await CongoProcess.StartAsync();
        string database = MongoTestServer.NewDatabaseName();
        await using TestServer server = await TestServer.StartAsync(o =>
        {
            o.Mongo = MongoTestServer.WithDatabase(congo.ConnectionString, database);
            // Short enough to keep the test quick, long enough for a start-up on a loaded CI machine.
            o.MongoTimeout = TimeSpan.FromSeconds(5);
        });
        Assert.Contains("store mongodb mongodb://127.0.0.1:", server.LogText);

        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");
        JsonElement ack = await alice.SayAsync("lobby", "before", "c1");
        Assert.Equal("ack", ChatClient.Type(ack));
        await bob.ReceiveAsync(m => ChatClient.Type(m) == "message" && m.GetProperty("text").GetString() == "before");

        await congo.KillAsync();
        var clock = Stopwatch.StartNew();
        JsonElement refused = await alice.SayAsync("lobby", "during", "c2");
        Assert.True(ChatClient.IsError(refused, ChatErrorCode.StoreUnavailable), refused.ToString());
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(30)); // bounded, not hanging
        Assert.Null(await bob.TryReceiveAsync(m => ChatClient.Type(m) == "message", TimeSpan.FromMilliseconds(200)));

        await congo.StartAgainAsync();
        JsonElement reply;
        var deadline = Stopwatch.StartNew();
        do
        {
            reply = await alice.SayAsync("lobby", "during", "c2"); // the same ref: a retry
        }
        while (ChatClient.IsError(reply, ChatErrorCode.StoreUnavailable) && deadline.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Equal("ack", ChatClient.Type(reply));
        Assert.False(reply.TryGetProperty("duplicate", out JsonElement duplicate) && duplicate.GetBoolean());
        JsonElement delivered = await bob.ReceiveAsync(m => ChatClient.Type(m) == "message" && m.GetProperty("text").GetString() == "during");
        Assert.Equal(reply.GetProperty("id").GetString(), delivered.GetProperty("id").GetString());
    }
}
