using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Deflate;

/// <summary>
/// permessage-deflate against two independent implementations: Node's <c>ws</c> (zlib) and .NET's
/// <see cref="ClientWebSocket"/> with <see cref="WebSocketDeflateOptions"/> (its own zlib binding). Every echo must be
/// byte-for-byte what was sent, in every parameter combination. Both inflate with exactly the window they asked
/// for, so a server window smaller than 15 bits is checked too: a reference further back fails their inflate.
/// Chromium is not installed on this machine, so the browser case is not run here.
/// </summary>
public class DeflateInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    // ---- Node ws ----

    [SkippableTheory]
    [InlineData("{\"threshold\":0}", "{}")]
    [InlineData("{\"threshold\":0,\"serverNoContextTakeover\":true}", "{\"server_no_context_takeover\":true}")]
    [InlineData("{\"threshold\":0,\"clientNoContextTakeover\":true}", "{\"client_no_context_takeover\":true}")]
    [InlineData("{\"threshold\":0,\"serverNoContextTakeover\":true,\"clientNoContextTakeover\":true}", "{\"server_no_context_takeover\":true,\"client_no_context_takeover\":true}")]
    [InlineData("{\"threshold\":0,\"clientMaxWindowBits\":10}", "{\"client_max_window_bits\":10}")]
    [InlineData("{\"threshold\":0,\"serverMaxWindowBits\":15}", "{\"server_max_window_bits\":15}")]
    [InlineData("{\"threshold\":0,\"serverMaxWindowBits\":9}", "{\"server_max_window_bits\":9}")]
    [InlineData("{\"threshold\":0,\"serverMaxWindowBits\":12}", "{\"server_max_window_bits\":12}")]
    [InlineData("{\"threshold\":0,\"serverMaxWindowBits\":9,\"serverNoContextTakeover\":true}", "{\"server_max_window_bits\":9,\"server_no_context_takeover\":true}")]
    public async Task Node_ws_with_permessage_deflate_echoes_everything(string perMessageDeflate, string expectedParams)
    {
        await using TestServer server = await TestServer.StartAsync();
        JsonElement result = await NodeScripts.RunAsync("ws-deflate.mjs", server.WebSocketUri().ToString(),
            $"{{\"perMessageDeflate\":{perMessageDeflate}}}");

        Assert.Equal("permessage-deflate", result.GetProperty("extensions").GetString());
        Assert.Equal(Normalize(expectedParams), Normalize(result.GetProperty("negotiated").GetRawText()));
        Assert.Equal(1000, result.GetProperty("closeCode").GetInt32());
        // The echoes came back compressed: 64 KiB of text and 50 chat messages shrink, the 256 KiB of noise does not.
        long payload = result.GetProperty("payloadBytes").GetInt64();
        long received = result.GetProperty("bytesReceived").GetInt64();
        Assert.True(received < payload * 0.85, $"received {received} bytes for {payload} bytes of messages");
        Assert.DoesNotContain("unexpected error", server.LogText);
    }

    /// <summary>An 8-bit server window is agreed as asked, and our echoes come back uncompressed (RSV1 clear).</summary>
    [SkippableFact]
    public async Task Node_ws_offer_of_an_8_bit_server_window_is_agreed_and_our_messages_go_uncompressed()
    {
        await using TestServer server = await TestServer.StartAsync();
        JsonElement result = await NodeScripts.RunAsync("ws-deflate.mjs", server.WebSocketUri().ToString(),
            "{\"perMessageDeflate\":{\"threshold\":0,\"serverMaxWindowBits\":8}}");
        Assert.Equal("permessage-deflate", result.GetProperty("extensions").GetString());
        Assert.Equal("server_max_window_bits=8", Normalize(result.GetProperty("negotiated").GetRawText()));
        Assert.Equal(1000, result.GetProperty("closeCode").GetInt32());
        Assert.True(result.GetProperty("bytesReceived").GetInt64() > result.GetProperty("payloadBytes").GetInt64());
    }

    private static string Normalize(string json) =>
        string.Join(",", JsonDocument.Parse(json).RootElement.EnumerateObject().Select(p => $"{p.Name}={p.Value}").Order());

    // ---- .NET ClientWebSocket ----

    /// <summary>ClientWebSocket offers window bits only when they are not 15; our answer states what is in force.</summary>
    public static TheoryData<string, WebSocketDeflateOptions, string?> ClientOptions => new()
    {
        { "defaults", new WebSocketDeflateOptions(), "permessage-deflate" },
        { "client no context takeover", new WebSocketDeflateOptions { ClientContextTakeover = false },
            "permessage-deflate; client_no_context_takeover" },
        { "server no context takeover", new WebSocketDeflateOptions { ServerContextTakeover = false },
            "permessage-deflate; server_no_context_takeover" },
        { "9-bit client window", new WebSocketDeflateOptions { ClientMaxWindowBits = 9 },
            "permessage-deflate; client_max_window_bits=9" },
        { "12-bit server window", new WebSocketDeflateOptions { ServerMaxWindowBits = 12 },
            "permessage-deflate; server_max_window_bits=12" },
        { "9-bit server window, no context takeover", new WebSocketDeflateOptions { ServerMaxWindowBits = 9, ServerContextTakeover = false },
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=9" },
        { "9-bit windows both ways", new WebSocketDeflateOptions { ServerMaxWindowBits = 9, ClientMaxWindowBits = 9 },
            "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9" },
    };

    [Theory]
    [MemberData(nameof(ClientOptions))]
    public async Task ClientWebSocket_with_deflate_echoes_everything(string name, WebSocketDeflateOptions deflate, string? expectedExtensions)
    {
        _ = name;
        await using TestServer server = await TestServer.StartAsync();
        using var socket = new ClientWebSocket();
        socket.Options.DangerousDeflateOptions = deflate;
        socket.Options.CollectHttpResponseDetails = true;
        using (var connect = new CancellationTokenSource(Timeout))
            await socket.ConnectAsync(server.WebSocketUri(), connect.Token);

        string? answered = socket.HttpResponseHeaders?.TryGetValue("Sec-WebSocket-Extensions", out IEnumerable<string>? values) == true
            ? string.Join(", ", values)
            : null;
        Assert.Equal(Canonical(expectedExtensions), Canonical(answered));

        await EchoSuiteAsync(socket);
        using var close = new CancellationTokenSource(Timeout);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", close.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        Assert.DoesNotContain("unexpected error", server.LogText);
    }

    /// <summary>Parameters in a fixed order, so the comparison does not depend on the order each side writes them.</summary>
    private static string? Canonical(string? extensions) =>
        extensions is null ? null : string.Join("; ", extensions.Split(';', StringSplitOptions.TrimEntries).Order());

    /// <summary>Chat-like messages in a row (context takeover), large text, noise, Unicode, and a fragmented message.</summary>
    internal static async Task EchoSuiteAsync(ClientWebSocket socket)
    {
        var random = new Random(42);
        var messages = new List<(WebSocketMessageType, byte[])>();
        for (int i = 0; i < 30; i++)
            messages.Add((WebSocketMessageType.Text, Encoding.UTF8.GetBytes($"{{\"type\":\"message\",\"user\":\"user{i % 5}\",\"text\":\"héllo number {i}\"}}")));
        messages.Add((WebSocketMessageType.Text, Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 2500)))));
        var noise = new byte[200 * 1024];
        random.NextBytes(noise);
        messages.Add((WebSocketMessageType.Binary, noise));
        messages.Add((WebSocketMessageType.Text, "héllo 👋 世界 🎉"u8.ToArray()));
        messages.Add((WebSocketMessageType.Binary, []));

        foreach ((WebSocketMessageType type, byte[] data) in messages)
        {
            using var cts = new CancellationTokenSource(Timeout);
            await socket.SendAsync(data, type, endOfMessage: true, cts.Token);
            (WebSocketMessageType gotType, byte[] got) = await ReceiveAsync(socket);
            Assert.Equal(type, gotType);
            Assert.Equal(data, got);
        }

        // One message sent in three pieces: ClientWebSocket compresses them as fragments of one compressed message.
        byte[] whole = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 300).Select(i => $"fragment {i}; ")));
        using (var cts = new CancellationTokenSource(Timeout))
        {
            int third = whole.Length / 3;
            await socket.SendAsync(whole.AsMemory(0, third), WebSocketMessageType.Text, endOfMessage: false, cts.Token);
            await socket.SendAsync(whole.AsMemory(third, third), WebSocketMessageType.Text, endOfMessage: false, cts.Token);
            await socket.SendAsync(whole.AsMemory(2 * third), WebSocketMessageType.Text, endOfMessage: true, cts.Token);
        }
        Assert.Equal(whole, (await ReceiveAsync(socket)).Data);
    }

    internal static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(ClientWebSocket socket)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, cts.Token);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
                return (result.MessageType, message.ToArray());
        }
    }
}
