using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace RawSocketChat.Bench.Peers;

/// <summary>
/// Peer 2: .NET's own protocol implementation without ASP.NET Core — a <see cref="TcpListener"/>, a minimal HTTP
/// upgrade, then <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/> (the runtime's
/// <c>ManagedWebSocket</c>) over the <see cref="NetworkStream"/>. This isolates the frame layer: same sockets, same
/// runtime, only the WebSocket code differs from RawSocketChat.
/// </summary>
internal sealed class ManagedPeer : IPeerServer
{
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ChatHub _hub = new();
    private readonly Task _acceptLoop;

    private ManagedPeer(IPAddress host, int port)
    {
        _listener = new TcpListener(host, port);
        _listener.Server.NoDelay = true;
        _listener.Start(backlog: 1024);
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static ManagedPeer Start(IPAddress host, int port) => new(host, port);

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested) return;
                continue;
            }
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        socket.NoDelay = true;
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        byte[] head = ArrayPool<byte>.Shared.Rent(8192);
        string path;
        string? subprotocol;
        try
        {
            // The client sends nothing before our 101, so reading up to the blank line never swallows frame bytes.
            int length = 0, end;
            while ((end = head.AsSpan(0, length).IndexOf(HeadEnd)) < 0)
            {
                if (length == head.Length) return;
                int n = await stream.ReadAsync(head.AsMemory(length), _stopping.Token);
                if (n == 0) return;
                length += n;
            }
            string request = Encoding.ASCII.GetString(head, 0, end);
            string[] lines = request.Split("\r\n");
            string[] requestLine = lines[0].Split(' ');
            path = requestLine.Length > 1 ? requestLine[1] : "/";
            string? key = null;
            bool wantsChat = false;
            foreach (string line in lines.AsSpan(1))
            {
                int colon = line.IndexOf(':');
                if (colon <= 0) continue;
                string name = line[..colon].Trim();
                string value = line[(colon + 1)..].Trim();
                if (name.Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase)) key = value;
                else if (name.Equals("Sec-WebSocket-Protocol", StringComparison.OrdinalIgnoreCase))
                    wantsChat = value.Split(',').Any(p => p.Trim() == PeerEndpoints.ChatSubprotocol);
            }
            if (key is null)
            {
                await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
                return;
            }
            string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            subprotocol = wantsChat ? PeerEndpoints.ChatSubprotocol : null;
            string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Accept: {accept}\r\n" + (subprotocol is null ? "" : $"Sec-WebSocket-Protocol: {subprotocol}\r\n") + "\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
        }
        catch (Exception e) when (PeerEndpoints.IsDisconnect(e))
        {
            return;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(head);
        }

        WebSocket webSocket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = subprotocol,
            KeepAliveInterval = TimeSpan.FromSeconds(30),
        });
        await PeerEndpoints.RunAsync(webSocket, path, _hub, _stopping.Token);
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Stop();
        await _acceptLoop;
        _stopping.Dispose();
    }
}
