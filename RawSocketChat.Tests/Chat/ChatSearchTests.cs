using System.Text.Json;
using RawSocketChat.Tests.Monitoring;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>
/// <c>search</c> over /chat: it finds exactly what the user may read (their rooms, private ones they belong to, their
/// own conversations; never someone else's, never deleted text), newest first, a page at a time, with the terms the
/// client highlights; every bad query gets its code; the per-user budget holds across devices at the default limits.
/// </summary>
public sealed class ChatSearchTests
{
    private static string[] Texts(JsonElement results) =>
        results.GetProperty("messages").EnumerateArray().Select(m => Text(m)!).ToArray();

    [Fact]
    public async Task A_search_finds_what_the_user_may_read_and_nothing_else_newest_first()
    {
        await using TestServer server = await TestServer.StartAsync(o => { Generous(o); o.SearchRate = 1000; o.SearchBurst = 1000; });
        (ChatClient alice, _) = await ChatClient.RegisterAsync(server, "alice");
        (ChatClient bob, _) = await ChatClient.RegisterAsync(server, "bob");
        (ChatClient carol, _) = await ChatClient.RegisterAsync(server, "carol");
        await using (alice)
        await using (bob)
        await using (carol)
        {
            foreach (ChatClient user in new[] { alice, bob, carol })
                await user.JoinAsync("lobby");
            await alice.AskAsync(new { type = "create", room = "secret", @private = true });
            await alice.JoinAsync("secret");
            await alice.AskAsync(new { type = "create", room = "ops" });
            await alice.JoinAsync("ops");

            await bob.SayAsync("lobby", "Deploy at noon, **café** first");
            await alice.SayAsync("secret", "deploy the secret build");
            await alice.SayAsync("ops", "deployment notes");
            Assert.Equal("ack", ChatClient.Type(await alice.AskAsync(new { type = "dm", to = "carol", text = "can you deploy?" })));
            string gone = Id(await bob.SayAsync("lobby", "deploy was a mistake"));
            Assert.Equal("ack", ChatClient.Type(await bob.AskAsync(new { type = "delete", room = "lobby", id = gone })));

            JsonElement mine = await alice.AskAsync(new { type = "search", query = "DEPLOY" });
            Assert.Equal("search_results", ChatClient.Type(mine));
            Assert.Equal("DEPLOY", Text(mine, "query"));
            Assert.Equal(["can you deploy?", "deploy the secret build", "Deploy at noon, **café** first"], Texts(mine));
            Assert.False(mine.GetProperty("more").GetBoolean());
            JsonElement term = mine.GetProperty("terms").EnumerateArray().Single();
            Assert.Equal(["deploy"], term.GetProperty("words").EnumerateArray().Select(w => w.GetString()));
            // A message found is a message as history has it, room and all.
            JsonElement found = mine.GetProperty("messages")[2];
            Assert.Equal(("lobby", "bob", "message"), (Text(found, "room"), Text(found, "user"), Text(found, "type")));

            // Bob reads the lobby and nothing of alice's private room or her conversation with carol.
            Assert.Equal(["Deploy at noon, **café** first"], Texts(await bob.AskAsync(new { type = "search", query = "deploy" })));
            Assert.Equal(["can you deploy?", "Deploy at noon, **café** first"], Texts(await carol.AskAsync(new { type = "search", query = "deploy" })));
            AssertError(await bob.AskAsync(new { type = "search", query = "deploy", room = "secret" }), "no_such_room");
            AssertError(await bob.AskAsync(new { type = "search", query = "deploy", room = "ops" }), "not_member");

            // Narrowed to a room, an author; a prefix, a phrase, accents.
            Assert.Equal(["deploy the secret build"], Texts(await alice.AskAsync(new { type = "search", query = "deploy", room = "SECRET" })));
            Assert.Equal(["Deploy at noon, **café** first"], Texts(await alice.AskAsync(new { type = "search", query = "deploy", user = "Bob" })));
            JsonElement prefix = await alice.AskAsync(new { type = "search", query = "deploy*" });
            Assert.Equal(4, Texts(prefix).Length);
            Assert.True(prefix.GetProperty("terms")[0].GetProperty("prefix").GetBoolean());
            Assert.Equal(["Deploy at noon, **café** first"], Texts(await alice.AskAsync(new { type = "search", query = "\"at noon\" CAFE" })));
            Assert.Empty(Texts(await alice.AskAsync(new { type = "search", query = "mistake" })));
        }
    }

