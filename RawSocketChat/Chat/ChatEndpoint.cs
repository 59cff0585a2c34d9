using RawSocketChat.Protocol;
using RawSocketChat.Transport;

namespace RawSocketChat.Chat;

/// <summary>
/// <c>/chat</c>: the transport's view of the chat. It keeps a <see cref="ChatSession"/> in each connection's
/// <c>State</c> and passes messages to <see cref="ChatService"/>; the subprotocol is <c>rawsocketchat.v1</c> when
/// the client offers it (a client that offers none is served the same protocol).
/// </summary>
public sealed class ChatEndpoint(ChatService chat) : IWebSocketHandler
{
    public IReadOnlyList<string> Subprotocols { get; } = [ServerMessages.Protocol];

    public ValueTask OnOpenAsync(WebSocketConnection connection)
    {
        connection.State = chat.Open(connection);
        return ValueTask.CompletedTask;
    }

    public ValueTask OnMessageAsync(WebSocketConnection connection, Opcode opcode, ReadOnlyMemory<byte> payload) =>
        chat.HandleAsync((ChatSession)connection.State!, opcode, payload);

    public ValueTask OnClosedAsync(WebSocketConnection connection, CloseInfo close) =>
        connection.State is ChatSession session ? chat.CloseAsync(session) : ValueTask.CompletedTask;
}
