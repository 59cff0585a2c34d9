using System.Net;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Inspector;

/// <summary>
/// The inspector over real sockets, with .NET's ClientWebSocket as the inspected client: the handshake as the server
/// saw it, the frames both ways, injected frames acted on by the real receiver, and nobody watching what is not theirs.
/// </summary>
public sealed class InspectorTests
{
    private static Task<TestServer> StartAsync(bool on = true) => TestServer.StartAsync(o => o.Inspector = on);

    private static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    private static async Task<ChatClient> WatchAsync(TestServer server, string token)
    {
        ChatClient feed = await ChatClient.ConnectAsync(server.WebSocketUri("/inspect/feed"), offerSubprotocol: false);
        await feed.SendJsonAsync(new { watch = token });
        JsonElement reply = await feed.ReceiveAsync(m => ChatClient.Type(m) is "watching" or "error");
        Assert.Equal("watching", ChatClient.Type(reply));
        return feed;
    }

    private static async Task<ClientWebSocket> OpenSubjectAsync(TestServer server, string token)
    {
        var socket = new ClientWebSocket();
        socket.Options.DangerousDeflateOptions = null;
        await socket.ConnectAsync(new Uri(server.WebSocketUri("/echo") + "?inspect=" + token), CancellationToken.None);
        return socket;
    }

    private static bool Frame(JsonElement m, string dir, string opname) =>
        ChatClient.Type(m) == "frame" && m.GetProperty("dir").GetString() == dir && m.TryGetProperty("opname", out JsonElement o) && o.GetString() == opname;

    [Fact]
    public async Task The_handshake_and_each_frame_both_ways_are_reported_as_they_crossed_the_socket()
    {
        await using TestServer server = await StartAsync();
        string token = NewToken();
        await using ChatClient feed = await WatchAsync(server, token);
        using ClientWebSocket subject = await OpenSubjectAsync(server, token);

        JsonElement handshake = await feed.ReceiveAsync("handshake");
        string key = Regex.Match(handshake.GetProperty("request").GetString()!, "Sec-WebSocket-Key: (.+)\r\n").Groups[1].Value;
        string expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        Assert.Equal(expected, handshake.GetProperty("accept").GetString());
        Assert.Contains($"Sec-WebSocket-Accept: {expected}\r\n", handshake.GetProperty("response").GetString());

        await subject.SendAsync(Encoding.UTF8.GetBytes("Hello"), WebSocketMessageType.Text, true, CancellationToken.None);
        JsonElement sent = await feed.ReceiveAsync(m => Frame(m, "in", "text"));
        Assert.True(sent.GetProperty("masked").GetBoolean());
        Assert.Equal("48 65 6c 6c 6f", sent.GetProperty("data").GetString());
        Assert.NotEqual(sent.GetProperty("data").GetString(), sent.GetProperty("wire").GetString()); // as masked on the wire
        JsonElement parsed = await feed.ReceiveAsync("parsed");
        Assert.Equal(("message", "Hello"), (parsed.GetProperty("event").GetString(), parsed.GetProperty("text").GetString()));
        JsonElement echoed = await feed.ReceiveAsync(m => Frame(m, "out", "text"));
        Assert.False(echoed.GetProperty("masked").GetBoolean());
        Assert.Equal("Hello", echoed.GetProperty("text").GetString());

        await subject.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        JsonElement close = await feed.ReceiveAsync(m => Frame(m, "in", "close"));
        Assert.Equal((1000, "bye"), (close.GetProperty("closeCode").GetInt32(), close.GetProperty("closeReason").GetString()));
        await feed.ReceiveAsync(m => Frame(m, "out", "close"));
        JsonElement closed = await feed.ReceiveAsync("closed");
        Assert.Equal(("client", 1000), (closed.GetProperty("by").GetString(), closed.GetProperty("code").GetInt32()));
    }

