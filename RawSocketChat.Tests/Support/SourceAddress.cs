using System.Net;
using System.Net.Sockets;

namespace RawSocketChat.Tests.Support;

/// <summary>
/// Clients that connect from another loopback address. All of 127.0.0.0/8 is the loopback interface on Linux, so a
/// socket bound to 127.0.0.2 before connecting reaches a server on 127.0.0.1 and is seen there as a different client
/// IP: per-IP caps and rate limits can be tested with several "machines" without leaving the host.
/// </summary>
public static class SourceAddress
{
    /// <summary>127.0.0.<paramref name="n"/>.</summary>
    public static IPAddress Loopback(int n) => new([127, 0, 0, (byte)n]);

    /// <summary>
    /// A TCP socket bound to <paramref name="local"/> and connected to <paramref name="server"/>, with a fixed kernel
    /// receive buffer when <paramref name="receiveBufferSize"/> is given (set before connecting, so the window uses it).
    /// </summary>
    public static async Task<Socket> ConnectAsync(IPAddress local, IPEndPoint server, CancellationToken cancellationToken = default,
        int? receiveBufferSize = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (receiveBufferSize is { } size)
                socket.ReceiveBufferSize = size;
            socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(server, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// For <see cref="System.Net.WebSockets.ClientWebSocket.ConnectAsync(Uri, HttpMessageInvoker?, CancellationToken)"/>:
    /// every connection it makes comes from <paramref name="local"/>. The URL's host must be an IPv4 literal.
    /// </summary>
    public static HttpMessageInvoker Invoker(IPAddress local, int? receiveBufferSize = null) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var server = new IPEndPoint(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port);
            return new NetworkStream(await ConnectAsync(local, server, cancellationToken, receiveBufferSize), ownsSocket: true);
        },
    });
}
