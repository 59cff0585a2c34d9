using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Chat;

/// <summary>Bad input, flooding, and connection caps, end to end over /chat.</summary>
public sealed class ChatAbuseTests
{
    [Fact]
    public async Task Malformed_messages_get_an_error_and_the_connection_stays_open()
    {
        await using TestServer server = await TestServer.StartAsync(o => { o.Rate = 1000; o.Burst = 1000; o.IpRate = 1000; o.IpBurst = 1000; });
        await using ChatClient client = await ChatClient.ConnectAsync(server);

        var cases = new (string Json, string Code)[]
        {
            ("not json", "bad_request"),
            ("[1,2,3]", "bad_request"),
            ("\"login\"", "bad_request"),
            ("{}", "bad_request"),
            ("{\"type\":5}", "bad_request"),
            ("{\"type\":\"login\",\"name\":[\"x\"]}", "bad_request"),
            ("{\"type\":\"login\",\"name\":\"a\",\"name\":\"b\"}", "bad_request"),
            ("{\"type\":\"rooms\"} {\"type\":\"rooms\"}", "bad_request"),
            ("{\"type\":\"rooms\",\"x\":[[[[[[[[[[[[1]]]]]]]]]]]]}", "bad_request"),
            ("{\"type\":\"history\",\"room\":\"lobby\",\"limit\":\"ten\"}", "bad_request"),
            ("{\"type\":\"dance\"}", "unknown_type"),
            ("{\"type\":\"login\"}", "bad_request"),
        };
        foreach ((string json, string code) in cases)
        {
            await client.SendTextAsync(json);
            JsonElement error = await client.ReceiveAsync("error");
            Assert.True(code == error.GetProperty("code").GetString(), $"{json} → {error.GetRawText()}");
        }

        // Errors carry the ref when the message had a readable one.
        await client.SendTextAsync("{\"type\":\"nope\",\"ref\":\"r9\"}");
        Assert.Equal("r9", ChatClient.Ref(await client.ReceiveAsync("error")));

        await client.SendAsync([1, 2, 3], WebSocketMessageType.Binary);
        Assert.True(ChatClient.IsError(await client.ReceiveAsync("error"), "bad_request"));

        // Larger than any valid command (but within the WebSocket message limit).
        await client.SendTextAsync("{\"type\":\"send\",\"room\":\"lobby\",\"text\":\"" + new string('x', 100_000) + "\"}");
        Assert.True(ChatClient.IsError(await client.ReceiveAsync("error"), "too_long"));

        // Unknown extra fields are ignored: clients may add their own.
        await client.SendTextAsync("{\"type\":\"rooms\",\"client\":{\"v\":1},\"x\":null}");
        await client.ReceiveAsync("rooms");
        Assert.Equal(WebSocketState.Open, client.Socket.State);
    }

    [Fact]
    public async Task A_flooding_client_is_rate_limited_while_another_clients_messages_still_flow()
    {
        // Defaults: 5 messages/s with bursts of 10 per connection; 20/s, bursts of 40 per IP.
        await using TestServer server = await TestServer.StartAsync();
        await using ChatClient flooder = await ChatClient.GuestAsync(server, "flooder");
        await using ChatClient calm = await ChatClient.GuestAsync(server, "calm");
        await flooder.JoinAsync("lobby");
        await calm.JoinAsync("lobby");

        for (int i = 0; i < 30; i++)
            await flooder.SendJsonAsync(new { type = "send", room = "lobby", text = $"spam {i}", @ref = $"f{i}" });
        var replies = new List<JsonElement>();
        for (int i = 0; i < 30; i++)
            replies.Add(await flooder.ReceiveAsync(m => ChatClient.Ref(m) is { } r && r.StartsWith('f')));
        List<JsonElement> limited = replies.Where(m => ChatClient.IsError(m, "rate_limited")).ToList();
        // The burst of 10, less the login and the join, plus what refills while the test runs.
        Assert.InRange(replies.Count(m => ChatClient.Type(m) == "ack"), 5, 25);
        Assert.NotEmpty(limited);
        Assert.All(limited, m => Assert.True(m.GetProperty("retryAfterMs").GetInt64() > 0));

        for (int i = 0; i < 3; i++)
        {
            JsonElement ack = await calm.SayAsync("lobby", $"calm {i}");
            Assert.Equal("ack", ChatClient.Type(ack));
            await flooder.ReceiveAsync(m => ChatClient.Type(m) == "message" && m.GetProperty("id").GetString() == ack.GetProperty("id").GetString());
        }
        Assert.Equal(WebSocketState.Open, flooder.Socket.State);
    }

