using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Transport;

/// <summary>
/// Caps on open WebSocket connections (RFC 6455 §10.4 leaves such limits to the server). A client over a cap gets
/// 503 with Retry-After before any upgrade; a slot freed by a closed connection can be taken again.
/// </summary>
public sealed class ConnectionLimitTests
{
    [Fact]
    [Trait("Rfc", "6455-10.4-connections")]
    public async Task Third_connection_from_one_ip_gets_503_until_one_closes()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxConnectionsPerIp = 2);
        await AssertCapOfTwoAsync(server);
    }

    [Fact]
    [Trait("Rfc", "6455-10.4-connections")]
    public async Task Connection_over_the_total_cap_gets_503_until_one_closes()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxConnections = 2);
        await AssertCapOfTwoAsync(server);
    }

    private static async Task AssertCapOfTwoAsync(TestServer server)
    {
        await using RawClient first = await RawClient.OpenAsync(server);
        await using RawClient second = await RawClient.OpenAsync(server);

        await using (RawClient third = await RawClient.ConnectAsync(server.EndPoint))
        {
            HttpHead refused = await third.HandshakeAsync(RawClient.UpgradeRequest());
            Assert.Equal(503, refused.StatusCode);
            Assert.NotNull(refused.Header("Retry-After"));
            Assert.Equal("close", refused.Header("Connection"), ignoreCase: true);
            await third.AssertServerClosesTcpAsync();
        }

        // Close one properly; once the server has closed TCP its slot is free.
        await first.SendCloseAsync(CloseCode.NormalClosure);
        Assert.Equal(Opcode.Close, (await first.ReadFrameAsync()).Opcode);
        await first.AssertServerClosesTcpAsync();

        await using RawClient replacement = await RawClient.OpenAsync(server);
        await replacement.SendTextAsync("in");
        Assert.Equal("in", (await replacement.ReadFrameAsync()).Text);

        // The survivors were never disturbed.
        await second.SendTextAsync("still");
        Assert.Equal("still", (await second.ReadFrameAsync()).Text);
    }

    [Fact]
    public async Task Plain_http_requests_do_not_use_up_websocket_slots()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxConnectionsPerIp = 1);

        for (int i = 0; i < 3; i++)
        {
            await using RawClient page = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal(200, (await page.HandshakeAsync("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")).StatusCode);
        }

        await using RawClient socket = await RawClient.OpenAsync(server);
    }
}
