using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using RawSocketChat.Tests.Support;
using Xunit.Abstractions;

namespace RawSocketChat.Tests.Proxy;

/// <summary>
/// RawSocketChat behind the real nginx, configured with <c>deploy/nginx-proxy.conf</c>. The clients connect to nginx
/// from different loopback addresses (127.0.0.2, 127.0.0.3…), which nginx appends to X-Forwarded-For as it would a
/// real client's; the server always sees the TCP peer 127.0.0.1. With <c>--trusted-proxies 127.0.0.1</c> the per-IP
/// limits are counted on the forwarded address; without it, everybody behind the proxy is one client.
/// </summary>
[Collection(HeavyTests.Name)]
public sealed class NginxProxyTests(ITestOutputHelper output)
{
    // Small, exact budgets, so the difference between "one address" and "two" is a count, not a timing:
    // 5 messages/s and bursts of 10 per connection (the defaults); 12 per address with (practically) no refill.
    private static readonly string[] Limits =
        ["--max-connections-per-ip", "2", "--ip-burst", "12", "--ip-rate", "0.001", "--handshake-timeout", "5s"];

    private static readonly string[] Trusted = [.. Limits, "--trusted-proxies", "127.0.0.1"];

    [SkippableFact]
    public async Task The_chat_works_through_nginx_and_the_server_sees_the_forwarded_client_address()
    {
        Nginx.Require();
        await using ServerProcess server = await ServerProcess.StartAsync(Trusted);
        await using Nginx nginx = await Nginx.StartAsync(server.Port);
        using HttpMessageInvoker from2 = SourceAddress.Invoker(SourceAddress.Loopback(2));
        using HttpMessageInvoker from3 = SourceAddress.Invoker(SourceAddress.Loopback(3));

        // The page, through the proxy.
        using (var http = new HttpClient(new SocketsHttpHandler(), disposeHandler: true))
        {
            HttpResponseMessage page = await http.GetAsync(nginx.HttpUri(0));
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }

        // The chat: the subprotocol is negotiated end to end, messages and acks flow both ways.
        await using ChatClient alice = await ChatClient.GuestAsync(nginx.WebSocketUri(0), "alice", from2);
        await using ChatClient bob = await ChatClient.GuestAsync(nginx.WebSocketUri(0), "bob", from3);
        Assert.Equal("rawsocketchat.v1", alice.Socket.SubProtocol);
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");
        JsonElement ack = await alice.SayAsync("lobby", "hello through nginx");
        Assert.Equal("ack", ChatClient.Type(ack));
        JsonElement seen = await bob.ReceiveAsync(m => ChatClient.Type(m) == "message");
        Assert.Equal("hello through nginx", seen.GetProperty("text").GetString());
        Assert.Equal(ack.GetProperty("id").GetString(), seen.GetProperty("id").GetString());

        // The server's peer is nginx; the client it logs and limits is the address nginx forwarded.
        Assert.Matches(@"open id=\d+ peer=127\.0\.0\.1:\d+ client=127\.0\.0\.2 path=/chat", server.LogText);
        Assert.Matches(@"open id=\d+ peer=127\.0\.0\.1:\d+ client=127\.0\.0\.3 path=/chat", server.LogText);
        server.AssertHealthy();
    }

    [SkippableFact]
    public async Task With_the_proxy_trusted_each_client_address_has_its_own_budget_and_connection_cap()
    {
        Nginx.Require();
        await using ServerProcess server = await ServerProcess.StartAsync(Trusted);
        await using Nginx nginx = await Nginx.StartAsync(server.Port);

        (int acks, int limited) = await TwoClientsSendEightEachAsync(nginx);
        output.WriteLine($"trusted proxy: 127.0.0.2 and 127.0.0.3 sent 8 each → {acks} acknowledged, {limited} rate_limited");
        // Each address: 12 tokens, 2 for login and join, 8 messages: all of them pass.
        Assert.Equal(16, acks);
        Assert.Equal(0, limited);

        // Connection cap per address (2): a third connection from 127.0.0.2 is refused, 127.0.0.4 is not. (First the
        // server must have seen the two chat clients above leave.)
        await Transport.Eventually.TrueAsync(() => server.CountLog("close id=") >= 2, "the first clients' connections to end");
        using HttpMessageInvoker from2 = SourceAddress.Invoker(SourceAddress.Loopback(2));
        using HttpMessageInvoker from4 = SourceAddress.Invoker(SourceAddress.Loopback(4));
        await using ChatClient first = await ChatClient.ConnectAsync(nginx.WebSocketUri(0), from2);
        await using ChatClient second = await ChatClient.ConnectAsync(nginx.WebSocketUri(0), from2);
        WebSocketException refused = await Assert.ThrowsAsync<WebSocketException>(() => ChatClient.ConnectAsync(nginx.WebSocketUri(0), from2));
        Assert.Contains("503", refused.Message);
        await using ChatClient other = await ChatClient.ConnectAsync(nginx.WebSocketUri(0), from4);
        server.AssertHealthy();
    }