    [Fact]
    public async Task Results_come_a_page_at_a_time_and_a_member_who_leaves_stops_finding_the_room()
    {
        await using TestServer server = await TestServer.StartAsync(o => { Generous(o); o.SearchRate = 1000; o.SearchBurst = 1000; });
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await alice.JoinAsync("lobby");
        for (int i = 0; i < 7; i++)
            await alice.SayAsync("lobby", $"status report {i}");

        var seen = new List<string>();
        string? before = null;
        bool more = true;
        while (more)
        {
            JsonElement page = await alice.AskAsync(before is null
                ? new { type = "search", query = "report", limit = 3 }
                : (object)new { type = "search", query = "report", limit = 3, before });
            seen.AddRange(Texts(page));
            more = page.GetProperty("more").GetBoolean();
            before = Text(page.GetProperty("messages")[page.GetProperty("messages").GetArrayLength() - 1], "id");
        }
        Assert.Equal(Enumerable.Range(0, 7).Reverse().Select(i => $"status report {i}"), seen);

        Assert.Equal("left", ChatClient.Type(await alice.AskAsync(new { type = "leave", room = "lobby" })));
        Assert.Empty(Texts(await alice.AskAsync(new { type = "search", query = "report" })));
    }

    [Fact]
    public async Task Every_bad_search_gets_its_code_and_costs_no_search_budget()
    {
        await using TestServer server = await TestServer.StartAsync(o => { Generous(o); o.SearchBurst = 1; o.SearchRate = 0.001; });
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        AssertError(await alice.AskAsync(new { type = "search" }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "search", query = new string('x', 257) }), "too_long");
        AssertError(await alice.AskAsync(new { type = "search", query = "?! ..." }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "search", query = "a*" }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "search", query = "a b c d e f g h i" }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "search", query = "x", before = "nope" }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "search", query = "x", user = "no spaces" }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "search", query = "x", limit = 0 }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "search", query = "x", limit = 101 }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "search", query = "x", room = "nowhere" }), "no_such_room");
        await alice.SendTextAsync("""{"type":"search","ref":"n1","query":42}""");
        AssertError(await alice.ReceiveAsync(m => ChatClient.Ref(m) == "n1"), "bad_request");
        // None of those was a search: the one token of the budget is still there.
        Assert.Equal("search_results", ChatClient.Type(await alice.AskAsync(new { type = "search", query = "x" })));
        await using ChatClient before = await ChatClient.ConnectAsync(server);
        AssertError(await before.AskAsync(new { type = "search", query = "x" }), "not_logged_in");
    }

    [Fact]
    public async Task At_the_default_limits_a_users_searches_share_one_budget_across_devices()
    {
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient phone, _) = await ChatClient.RegisterAsync(server, "alice");
        await using (phone)
        {
            await using ChatClient laptop = await LogInAsync(server, "alice");
            await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
            // The default burst is 5 a user; the connection's own limit (a burst of 10) is not what refuses here.
            for (int i = 0; i < 3; i++)
                Assert.Equal("search_results", ChatClient.Type(await phone.AskAsync(new { type = "search", query = "hello" })));
            for (int i = 0; i < 2; i++)
                Assert.Equal("search_results", ChatClient.Type(await laptop.AskAsync(new { type = "search", query = "hello" })));
            JsonElement refused = await laptop.AskAsync(new { type = "search", query = "hello" });
            AssertError(refused, "rate_limited");
            Assert.InRange(refused.GetProperty("retryAfterMs").GetInt64(), 1, 1000);
            AssertError(await phone.AskAsync(new { type = "search", query = "hello" }), "rate_limited");
            // Someone else's budget is their own.
            Assert.Equal("search_results", ChatClient.Type(await bob.AskAsync(new { type = "search", query = "hello" })));

            PrometheusParser.Scrape scrape = PrometheusParser.Parse(server.App.Metrics.Write().ToString());
            Assert.Equal(6, scrape["rawsocketchat_chat_searches_total"]);
            Assert.Equal(2, scrape["rawsocketchat_rate_limited_total{kind=\"search\"}"]);
            Assert.Equal(6, scrape["rawsocketchat_store_seconds_count{operation=\"search\"}"]);
        }
    }
}
