using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Interop;

/// <summary>
/// .NET's own <see cref="ClientWebSocket"/>, an independent RFC 6455 implementation, against <c>/echo</c>. If the
/// hand-written server and a widely used client disagree about the protocol, one of these tests fails.
/// (Subprotocol negotiation does not apply: <c>/echo</c> offers none.)
/// </summary>
public sealed class ClientWebSocketTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    [Trait("Rfc", "6455-5.6-utf8-sent")]
    public async Task Text_message_round_trips()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket socket = await ConnectAsync(server);

        await socket.SendAsync("héllo 👋 世界"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, Cancel());
        (WebSocketMessageType type, byte[] data) = await ReceiveMessageAsync(socket);

        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal("héllo 👋 世界", Encoding.UTF8.GetString(data));
    }

    [Fact]
    public async Task Binary_message_round_trips()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket socket = await ConnectAsync(server);
        byte[] sent = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF];

        await socket.SendAsync(sent, WebSocketMessageType.Binary, endOfMessage: true, Cancel());
        (WebSocketMessageType type, byte[] data) = await ReceiveMessageAsync(socket);

        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(sent, data);
    }

    [Fact]
    [Trait("Rfc", "6455-5.4-receive-fragmented")]
    public async Task One_mebibyte_message_sent_in_fragments_comes_back_whole()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket socket = await ConnectAsync(server);
        byte[] message = RandomNumberGenerator.GetBytes(1024 * 1024);

        // Each SendAsync with endOfMessage: false puts one fragment on the wire (RFC 6455 §5.4).
        const int chunk = 100_000;
        for (int offset = 0; offset < message.Length; offset += chunk)
        {
            int length = Math.Min(chunk, message.Length - offset);
            await socket.SendAsync(message.AsMemory(offset, length), WebSocketMessageType.Binary, endOfMessage: offset + length == message.Length, Cancel());
        }
        (WebSocketMessageType type, byte[] data) = await ReceiveMessageAsync(socket);

        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(message.Length, data.Length);
        Assert.True(message.AsSpan().SequenceEqual(data), "the echoed message differs from the one sent");
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.2-ping")]
    public async Task Server_pings_are_answered_by_the_client_so_it_stays_open_past_the_idle_timeout()
    {
        await using TestServer server = await TestServer.StartAsync(o =>
        {
            o.PingInterval = TimeSpan.FromMilliseconds(200);
            o.IdleTimeout = TimeSpan.FromSeconds(2); // 1.8 s for each Pong to arrive, even on a loaded machine
        });
        using ClientWebSocket socket = await ConnectAsync(server, keepAlive: TimeSpan.Zero); // the client sends nothing on its own

        // ClientWebSocket answers Pings (§5.5.2) while a receive is pending. Keep one pending for 2 idle timeouts:
        // if the Pongs did not reach the server, it would close with 1001 and this receive would see the Close.
        var buffer = new byte[64];
        Task<WebSocketReceiveResult> pending = socket.ReceiveAsync(buffer, Cancel(TimeSpan.FromSeconds(20)));
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.False(pending.IsCompleted, HowItEnded(pending));

        await socket.SendAsync("still open"u8.ToArray(), WebSocketMessageType.Text, true, Cancel());
        WebSocketReceiveResult result = await pending.WaitAsync(Timeout);
        Assert.Equal("still open", Encoding.UTF8.GetString(buffer, 0, result.Count));
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.2-pong")]
    public async Task Client_keepalive_pings_are_answered_by_the_server()
    {
        await using TestServer server = await TestServer.StartAsync();
        // With KeepAliveTimeout set, ClientWebSocket sends Pings (not unsolicited Pongs) and aborts the connection
        // when no Pong comes back in time. The server must answer each one (§5.5.2).
        using ClientWebSocket socket = await ConnectAsync(server, keepAlive: TimeSpan.FromMilliseconds(100), keepAliveTimeout: TimeSpan.FromSeconds(1));

        var buffer = new byte[64];
        Task<WebSocketReceiveResult> pending = socket.ReceiveAsync(buffer, Cancel(TimeSpan.FromSeconds(20)));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(pending.IsCompleted, HowItEnded(pending));
        Assert.Equal(WebSocketState.Open, socket.State);

        await socket.SendAsync("pong received"u8.ToArray(), WebSocketMessageType.Text, true, Cancel());
        WebSocketReceiveResult result = await pending.WaitAsync(Timeout);
        Assert.Equal("pong received", Encoding.UTF8.GetString(buffer, 0, result.Count));
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.1-answer-close")]
    public async Task Client_normal_closure_is_echoed_as_1000()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket socket = await ConnectAsync(server);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Cancel());

        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task Message_over_the_limit_is_refused_with_message_too_big()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxMessageBytes = 1000);
        using ClientWebSocket socket = await ConnectAsync(server);

        await socket.SendAsync(new byte[64 * 1024], WebSocketMessageType.Binary, endOfMessage: true, Cancel());
        WebSocketReceiveResult result = await socket.ReceiveAsync(new byte[256], Cancel());

        // RFC 6455 §7.4.1: 1009, which .NET names MessageTooBig.
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, result.CloseStatus);
    }

    [Fact]
    public async Task Server_shutdown_is_seen_as_endpoint_unavailable()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket socket = await ConnectAsync(server);
        Task<WebSocketReceiveResult> receive = socket.ReceiveAsync(new byte[256], Cancel());

        Task stop = server.StopAsync();
        WebSocketReceiveResult result = await receive.WaitAsync(Timeout);
        await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "", Cancel());
        await stop.WaitAsync(Timeout);

        // 1001 "going away" is .NET's EndpointUnavailable.
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, result.CloseStatus);
    }

    private static async Task<ClientWebSocket> ConnectAsync(TestServer server, TimeSpan? keepAlive = null, TimeSpan? keepAliveTimeout = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = keepAlive ?? TimeSpan.Zero;
        if (keepAliveTimeout is { } timeout)
            socket.Options.KeepAliveTimeout = timeout;
        await socket.ConnectAsync(server.WebSocketUri(), Cancel());
        Assert.Null(socket.SubProtocol);
        return socket;
    }

    /// <summary>Reads frames until the end of one message, the way an application using ClientWebSocket must.</summary>
    private static async Task<(WebSocketMessageType, byte[])> ReceiveMessageAsync(ClientWebSocket socket)
    {
        using var message = new MemoryStream();
        var buffer = new byte[16 * 1024];
        CancellationToken token = Cancel();
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, token);
            if (result.MessageType == WebSocketMessageType.Close)
                throw new InvalidOperationException($"closed by the server: {result.CloseStatus} {result.CloseStatusDescription}");
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
                return (result.MessageType, message.ToArray());
        }
    }

    private static string HowItEnded(Task<WebSocketReceiveResult> receive) => receive.Status == TaskStatus.RanToCompletion
        ? $"the connection ended: {receive.GetAwaiter().GetResult().MessageType} {receive.GetAwaiter().GetResult().CloseStatus}"
        : $"the connection ended: {receive.Exception?.InnerException?.Message}";

    /// <summary>A token that bounds one operation, so no test can hang (the source is left to the GC: it holds only a timer).</summary>
    private static CancellationToken Cancel(TimeSpan? after = null) => new CancellationTokenSource(after ?? Timeout).Token;
}
