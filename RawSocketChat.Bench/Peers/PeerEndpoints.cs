using System.Buffers;
using System.Net.WebSockets;

namespace RawSocketChat.Bench.Peers;

/// <summary>
/// The application side of both peers, written as a careful .NET developer would with <see cref="WebSocket"/>:
/// the <c>Memory</c>-based, allocation-free <c>ReceiveAsync</c>/<c>SendAsync</c> overloads and a pooled buffer.
/// </summary>
internal static class PeerEndpoints
{
    public const string ChatSubprotocol = "rawsocketchat.v1";

    public static Task RunAsync(WebSocket socket, string path, ChatHub hub, CancellationToken cancellation) => path switch
    {
        "/echo" => EchoAsync(socket, cancellation),
        "/chat" => new PeerChatSession(socket, hub).RunAsync(cancellation),
        _ => socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "unknown path", cancellation),
    };

    /// <summary>The echo loop of the ASP.NET Core documentation, with the ValueTask overloads: each chunk goes straight back.</summary>
    public static async Task EchoAsync(WebSocket socket, CancellationToken cancellation)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult received = await socket.ReceiveAsync(buffer.AsMemory(), cancellation);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellation);
                    return;
                }
                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, cancellation);
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            socket.Dispose();
        }
    }

    public static bool IsDisconnect(Exception e) =>
        e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException
            or System.Net.Sockets.SocketException;
}
