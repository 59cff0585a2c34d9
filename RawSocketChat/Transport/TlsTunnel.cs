using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using RawSocketChat.Diagnostics;
using RawSocketChat.Http;

namespace RawSocketChat.Transport;

/// <summary>
/// TLS on the server's port (<c>--tls-cert</c>): the tunnel a connection's bytes go through, opened right after the
/// accept and closed just before the socket. In between, an <see cref="SslStream"/> sits between the network stream
/// and the pipe, so the HTTP exchange and the WebSocket read and write plaintext and never know.
/// <see cref="TlsCertificates"/> is the identity the tunnel presents, which a reload swaps without dropping anybody;
/// this class is what happens on each connection: the handshake, and the close_notify at the end.
/// </summary>
internal sealed class TlsTunnel
{
    private readonly TlsCertificates _certificates;
    private readonly HttpExchange _http;
    private readonly Log _log;
    private readonly TimeSpan _closeTimeout;

    /// <param name="certificates">The certificate and key, already loaded: a wrong file stops the start, not a handshake.</param>
    /// <param name="http">Answers a client that speaks plain HTTP to this port.</param>
    /// <param name="log">Where rejections and reloads are logged.</param>
    /// <param name="closeTimeout">How long a close_notify may take (<c>--close-timeout</c>).</param>
    public TlsTunnel(TlsCertificates certificates, HttpExchange http, Log log, TimeSpan closeTimeout)
    {
        _certificates = certificates;
        _http = http;
        _log = log;
        _closeTimeout = closeTimeout;
    }

    /// <summary>The certificate new handshakes present.</summary>
    public X509Certificate2 Certificate => _certificates.Certificate;

    /// <summary>
    /// The server side of the TLS handshake, within the handshake deadline. A client speaking plain HTTP to this port
    /// is recognised by its first byte (a letter, where TLS starts with 0x16, the handshake record type, RFC 8446 §5.1),
    /// answered with a plain-text 400 and closed; any other failure drops the connection. Both are logged at info, as
    /// rejections: a scanner or a misconfigured client is not a server error. RFC 6455 §4.2.2 item 1 [6455-4.2.2-tls]:
    /// a failed handshake closes the connection; after a successful one, everything goes through the tunnel. Null
    /// when the connection ended here, answered or dropped.
    /// </summary>
    public async Task<SslStream?> AuthenticateAsync(Socket socket, NetworkStream network, IPEndPoint remote, CancellationToken deadline)
    {
        byte[] first = new byte[1];
        try
        {
            if (await socket.ReceiveAsync(first, SocketFlags.Peek, deadline) == 0)
            {
                _log.Info($"reject peer={remote} reason=\"closed before the TLS handshake\" action=drop");
                return null;
            }
        }
        catch (OperationCanceledException)
        {
            _log.Info($"reject peer={remote} reason=\"handshake timeout\" action=drop");
            return null;
        }
        if (first[0] != 0x16)
        {
            await _http.RejectAsync(network, remote, HttpResponse.Error(400, "This port speaks TLS: use https:// or wss://"), headOnly: false);
            return null;
        }

        var tls = new SslStream(network, leaveInnerStreamOpen: true);
        try
        {
            await tls.AuthenticateAsServerAsync(_certificates.ServerOptions(), deadline);
            _log.Debug($"tls peer={remote} protocol={tls.SslProtocol} cipher={tls.NegotiatedCipherSuite}");
            return tls;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException or OperationCanceledException)
        {
            string reason = deadline.IsCancellationRequested ? "handshake timeout" : "TLS handshake failed: " + e.Message.Replace('"', '\'');
            _log.Info($"reject peer={remote} reason=\"{reason}\" action=drop");
            await tls.DisposeAsync();
            return null;
        }
    }

    /// <summary>
    /// Sends TLS close_notify (RFC 8446 §6.1), so the client can tell the end of our data from a cut connection.
    /// Bounded by the close timeout: a peer that stopped reading must not hold this task.
    /// </summary>
    public async Task CloseAsync(SslStream tls)
    {
        Task shutdown = tls.ShutdownAsync();
        try
        {
            await shutdown.WaitAsync(_closeTimeout);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException
            or TimeoutException or AuthenticationException or SocketException)
        {
            // The socket is closed next, which ends a write still pending; observe its failure then.
            _ = shutdown.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        await tls.DisposeAsync();
    }

    /// <summary>
    /// Reads the certificate and key files again (<see cref="Server.ReloadTlsCertificates"/>, on SIGHUP) and logs the
    /// outcome. On failure the old certificate stays in use.
    /// </summary>
    public bool Reload()
    {
        if (!_certificates.TryReload(out string? error))
        {
            _log.Error($"tls reload failed, keeping the current certificate: {error}");
            return false;
        }
        _log.Info($"tls reload: certificate=\"{Certificate.Subject}\" expires={Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd} thumbprint={Certificate.Thumbprint}");
        return true;
    }
}
