using System.Text.Json;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Interop;

/// <summary>
/// Node's <c>ws</c> package, the most used WebSocket implementation in JavaScript, as the client of <c>/echo</c>.
/// The scenarios live in <c>node-interop/ws-client.mjs</c>; each prints what it observed as JSON. permessage-deflate is
/// off, as the server negotiates no extension. Skipped when Node is not installed, except on CI.
/// </summary>
public sealed class NodeWsTests
{
    [SkippableFact]
    public async Task Text_message_round_trips()
    {
        NodeWs.RequireNode();
        await using TestServer server = await TestServer.StartAsync();

        JsonElement result = await NodeWs.RunAsync(server.WebSocketUri(), "text");

        Assert.False(result.GetProperty("isBinary").GetBoolean());
        Assert.Equal("hello from ws", result.GetProperty("text").GetString());
    }

    [SkippableFact]
    public async Task Binary_message_round_trips()
    {
        NodeWs.RequireNode();
        await using TestServer server = await TestServer.StartAsync();

        JsonElement result = await NodeWs.RunAsync(server.WebSocketUri(), "binary");

        Assert.True(result.GetProperty("isBinary").GetBoolean());
        Assert.Equal("0001027f80feff", result.GetProperty("hex").GetString());
    }

    [SkippableFact]
    public async Task Emoji_and_cjk_text_round_trips()
    {
        NodeWs.RequireNode();
        await using TestServer server = await TestServer.StartAsync();

        JsonElement result = await NodeWs.RunAsync(server.WebSocketUri(), "unicode");

        Assert.Equal("héllo 👋 世界 🎉", result.GetProperty("text").GetString());
    }

    [SkippableFact]
    public async Task One_mebibyte_message_sent_in_fragments_comes_back_whole()
    {
        NodeWs.RequireNode();
        await using TestServer server = await TestServer.StartAsync();

        JsonElement result = await NodeWs.RunAsync(server.WebSocketUri(), "fragmented");

        Assert.True(result.GetProperty("isBinary").GetBoolean());
        Assert.Equal(1024 * 1024, result.GetProperty("length").GetInt32());
        Assert.Equal(result.GetProperty("sentSha256").GetString(), result.GetProperty("receivedSha256").GetString());
    }

    [SkippableFact]
    public async Task Ping_is_answered_with_a_pong_of_the_same_payload()
    {
        NodeWs.RequireNode();
        await using TestServer server = await TestServer.StartAsync();

        JsonElement result = await NodeWs.RunAsync(server.WebSocketUri(), "ping");

        // RFC 6455 §5.5.3: the Pong carries the Ping's application data.
        Assert.Equal(result.GetProperty("sent").GetString(), result.GetProperty("pong").GetString());
    }

    [SkippableFact]
    public async Task Client_close_1000_is_echoed()
    {
        NodeWs.RequireNode();
        await using TestServer server = await TestServer.StartAsync();

        JsonElement result = await NodeWs.RunAsync(server.WebSocketUri(), "close");

        Assert.Equal(1000, result.GetProperty("code").GetInt32());
    }

    [SkippableFact]
    public async Task Message_over_the_limit_is_refused_with_1009()
    {
        NodeWs.RequireNode();
        await using TestServer server = await TestServer.StartAsync(o => o.MaxMessageBytes = 1000);

        // ws-client.mjs sends 8 MiB in one message: the Close 1009 must reach it although the server stops reading
        // after the frame header (before the lingering close, ws usually saw only a reset and reported 1006).
        JsonElement result = await NodeWs.RunAsync(server.WebSocketUri(), "toobig");

        Assert.Equal(1009, result.GetProperty("code").GetInt32());
        Assert.DoesNotContain("unexpected error", server.LogText);
    }
}
