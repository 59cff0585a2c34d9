using System.Globalization;
using System.Text.Json;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Chat;

/// <summary>Sending, acks, ordering, idempotent retries, history and restarts, end to end over /chat.</summary>
public sealed class ChatMessagingTests
{
    private static bool MessageWithId(JsonElement m, string id) =>
        ChatClient.Type(m) == "message" && m.GetProperty("id").GetString() == id;

    [Fact]
    public async Task A_message_reaches_every_member_including_the_sender_and_the_sender_gets_an_ack()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        await using ChatClient outsider = await ChatClient.GuestAsync(server, "outsider");
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");

        await alice.SendJsonAsync(new { type = "send", room = "lobby", text = "  hi\r\nthere\t! ", @ref = "c17" });
        JsonElement own = await alice.ReceiveAsync("message");
        JsonElement ack = await alice.ReceiveAsync("ack");
        Assert.Equal("c17", ChatClient.Ref(ack));
        string id = ack.GetProperty("id").GetString()!;
        Assert.Matches("^[0-9a-f]{24}$", id);

        JsonElement received = await bob.ReceiveAsync("message");
        foreach (JsonElement m in new[] { own, received })
        {
            Assert.Equal("lobby", m.GetProperty("room").GetString());
            Assert.Equal(id, m.GetProperty("id").GetString());
            Assert.Equal("alice", m.GetProperty("user").GetString());
            Assert.Equal("hi\nthere\t!", m.GetProperty("text").GetString()); // trimmed, CR LF → LF
            Assert.Matches("^#[0-9a-f]{6}$", m.GetProperty("color").GetString());
            string ts = m.GetProperty("ts").GetString()!;
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", ts);
            DateTime when = DateTime.Parse(ts, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            Assert.InRange(when, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
        }

        // The message came before the ack: when the ack arrives, the message is stored and was broadcast.
        List<string?> order = alice.AllReceived.Select(ChatClient.Type).Where(t => t is "message" or "ack").ToList();
        Assert.Equal(["message", "ack"], order);
        Assert.Null(await outsider.TryReceiveAsync(m => ChatClient.Type(m) == "message", TimeSpan.FromMilliseconds(200)));
    }

    [Theory]
    [InlineData("", "bad_request")]
    [InlineData("   \n\t ", "bad_request")]
    [InlineData("bell\u0007", "invalid_text")]
    [InlineData("nul\u0000", "invalid_text")]
    [InlineData("c1\u0085c1", "invalid_text")]
    [InlineData("esc\u001b[31mred", "invalid_text")]
    public async Task Text_outside_the_rules_is_refused(string text, string code)
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxTextLength = 10);
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await alice.JoinAsync("lobby");
        JsonElement error = await alice.SayAsync("lobby", text, "t1");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal("t1", ChatClient.Ref(error));
    }

    [Fact]
    public async Task Text_length_is_limited_in_characters()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxTextLength = 10);
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await alice.JoinAsync("lobby");
        Assert.Equal("ack", ChatClient.Type(await alice.SayAsync("lobby", "0123456789")));
        Assert.Equal("ack", ChatClient.Type(await alice.SayAsync("lobby", "🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂"))); // 10 code points, 20 UTF-16 units
        Assert.True(ChatClient.IsError(await alice.SayAsync("lobby", "0123456789a"), "too_long"));
    }

    [Fact]
    public async Task A_retried_send_with_the_same_ref_is_stored_once_even_after_a_reconnect()
    {
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient first, JsonElement welcome) = await ChatClient.RegisterAsync(server, "retrier");
        string token = welcome.GetProperty("token").GetString()!;
        await first.JoinAsync("lobby");
        await using ChatClient watcher = await ChatClient.GuestAsync(server, "watcher");
        await watcher.JoinAsync("lobby");

        // Twice in a row on one connection (the second may share the first's batch) ...
        await first.SendJsonAsync(new { type = "send", room = "lobby", text = "only once", @ref = "dup-1" });
        await first.SendJsonAsync(new { type = "send", room = "lobby", text = "only once", @ref = "dup-1" });
        JsonElement ack1 = await first.ReceiveAsync("ack");
        JsonElement ack2 = await first.ReceiveAsync("ack");
        string id = ack1.GetProperty("id").GetString()!;
        Assert.Equal(id, ack2.GetProperty("id").GetString());
        Assert.True(ack2.GetProperty("duplicate").GetBoolean());
        await first.DisposeAsync();

        // ... and again from a new connection after a reconnect.
        await using ChatClient second = await ChatClient.ConnectAsync(server);
        await second.SendJsonAsync(new { type = "resume", token });
        await second.ReceiveAsync("welcome");
        await second.JoinAsync("lobby");
        JsonElement ack3 = await second.SayAsync("lobby", "only once", "dup-1");
        Assert.Equal(id, ack3.GetProperty("id").GetString());

        // A ref reused for a different text is a client bug, reported as such.
        JsonElement conflict = await second.SayAsync("lobby", "something else", "dup-1");
        Assert.True(ChatClient.IsError(conflict, "ref_conflict"));

        JsonElement marker = await second.SayAsync("lobby", "marker");
        await watcher.ReceiveAsync(m => MessageWithId(m, marker.GetProperty("id").GetString()!));
        Assert.Single(watcher.AllReceived, m => ChatClient.Type(m) == "message" && m.GetProperty("text").GetString() == "only once");

        await second.SendJsonAsync(new { type = "history", room = "lobby" });
        JsonElement history = await second.ReceiveAsync("history");
        Assert.Single(history.GetProperty("messages").EnumerateArray(), m => m.GetProperty("text").GetString() == "only once");
    }

    [Fact]
    public async Task History_is_paged_backwards_by_id_oldest_first()
    {
        await using TestServer server = await TestServer.StartAsync(o => { o.Rate = 1000; o.Burst = 1000; o.IpRate = 1000; o.IpBurst = 1000; });
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await alice.JoinAsync("lobby");
        var ids = new List<string>();
        for (int i = 0; i < 130; i++)
            ids.Add((await alice.SayAsync("lobby", $"m{i}")).GetProperty("id").GetString()!);
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids); // ids sort in send order

        // A new joiner gets the latest 50, oldest first.
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        JsonElement joined = await bob.JoinAsync("lobby");
        string[] latest = joined.GetProperty("history").EnumerateArray().Select(m => m.GetProperty("text").GetString()!).ToArray();
        Assert.Equal(Enumerable.Range(80, 50).Select(i => $"m{i}"), latest);

        // Then pages back from the oldest it has.
        await bob.SendJsonAsync(new { type = "history", room = "lobby", before = ids[80], limit = 50, @ref = "h1" });
        JsonElement page = await bob.ReceiveAsync("history");
        Assert.Equal("h1", ChatClient.Ref(page));
        Assert.Equal(Enumerable.Range(30, 50).Select(i => $"m{i}"), page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.True(page.GetProperty("more").GetBoolean());

        await bob.SendJsonAsync(new { type = "history", room = "lobby", before = ids[30], limit = 50 });
        page = await bob.ReceiveAsync("history");
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"m{i}"), page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.False(page.GetProperty("more").GetBoolean());

        // The limit is capped at 100; nonsense is refused.
        await bob.SendJsonAsync(new { type = "history", room = "lobby", limit = 1000 });
        Assert.Equal(100, (await bob.ReceiveAsync("history")).GetProperty("messages").GetArrayLength());
        await bob.SendJsonAsync(new { type = "history", room = "lobby", limit = 0 });
        Assert.True(ChatClient.IsError(await bob.ReceiveAsync("error"), "bad_request"));
        await bob.SendJsonAsync(new { type = "history", room = "lobby", before = "not-an-id" });
        Assert.True(ChatClient.IsError(await bob.ReceiveAsync("error"), "bad_request"));
    }

    [Fact]
    public async Task Every_member_receives_the_messages_of_50_concurrent_senders_in_the_same_order_the_order_of_their_ids()
    {
        const int senders = 50, perSender = 10;
        await using TestServer server = await TestServer.StartAsync(o =>
        {
            o.MaxConnectionsPerIp = 200;
            o.Rate = 1000; o.Burst = 1000; o.IpRate = 100_000; o.IpBurst = 100_000;
        });
        var clients = new List<ChatClient>();
        try
        {
            foreach (int i in Enumerable.Range(0, senders))
            {
                ChatClient client = await ChatClient.GuestAsync(server, $"s{i}");
                await client.JoinAsync("lobby");
                clients.Add(client);
            }
            // Everyone must have joined before anyone sends, or early messages would be in history instead.
            using var start = new SemaphoreSlim(0);
            Task[] sending = clients.Select((c, i) => Task.Run(async () =>
            {
                await start.WaitAsync();
                for (int k = 0; k < perSender; k++)
                    await c.SendJsonAsync(new { type = "send", room = "lobby", text = $"{i}:{k}", @ref = $"{i}-{k}" });
            })).ToArray();
            start.Release(senders);
            await Task.WhenAll(sending).WaitAsync(TimeSpan.FromSeconds(30));

            var sequences = new List<List<string>>();
            foreach (ChatClient client in clients)
            {
                var ids = new List<string>();
                for (int n = 0; n < senders * perSender; n++)
                    ids.Add((await client.ReceiveAsync("message", TimeSpan.FromSeconds(20))).GetProperty("id").GetString()!);
                sequences.Add(ids);
            }

            List<string> reference = sequences[0];
            Assert.Equal(senders * perSender, reference.Distinct().Count());
            Assert.Equal(reference.Order(StringComparer.Ordinal), reference);
            foreach (List<string> sequence in sequences)
                Assert.Equal(reference, sequence);

            // Each sender's own messages are in its send order too.
            JsonElement[] all = clients[0].AllReceived.Where(m => ChatClient.Type(m) == "message").ToArray();
            foreach (int i in Enumerable.Range(0, senders))
            {
                int[] ks = all.Select(m => m.GetProperty("text").GetString()!).Where(t => t.StartsWith($"{i}:", StringComparison.Ordinal))
                    .Select(t => int.Parse(t[(t.IndexOf(':') + 1)..], CultureInfo.InvariantCulture)).ToArray();
                Assert.Equal(Enumerable.Range(0, perSender), ks);
            }
            Assert.True(server.App.Chat.Writer.Batches < senders * perSender, "messages should have been committed in batches");
        }
        finally
        {
            foreach (ChatClient client in clients)
                await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Accounts_sessions_rooms_and_history_survive_a_restart()
    {
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient pat, JsonElement welcome) = await ChatClient.RegisterAsync(server, "pat", color: "#112233");
        string token = welcome.GetProperty("token").GetString()!;
        await pat.SendJsonAsync(new { type = "create", room = "keep" });
        await pat.ReceiveAsync("created");
        await pat.JoinAsync("keep");
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
            ids.Add((await pat.SayAsync("keep", $"before restart {i}")).GetProperty("id").GetString()!);
        await pat.DisposeAsync();

        await server.StopAsync();
        await server.StartAgainAsync();

        await using ChatClient again = await ChatClient.ConnectAsync(server);
        await again.SendJsonAsync(new { type = "resume", token });
        JsonElement resumed = await again.ReceiveAsync("welcome");
        Assert.Equal("#112233", resumed.GetProperty("user").GetProperty("color").GetString());
        JsonElement keep = resumed.GetProperty("rooms").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "keep");
        Assert.Equal(1, keep.GetProperty("members").GetInt32());

        JsonElement joined = await again.JoinAsync("keep");
        Assert.Equal(ids, joined.GetProperty("history").EnumerateArray().Select(m => m.GetProperty("id").GetString()));

        // New ids keep sorting after the old ones.
        string next = (await again.SayAsync("keep", "after restart")).GetProperty("id").GetString()!;
        Assert.True(string.CompareOrdinal(next, ids[^1]) > 0);

        await using ChatClient login = await ChatClient.ConnectAsync(server);
        await login.SendJsonAsync(new { type = "login", name = "pat", password = "correct horse battery" });
        await login.ReceiveAsync("welcome");
    }

    [Fact]
    public async Task With_data_set_to_memory_the_server_works_and_writes_no_file()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.Data = ":memory:");
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await alice.JoinAsync("lobby");
        Assert.Equal("ack", ChatClient.Type(await alice.SayAsync("lobby", "ephemeral")));
        Assert.False(File.Exists(":memory:"));
        Assert.Contains("in-memory", server.LogText);
    }
}
