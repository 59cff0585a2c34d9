using System.Diagnostics;
using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Transport;

/// <summary>
/// The server's timers, with intervals shortened so the tests take a second or two: a Ping when a peer is quiet
/// (RFC 6455 §5.5.2, keepalive), a Close 1001 when it stays silent past the idle timeout, and a bounded wait for the
/// peer's answering Close (§7.1.1) before TCP is dropped.
/// </summary>
public sealed class HeartbeatTests
{
    private static readonly TimeSpan PingInterval = TimeSpan.FromMilliseconds(200);
    // 1.8 s between a ping and the idle deadline: a test thread answering late on a loaded machine is not idle.
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    [Trait("Rfc", "6455-5.1-server-unmasked")]
    [Trait("Rfc", "6455-5.5-control-length-sent")]
    [Trait("Rfc", "6455-5.5.2-ping")]
    public async Task Quiet_client_receives_pings()
    {
        await using TestServer server = await TestServer.StartAsync(o =>
        {
            o.PingInterval = PingInterval;
            o.IdleTimeout = TimeSpan.FromSeconds(5);
        });
        await using RawClient client = await RawClient.OpenAsync(server);

        ServerFrame first = await client.ReadFrameAsync();
        ServerFrame second = await client.ReadFrameAsync();

        Assert.Equal(Opcode.Ping, first.Opcode);
        Assert.Equal(Opcode.Ping, second.Opcode);
        Assert.False(first.Masked);
        Assert.InRange(first.Payload.Length, 0, 125); // a control frame (§5.5)
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.2-ping")]
    public async Task Client_that_answers_pings_stays_open_past_the_idle_timeout()
    {
        await using TestServer server = await TestServer.StartAsync(o =>
        {
            o.PingInterval = PingInterval;
            o.IdleTimeout = IdleTimeout;
        });
        await using RawClient client = await RawClient.OpenAsync(server);

        // Answer every ping for 2.5 idle timeouts: each Pong is traffic, so the connection is never idle.
        int pings = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < IdleTimeout * 2.5)
        {
            ServerFrame frame = await client.ReadFrameAsync();
            Assert.True(frame.Opcode == Opcode.Ping, $"expected only pings, got {frame}");
            pings++;
            // RFC 6455 §5.5.2: the Pong echoes the Ping's application data.
            await client.SendFrameAsync(Opcode.Pong, frame.Payload);
        }

        Assert.True(pings >= 2, $"expected several pings, got {pings}");
        await client.SendTextAsync("still here");
        Assert.Equal("still here", (await client.ReadDataFrameAsync()).Text);
    }

    [Fact]
    [Trait("Rfc", "6455-7.1.1-any-means")]
    [Trait("Rfc", "6455-7.1.2-start")]
    [Trait("Rfc", "6455-7.3-close-any-time")]
    public async Task Silent_client_gets_close_1001_then_tcp_is_dropped_after_the_close_timeout()
    {
        TimeSpan closeTimeout = TimeSpan.FromMilliseconds(600);
        await using TestServer server = await TestServer.StartAsync(o =>
        {
            o.PingInterval = PingInterval;
            o.IdleTimeout = IdleTimeout;
            o.CloseTimeout = closeTimeout;
        });
        await using RawClient client = await RawClient.OpenAsync(server);

        // Pings arrive first and go unanswered; then the idle timeout closes with 1001 "going away" (§7.4.1).
        ServerFrame close = await client.ReadDataFrameAsync();
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Equal(CloseCode.GoingAway, close.CloseCode);

        // We never answer the Close. The server waits for our half of the handshake, but not forever.
        var waited = Stopwatch.StartNew();
        await client.AssertServerClosesTcpAsync(TimeSpan.FromSeconds(10));
        Assert.True(waited.Elapsed >= closeTimeout / 2, $"TCP was dropped {waited.ElapsedMilliseconds} ms after the Close: the server did not wait for the client's Close");
        await Eventually.TrueAsync(() => server.LogText.Contains("idle timeout"), "the idle-timeout close to be logged"); // logged as the connection unwinds, just after TCP
    }

    /// <summary>A server that closes an idle client quickly and waits for its answer far longer than a test takes.</summary>
    private static Task<TestServer> StartClosingIdleAsync() => TestServer.StartAsync(o =>
    {
        o.PingInterval = PingInterval;
        o.IdleTimeout = IdleTimeout;
        o.CloseTimeout = TimeSpan.FromSeconds(30);
    });

    [Fact]
    [Trait("Rfc", "6455-5.5.1-no-data-after-close")]
    [Trait("Rfc", "6455-5.5.1-close-tcp")]
    [Trait("Rfc", "6455-7.1.1-server-first")]
    public async Task Server_initiated_close_ends_as_soon_as_the_client_answers_it()
    {
        await using TestServer server = await StartClosingIdleAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        ServerFrame close = await client.ReadDataFrameAsync();
        Assert.Equal(CloseCode.GoingAway, close.CloseCode);
        // A message still in flight when the server's Close arrived is not echoed: RFC 6455 §5.5.1, after sending a
        // Close an endpoint "MUST NOT send any more data frames".
        await client.SendTextAsync("in flight");
        await client.SendCloseAsync(CloseCode.GoingAway);

        // RFC 6455 §7.1.1: with both Close frames exchanged, the server closes TCP at once, not at the close timeout,
        // and sends nothing more first (no echo, no second Close).
        await client.AssertServerClosesTcpAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => server.App.Server.OpenConnections == 0, "the connection to leave the server's table");
    }

    /// <summary>
    /// RFC 6455 §5.5.2: "MUST send a Pong frame in response, unless it already received a Close frame" — a ping
    /// that crosses the server's Close (here: the idle timeout's) is still answered, after the Close and before the
    /// end of the connection.
    /// </summary>
    [Fact]
    [Trait("Rfc", "6455-5.5.2-pong-after-close")]
    public async Task Ping_sent_after_the_servers_close_still_gets_its_pong()
    {
        await using TestServer server = await StartClosingIdleAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        ServerFrame close = await client.ReadDataFrameAsync();
        Assert.Equal(CloseCode.GoingAway, close.CloseCode);
        await client.SendFrameAsync(Opcode.Ping, "still there?"u8);
        ServerFrame pong = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Pong, pong.Opcode);
        Assert.Equal("still there?"u8.ToArray(), pong.Payload);
        await client.SendCloseAsync(CloseCode.GoingAway);
        await client.AssertServerClosesTcpAsync(TimeSpan.FromSeconds(10));
    }
}