    [SkippableFact]
    public async Task Without_trust_everyone_behind_the_proxy_shares_one_budget_and_one_connection_cap()
    {
        Nginx.Require();
        await using ServerProcess server = await ServerProcess.StartAsync(Limits);
        await using Nginx nginx = await Nginx.StartAsync(server.Port);

        (int acks, int limited) = await TwoClientsSendEightEachAsync(nginx);
        output.WriteLine($"untrusted proxy: 127.0.0.2 and 127.0.0.3 sent 8 each → {acks} acknowledged, {limited} rate_limited");
        // One address (127.0.0.1, nginx): 12 tokens; two logins and two joins leave 8 for 16 messages.
        Assert.Equal(8, acks);
        Assert.Equal(8, limited);
        Assert.DoesNotContain("client=127.0.0.2", server.LogText);

        // Two connections from anywhere fill the cap of the one address the server sees.
        await Transport.Eventually.TrueAsync(() => server.CountLog("close id=") >= 2, "the first clients' connections to end");
        using HttpMessageInvoker from2 = SourceAddress.Invoker(SourceAddress.Loopback(2));
        using HttpMessageInvoker from3 = SourceAddress.Invoker(SourceAddress.Loopback(3));
        using HttpMessageInvoker from4 = SourceAddress.Invoker(SourceAddress.Loopback(4));
        await using ChatClient first = await ChatClient.ConnectAsync(nginx.WebSocketUri(0), from2);
        await using ChatClient second = await ChatClient.ConnectAsync(nginx.WebSocketUri(0), from3);
        WebSocketException refused = await Assert.ThrowsAsync<WebSocketException>(() => ChatClient.ConnectAsync(nginx.WebSocketUri(0), from4));
        Assert.Contains("503", refused.Message);
        server.AssertHealthy();
    }

    [SkippableFact]
    public async Task A_client_cannot_choose_its_address_by_sending_its_own_x_forwarded_for()
    {
        Nginx.Require();
        await using ServerProcess server = await ServerProcess.StartAsync(Trusted);
        await using Nginx nginx = await Nginx.StartAsync(server.Port);

        // From 127.0.0.5, claiming to be 203.0.113.7: nginx appends 127.0.0.5, the right-most untrusted hop.
        using HttpMessageInvoker from5 = SourceAddress.Invoker(SourceAddress.Loopback(5));
        await using ChatClient liar = await ChatClient.ConnectAsync(nginx.WebSocketUri(0), from5,
            o => o.SetRequestHeader("X-Forwarded-For", "203.0.113.7"));
        // From 127.0.0.1 — an address the server trusts as a proxy — the same claim is believed: the chain is
        // "203.0.113.7, 127.0.0.1" and every hop after 203.0.113.7 is trusted.
        await using ChatClient relay = await ChatClient.ConnectAsync(nginx.WebSocketUri(0), null,
            o => o.SetRequestHeader("X-Forwarded-For", "203.0.113.7"));

        // (The server logs "open" just after sending the 101: wait for both lines.)
        await Transport.Eventually.TrueAsync(() => server.CountLog(" open id=") >= 2, "both connections to be logged");
        Assert.Matches(@"open id=\d+ peer=127\.0\.0\.1:\d+ client=127\.0\.0\.5 path=/chat", server.LogText);
        Assert.Matches(@"open id=\d+ peer=127\.0\.0\.1:\d+ client=203\.0\.113\.7 path=/chat", server.LogText);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(server.LogText, @"client=203\.0\.113\.7 path=/chat"));
        server.AssertHealthy();
    }

    [SkippableFact]
    public async Task A_flood_through_nginx_is_rate_limited_then_closed_with_1008()
    {
        Nginx.Require();
        await using ServerProcess server = await ServerProcess.StartAsync(["--trusted-proxies", "127.0.0.1", "--flood-window", "2s"]);
        await using Nginx nginx = await Nginx.StartAsync(server.Port);
        using HttpMessageInvoker from2 = SourceAddress.Invoker(SourceAddress.Loopback(2));
        await using ChatClient flooder = await ChatClient.GuestAsync(nginx.WebSocketUri(0), "flooder", from2);
        await flooder.JoinAsync("lobby");

        for (int i = 0; i < 500 && !flooder.IsClosed; i++)
        {
            try
            {
                await flooder.SendJsonAsync(new { type = "send", room = "lobby", text = "spam", @ref = $"s{i}" });
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
            {
                break;
            }
        }
        await flooder.WaitClosedAsync(TimeSpan.FromSeconds(15));

        Assert.Contains(flooder.AllReceived, m => ChatClient.IsError(m, "rate_limited"));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, flooder.CloseStatus);
        Assert.Equal("message flood", flooder.CloseDescription);
        Assert.Matches(@"chat flood id=\d+ client=127\.0\.0\.2 ", server.LogText);
        server.AssertHealthy();
    }

    [SkippableFact]
    public async Task The_shipped_site_configuration_passes_nginx_config_test()
    {
        (int exitCode, string result) = await Nginx.CheckSiteConfigAsync();
        output.WriteLine(result);
        Assert.True(exitCode == 0, $"nginx -t refused deploy/nginx.conf:\n{result}");
        Assert.Contains("syntax is ok", result);
    }

    /// <summary>Clients from 127.0.0.2 and 127.0.0.3 log in and join, then send 8 messages each, one at a time.</summary>
    private static async Task<(int Acks, int Limited)> TwoClientsSendEightEachAsync(Nginx nginx)
    {
        using HttpMessageInvoker from2 = SourceAddress.Invoker(SourceAddress.Loopback(2));
        using HttpMessageInvoker from3 = SourceAddress.Invoker(SourceAddress.Loopback(3));
        await using ChatClient a = await ChatClient.GuestAsync(nginx.WebSocketUri(0), "alice", from2);
        await using ChatClient b = await ChatClient.GuestAsync(nginx.WebSocketUri(0), "bob", from3);
        await a.JoinAsync("lobby");
        await b.JoinAsync("lobby");
        int acks = 0, limited = 0;
        foreach (ChatClient client in new[] { a, b })
        {
            for (int i = 0; i < 8; i++)
            {
                JsonElement reply = await client.SayAsync("lobby", $"message {i}");
                if (ChatClient.Type(reply) == "ack") acks++;
                else if (ChatClient.IsError(reply, "rate_limited")) limited++;
                else Assert.Fail($"unexpected reply {reply.GetRawText()}");
            }
        }
        return (acks, limited);
    }
}