    [Fact]
    public async Task A_client_that_keeps_flooding_is_closed_with_1008()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.FloodWindow = TimeSpan.FromSeconds(2));
        await using ChatClient flooder = await ChatClient.GuestAsync(server, "flooder");
        await using ChatClient calm = await ChatClient.GuestAsync(server, "calm");
        await flooder.JoinAsync("lobby");

        for (int i = 0; i < 500 && !flooder.IsClosed; i++)
        {
            try
            {
                await flooder.SendJsonAsync(new { type = "send", room = "lobby", text = "spam" });
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
            {
                break;
            }
        }
        await flooder.WaitClosedAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, flooder.CloseStatus);
        Assert.Contains("chat flood", server.LogText);

        // The other client is unaffected.
        await calm.JoinAsync("lobby");
        Assert.Equal("ack", ChatClient.Type(await calm.SayAsync("lobby", "still fine")));
    }

    [Fact]
    public async Task Many_sockets_from_one_address_share_one_allowance()
    {
        await using TestServer server = await TestServer.StartAsync(o =>
        {
            o.Rate = 100; o.Burst = 100;   // each connection alone could send everything
            o.IpRate = 2; o.IpBurst = 20;  // the address as a whole cannot
        });
        var clients = new List<ChatClient>();
        try
        {
            for (int i = 0; i < 5; i++)
            {
                ChatClient client = await ChatClient.GuestAsync(server, $"sock{i}");
                await client.JoinAsync("lobby");
                clients.Add(client);
            }
            // Logins and joins took 10 of the address's 20 tokens. Now 50 sends over 5 sockets.
            foreach (ChatClient client in clients)
                for (int k = 0; k < 10; k++)
                    await client.SendJsonAsync(new { type = "send", room = "lobby", text = "x", @ref = $"k{k}" });
            int acks = 0, limited = 0;
            foreach (ChatClient client in clients)
                for (int k = 0; k < 10; k++)
                {
                    JsonElement reply = await client.ReceiveAsync(m => ChatClient.Ref(m) is { } r && r.StartsWith('k'));
                    if (ChatClient.Type(reply) == "ack") acks++;
                    else if (ChatClient.IsError(reply, "rate_limited")) limited++;
                }
            Assert.Equal(50, acks + limited);
            Assert.InRange(acks, 1, 30); // 10 left in the bucket, plus 2/s refill while the test runs
        }
        finally
        {
            foreach (ChatClient client in clients)
                await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Over_the_per_ip_cap_the_chat_handshake_gets_503_with_retry_after()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxConnectionsPerIp = 2);
        await using ChatClient one = await ChatClient.GuestAsync(server, "one");
        ChatClient two = await ChatClient.GuestAsync(server, "two");

        string response = await RawHandshakeAsync(server);
        Assert.StartsWith("HTTP/1.1 503", response);
        Assert.Contains("Retry-After:", response, StringComparison.OrdinalIgnoreCase);
        await Assert.ThrowsAsync<WebSocketException>(() => ChatClient.ConnectAsync(server));

        // A slot frees when a connection closes (the server notices asynchronously: bounded retries).
        await two.DisposeAsync();
        string? upgraded = null;
        for (int i = 0; i < 50 && upgraded is null; i++)
        {
            string attempt = await RawHandshakeAsync(server);
            if (attempt.StartsWith("HTTP/1.1 101", StringComparison.Ordinal)) upgraded = attempt;
            else await Task.Delay(100);
        }
        Assert.NotNull(upgraded);
    }

    [Fact]
    public async Task Over_the_total_cap_the_chat_handshake_gets_503()
    {
        await using TestServer server = await TestServer.StartAsync(o => { o.MaxConnections = 2; o.MaxConnectionsPerIp = 100; });
        await using ChatClient one = await ChatClient.GuestAsync(server, "one");
        await using ChatClient two = await ChatClient.GuestAsync(server, "two");
        string response = await RawHandshakeAsync(server);
        Assert.StartsWith("HTTP/1.1 503", response);
        Assert.Contains("Retry-After:", response, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>An upgrade request to /chat over a plain socket; returns the response head.</summary>
    private static async Task<string> RawHandshakeAsync(TestServer server)
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tcp.ConnectAsync(server.EndPoint, timeout.Token);
        NetworkStream stream = tcp.GetStream();
        string request =
            "GET /chat HTTP/1.1\r\n" +
            $"Host: 127.0.0.1:{server.Port}\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Protocol: rawsocketchat.v1\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        var head = new StringBuilder();
        byte[] buffer = new byte[1024];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0) break;
            head.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        return head.ToString();
    }
}
