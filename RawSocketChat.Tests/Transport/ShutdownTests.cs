using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Transport;

/// <summary>Graceful shutdown: every open connection is told "going away" (RFC 6455 §7.4.1, 1001) before the server stops.</summary>
public sealed class ShutdownTests
{
    [Fact]
    [Trait("Rfc", "6455-5.5.1-close-tcp")]
    [Trait("Rfc", "6455-7.1.2-start")]
    [Trait("Rfc", "6455-7.3-close-any-time")]
    public async Task Stopping_the_server_sends_close_1001_to_every_open_connection()
    {
        await using TestServer server = await TestServer.StartAsync();
        RawClient[] clients = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => RawClient.OpenAsync(server)));
        try
        {
            Task stop = server.StopAsync();

            foreach (RawClient client in clients)
            {
                ServerFrame close = await client.ReadFrameAsync();
                Assert.Equal(Opcode.Close, close.Opcode);
                Assert.Equal(CloseCode.GoingAway, close.CloseCode);
                await client.SendCloseAsync(CloseCode.GoingAway);
                await client.AssertServerClosesTcpAsync();
            }
            await stop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            foreach (RawClient client in clients)
                await client.DisposeAsync();
        }
    }

    /// <summary>
    /// A shutdown that begins just as a 101 goes out (the server's test seam starts it at that moment) still closes
    /// that connection with 1001. The 101 used to be written before the connection was registered, so the shutdown
    /// did not see it, and the client got a bare TCP close at the shutdown timeout.
    /// </summary>
    [Fact]
    public async Task A_shutdown_that_begins_as_a_101_goes_out_still_closes_that_connection_with_1001()
    {
        await using TestServer server = await TestServer.StartAsync();
        Task? stop = null;
        server.App.Server.AfterUpgradeWritten = () =>
        {
            stop ??= server.App.Server.StopAsync(); // walks the open connections before it first awaits
            return Task.CompletedTask;
        };

        await using RawClient client = await RawClient.OpenAsync(server);
        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Equal(CloseCode.GoingAway, close.CloseCode);
        await client.SendCloseAsync(CloseCode.GoingAway);
        await client.AssertServerClosesTcpAsync();
        await Volatile.Read(ref stop)!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("shutdown timeout", server.LogText);
    }

    [Fact]
    [Trait("Rfc", "6455-7.1.1-any-means")]
    public async Task Shutdown_does_not_wait_forever_for_a_client_that_never_answers_the_close()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.CloseTimeout = TimeSpan.FromMilliseconds(500));
        await using RawClient client = await RawClient.OpenAsync(server);

        Task stop = server.StopAsync();

        Assert.Equal(CloseCode.GoingAway, (await client.ReadFrameAsync()).CloseCode);
        // No answer from us: the close timeout drops TCP and the shutdown completes.
        await client.AssertServerClosesTcpAsync(TimeSpan.FromSeconds(10));
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_stopped_server_accepts_no_new_connections()
    {
        await using TestServer server = await TestServer.StartAsync();
        var endPoint = server.EndPoint;

        await server.StopAsync();

        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => RawClient.ConnectAsync(endPoint));
    }
}
