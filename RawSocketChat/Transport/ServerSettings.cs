using RawSocketChat.Http;

namespace RawSocketChat.Transport;

/// <summary>
/// What <see cref="Server"/> needs: where to listen, the opening handshake's limits, the connection caps, TLS, and
/// the per-connection <see cref="Connection"/> settings. The transport owns these defaults; the composition root
/// (<c>Hosting/App.cs</c>) fills the record from the command line, whose defaults are read from here.
/// </summary>
public sealed record ServerSettings
{
    // Network
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8080;

    // Opening handshake
    /// <summary>Largest request line and headers; larger gets 431.</summary>
    public int MaxHeaderBytes { get; init; } = 8 * 1024;
    /// <summary>From the accept to a complete request head (TLS handshake included); past it the TCP connection is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Browser origins allowed, in <see cref="OriginPolicy"/>'s syntax.</summary>
    public string AllowedOrigins { get; init; } = OriginPolicy.Default;

    // Abuse protection
    public int MaxConnections { get; init; } = 10_000;
    public int MaxConnectionsPerIp { get; init; } = 20;
    /// <summary>Proxies whose <c>X-Forwarded-For</c> is believed, in <see cref="ProxyList"/>'s syntax.</summary>
    public string TrustedProxies { get; init; } = "";

    /// <summary>How long a graceful stop waits for the connections to close.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>PEM certificate chain and key; with both, the port speaks https:// and wss://.</summary>
    public string TlsCert { get; init; } = "";
    public string TlsKey { get; init; } = "";
    public bool TlsEnabled => TlsCert.Length > 0;

    /// <summary>Every connection's limits and timers.</summary>
    public ConnectionSettings Connection { get; init; } = new();
}
