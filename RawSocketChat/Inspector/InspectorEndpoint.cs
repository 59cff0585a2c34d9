using System.Security.Cryptography;
using System.Text.Json;
using RawSocketChat.Http;
using RawSocketChat.Protocol;
using RawSocketChat.Transport;

namespace RawSocketChat.Inspector;

/// <summary>
/// <c>/inspect/feed</c>: the inspector page's own WebSocket. It says which connection to watch
/// (<c>{"watch":"TOKEN"}</c>) and receives the <see cref="FrameTap"/>'s reports; it may also ask for frames a
/// browser cannot send — a ping, a fragmented message, frames that break the rules — which the server then receives
/// on the watched connection as if the browser had sent them (<c>{"inject":"ping"}</c>), to see what the real
/// parser does with them. <c>GET /inspect</c> serves the page.
/// </summary>
public sealed class InspectorEndpoint(InspectorHub hub) : IWebSocketHandler
{
    private sealed class FeedState
    {
        public string? Token;
        public InspectorHub.Watch? Watch;
    }

    public IReadOnlyList<string> Subprotocols => [];

    public ValueTask OnOpenAsync(WebSocketConnection connection)
    {
        connection.State = new FeedState();
        return ValueTask.CompletedTask;
    }

    public ValueTask OnMessageAsync(WebSocketConnection connection, Opcode opcode, ReadOnlyMemory<byte> payload)
    {
        var state = (FeedState)connection.State!;
        string? watch = null, inject = null;
        try
        {
            using JsonDocument json = JsonDocument.Parse(payload);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (json.RootElement.TryGetProperty("watch", out JsonElement w) && w.ValueKind == JsonValueKind.String)
                    watch = w.GetString();
                if (json.RootElement.TryGetProperty("inject", out JsonElement i) && i.ValueKind == JsonValueKind.String)
                    inject = i.GetString();
            }
        }
        catch (JsonException) { }

        if (watch is not null)
        {
            if (state.Token is not null)
                Reply(connection, "error", "this feed already watches a token");
            else if (!InspectorHub.IsValidToken(watch))
                Reply(connection, "error", "a token has 16 to 64 letters, digits, '-' or '_'");
            else if (!hub.TryWatch(watch, connection, out state.Watch))
                Reply(connection, "error", "that token is taken, or the server watches as many connections as it allows");
            else
            {
                state.Token = watch;
                Reply(connection, "watching", watch);
            }
        }
        else if (inject is not null)
        {
            if (ClientFrames(inject) is not { } frames)
                Reply(connection, "error", $"nothing to inject called '{inject}'");
            else if (state.Watch?.Subject is not { } subject || !subject.Inject(frames))
                Reply(connection, "error", "no open connection is being watched");
        }
        else
        {
            Reply(connection, "error", "send {\"watch\":\"TOKEN\"} or {\"inject\":\"ping\"}");
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask OnClosedAsync(WebSocketConnection connection, CloseInfo close)
    {
        var state = (FeedState)connection.State!;
        if (state.Token is not null && state.Watch is not null)
            hub.Unwatch(state.Token, state.Watch);
        return ValueTask.CompletedTask;
    }

    /// <summary>What each injection is: frames as a client would send them (masked, RFC 6455 §5.3), or breaking one rule.</summary>
    internal static byte[]? ClientFrames(string kind) => kind switch
    {
        "ping" => Frame(Opcode.Ping, "are you there?"u8),
        // One text message in three frames: FIN clear, then two continuations, the last with FIN (RFC 6455 §5.4).
        "fragmented" => [.. Frame(Opcode.Text, "Hello, "u8, fin: false), .. Frame(Opcode.Continuation, "fragmented "u8, fin: false),
            .. Frame(Opcode.Continuation, "world!"u8)],
        "unmasked" => Frame(Opcode.Text, "not masked"u8, masked: false),         // RFC 6455 §5.1: the server must fail it, 1002
        "reserved-opcode" => Frame((Opcode)0x3, "?"u8),                         // RFC 6455 §5.2: opcode 0x3 is reserved, 1002
        "invalid-utf8" => Frame(Opcode.Text, [0x48, 0x69, 0xC3, 0x28]),         // RFC 6455 §8.1: not UTF-8, 1007
        _ => null,
    };

    private static byte[] Frame(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, bool masked = true)
    {
        if (!masked)
        {
            var plain = new System.Buffers.ArrayBufferWriter<byte>(2 + payload.Length);
            FrameWriter.WriteFrame(plain, opcode, payload, fin);
            return plain.WrittenSpan.ToArray();
        }
        byte[] frame = new byte[FrameWriter.MaskedFrameLength(payload.Length)];
        FrameWriter.WriteMaskedFrame(frame, opcode, payload, BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4)), fin);
        return frame;
    }

    private static void Reply(WebSocketConnection connection, string type, string value)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WriteString(type == "error" ? "message" : "token", value);
            w.WriteEndObject();
        }
        connection.SendText(buffer.ToArray());
    }

    /// <summary><c>GET /inspect</c>: the page, compiled into the server so it is there wherever the server runs.</summary>
    public static HttpResponse Page(HttpRequest request, RequestContext context) =>
        HttpResponse.Content(200, "text/html; charset=utf-8", s_page.Value);

    private static readonly Lazy<byte[]> s_page = new(() =>
    {
        using Stream stream = typeof(InspectorEndpoint).Assembly.GetManifestResourceStream("RawSocketChat.Inspector.inspect.html")
            ?? throw new InvalidOperationException("inspect.html is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });
}