    [Fact]
    public async Task Injected_frames_are_acted_on_by_the_real_receiver()
    {
        await using TestServer server = await StartAsync();
        string token = NewToken();
        await using ChatClient feed = await WatchAsync(server, token);
        using ClientWebSocket subject = await OpenSubjectAsync(server, token);
        await feed.ReceiveAsync("handshake");
        var buffer = new byte[256];

        // A ping the browser could not send: the server answers it with a pong carrying the same data (§5.5.2).
        await feed.SendJsonAsync(new { inject = "ping" });
        JsonElement ping = await feed.ReceiveAsync(m => Frame(m, "in", "ping"));
        Assert.True(ping.GetProperty("injected").GetBoolean());
        JsonElement pong = await feed.ReceiveAsync(m => Frame(m, "out", "pong"));
        Assert.Equal(ping.GetProperty("data").GetString(), pong.GetProperty("wire").GetString());

        // Three fragments, one message: reassembled by the receiver and echoed whole to the real client.
        await feed.SendJsonAsync(new { inject = "fragmented" });
        WebSocketReceiveResult received = await subject.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal("Hello, fragmented world!", Encoding.UTF8.GetString(buffer, 0, received.Count));
        JsonElement first = await feed.ReceiveAsync(m => Frame(m, "in", "text"));
        JsonElement second = await feed.ReceiveAsync(m => Frame(m, "in", "continuation"));
        JsonElement third = await feed.ReceiveAsync(m => Frame(m, "in", "continuation"));
        Assert.Equal([false, false, true], new[] { first, second, third }.Select(f => f.GetProperty("fin").GetBoolean()));

        // A reserved opcode: the receiver fails the connection with 1002, and the client is told so.
        await feed.SendJsonAsync(new { inject = "reserved-opcode" });
        JsonElement failed = await feed.ReceiveAsync(m => ChatClient.Type(m) == "parsed" && m.GetProperty("event").GetString() == "failed");
        Assert.Equal(1002, failed.GetProperty("code").GetInt32());
        await feed.ReceiveAsync(m => Frame(m, "out", "close") && m.GetProperty("closeCode").GetInt32() == 1002);
        received = await subject.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, received.MessageType);
        Assert.Equal(WebSocketCloseStatus.ProtocolError, subject.CloseStatus);
    }

    [Fact]
    public async Task Nobody_watches_a_connection_that_is_not_theirs_and_other_connections_are_not_tapped()
    {
        await using TestServer server = await StartAsync();
        string token = NewToken();
        await using ChatClient owner = await WatchAsync(server, token);

        // The token is taken: a second feed cannot watch it too.
        await using ChatClient other = await ChatClient.ConnectAsync(server.WebSocketUri("/inspect/feed"), offerSubprotocol: false);
        await other.SendJsonAsync(new { watch = token });
        Assert.Equal("error", ChatClient.Type(await other.ReceiveAsync(m => ChatClient.Type(m) is "watching" or "error")));

        // A connection without the token, or with one nobody watches, is not reported anywhere.
        using ClientWebSocket plain = await OpenSubjectAsync(server, NewToken());
        await plain.SendAsync("not for you"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await plain.ReceiveAsync(new byte[64], CancellationToken.None);
        // Nor can a feed inject into a connection it does not watch.
        await other.SendJsonAsync(new { inject = "ping" });
        Assert.Equal("error", ChatClient.Type(await other.ReceiveAsync("error")));
        Assert.Null(await owner.TryReceiveAsync(m => ChatClient.Type(m) is "handshake" or "frame", TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task A_feed_answers_every_bad_command_with_an_error_and_stays_open()
    {
        await using TestServer server = await StartAsync();
        await using ChatClient feed = await ChatClient.ConnectAsync(server.WebSocketUri("/inspect/feed"), offerSubprotocol: false);
        async Task<string> ErrorFor(string text)
        {
            await feed.SendTextAsync(text);
            JsonElement reply = await feed.ReceiveAsync(m => ChatClient.Type(m) is "error" or "watching");
            Assert.Equal("error", ChatClient.Type(reply));
            return reply.GetProperty("message").GetString()!;
        }

        Assert.Contains("watch", await ErrorFor("not json"));
        Assert.Contains("watch", await ErrorFor("""{"watch":42}"""));
        Assert.Contains("16 to 64", await ErrorFor("""{"watch":"short"}"""));
        Assert.Contains("16 to 64", await ErrorFor("""{"watch":"has spaces in it, many of them"}"""));
        Assert.Contains("no open connection", await ErrorFor("""{"inject":"ping"}""")); // watching nothing yet
        string token = NewToken();
        await feed.SendJsonAsync(new { watch = token });
        Assert.Equal("watching", ChatClient.Type(await feed.ReceiveAsync(m => ChatClient.Type(m) is "error" or "watching")));
        Assert.Contains("already watches", await ErrorFor($$"""{"watch":"{{NewToken()}}"}"""));
        Assert.Contains("nothing to inject", await ErrorFor("""{"inject":"rm -rf"}"""));
        Assert.False(feed.IsClosed);
    }

    [Fact]
    public async Task The_inspector_is_off_by_default()
    {
        await using TestServer server = await StartAsync(on: false);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(server.HttpUri, "/inspect"))).StatusCode);
        await Assert.ThrowsAsync<WebSocketException>(() => ChatClient.ConnectAsync(server.WebSocketUri("/inspect/feed"), offerSubprotocol: false));
        Assert.False(new RawSocketChat.Hosting.ServerOptions().Inspector);
    }

    [Fact]
    public async Task The_page_is_served_with_the_inspector_on()
    {
        await using TestServer server = await StartAsync();
        using var http = new HttpClient();
        HttpResponseMessage page = await http.GetAsync(new Uri(server.HttpUri, "/inspect"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Frame inspector", await page.Content.ReadAsStringAsync());
    }
}
