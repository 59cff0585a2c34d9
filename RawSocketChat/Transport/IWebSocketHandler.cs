using RawSocketChat.Protocol;

namespace RawSocketChat.Transport;

/// <summary>
/// What an endpoint (echo, chat) implements. The transport calls these one at a time per connection, in order,
/// from that connection's receive loop; a handler may await (e.g. a database write) and the connection simply stops
/// reading until it returns, which is the backpressure a slow handler needs.
/// </summary>
public interface IWebSocketHandler
{
    /// <summary>Subprotocols this endpoint speaks, in our order of preference.</summary>
    IReadOnlyList<string> Subprotocols { get; }

    ValueTask OnOpenAsync(WebSocketConnection connection);

    /// <summary>A complete text or binary message. <paramref name="payload"/> is only valid during the call.</summary>
    ValueTask OnMessageAsync(WebSocketConnection connection, Opcode opcode, ReadOnlyMemory<byte> payload);

    /// <summary>Called once, after the connection is closed for whatever reason.</summary>
    ValueTask OnClosedAsync(WebSocketConnection connection, CloseInfo close);
}

