using RawSocketChat.Protocol;
using RawSocketChat.Transport;

namespace RawSocketChat.Endpoints;

/// <summary>
/// <c>/echo</c>: every message comes back with the same opcode. It is what conformance suites (Autobahn), the
/// interop tests and the benchmarks talk to, so it adds nothing of its own.
/// </summary>
public sealed class EchoEndpoint : IWebSocketHandler
{
    public IReadOnlyList<string> Subprotocols => [];

    public ValueTask OnOpenAsync(WebSocketConnection connection) => ValueTask.CompletedTask;

    public ValueTask OnMessageAsync(WebSocketConnection connection, Opcode opcode, ReadOnlyMemory<byte> payload)
    {
        // RFC 6455 §5.6 [6455-5.6-utf8-sent]: a text message we send must be UTF-8; this one was checked on arrival
        // (RFC 6455 §8.1).
        connection.Send(opcode, payload.Span);
        return ValueTask.CompletedTask;
    }

    public ValueTask OnClosedAsync(WebSocketConnection connection, CloseInfo close) => ValueTask.CompletedTask;
}
