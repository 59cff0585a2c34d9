using System.Net;
using System.Text.Json;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Monitoring;

/// <summary>
/// <c>GET /debug/memory</c> pauses the whole server for a full collection, so it exists only with
/// <c>--diagnostics on</c> and only for loopback clients.
/// </summary>
public sealed class MemoryPageTests
{
    [Fact]
    public async Task Without_diagnostics_there_is_no_memory_page()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var http = new HttpClient();
        HttpResponseMessage response = await http.GetAsync($"http://127.0.0.1:{server.Port}/debug/memory");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task With_diagnostics_a_loopback_client_gets_the_live_heap_and_reachable_connections()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.Diagnostics = true);
        await using RawClient client = await RawClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port));
        Assert.Equal(101, (await client.HandshakeAsync(RawClient.UpgradeRequest("/echo"))).StatusCode);
        await client.SendTextAsync("hello");
        Assert.Equal("hello", (await client.ReadDataFrameAsync()).Text);

        using var http = new HttpClient();
        HttpResponseMessage response = await http.GetAsync($"http://127.0.0.1:{server.Port}/debug/memory");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement root = json.RootElement;
        Assert.True(root.GetProperty("liveHeapBytes").GetInt64() > 0);
        Assert.True(root.GetProperty("committedBytes").GetInt64() >= root.GetProperty("liveHeapBytes").GetInt64() / 2);
        Assert.Equal(1, root.GetProperty("connectionsOpen").GetInt64());
        // The open connection is reachable (the server holds it); nothing else was ever opened.
        Assert.Equal(1, root.GetProperty("connectionsReachable").GetInt64());
    }

    [Fact]
    public async Task A_client_behind_a_trusted_proxy_is_not_loopback_and_gets_403()
    {
        await using TestServer server = await TestServer.StartAsync(o =>
        {
            o.Diagnostics = true;
            o.TrustedProxies = "127.0.0.1";
        });
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}/debug/memory");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        HttpResponseMessage response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
