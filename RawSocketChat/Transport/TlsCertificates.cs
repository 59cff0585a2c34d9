using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RawSocketChat.Transport;

/// <summary>
/// The server's TLS identity, loaded from PEM files and reloadable while the server runs (SIGHUP). Each TLS handshake
/// takes whatever certificate is current when it starts; connections already open keep the session they negotiated,
/// so a reload drops nobody.
/// <para>
/// The certificate file holds the leaf certificate first, then any intermediates (what Let's Encrypt calls
/// <c>fullchain.pem</c>); the intermediates are sent in the handshake so that clients can build the chain. The key
/// file holds the leaf's private key, unencrypted (PKCS#8, PKCS#1 or SEC1 PEM).
/// </para>
/// </summary>
public sealed class TlsCertificates
{
    private readonly string _certificatePath;
    private readonly string _keyPath;
    private volatile SslStreamCertificateContext _current;

    private TlsCertificates(string certificatePath, string keyPath, SslStreamCertificateContext current)
    {
        _certificatePath = certificatePath;
        _keyPath = keyPath;
        _current = current;
    }

    /// <summary>The certificate new handshakes present.</summary>
    public X509Certificate2 Certificate => _current.TargetCertificate;

    /// <summary>Loads the files; throws <see cref="TlsCertificateException"/> when they are missing, unreadable or do not match.</summary>
    public static TlsCertificates Load(string certificatePath, string keyPath)
    {
        try
        {
            return new(certificatePath, keyPath, LoadContext(certificatePath, keyPath));
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            throw new TlsCertificateException($"cannot load the TLS certificate (--tls-cert {certificatePath}, --tls-key {keyPath}): {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads the files again. On failure the current certificate stays in use and <paramref name="error"/> says why:
    /// a half-written file during a renewal must not take the server's TLS down.
    /// </summary>
    public bool TryReload(out string? error)
    {
        try
        {
            _current = LoadContext(_certificatePath, _keyPath);
            error = null;
            return true;
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            error = $"{e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    private static bool IsLoadFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException;

    /// <summary>
    /// The options for one server handshake (RFC 6455 §10.6 [6455-10.6-tls]: "MUST support TLS"). TLS 1.2 and 1.3 only:
    /// SSL 3.0, TLS 1.0 and 1.1 are deprecated (RFC 8996). ALPN names HTTP/1.1, the only protocol this port speaks, so
    /// a browser never tries HTTP/2 here.
    /// </summary>
    public SslServerAuthenticationOptions ServerOptions() => new()
    {
        ServerCertificateContext = _current,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ApplicationProtocols = [SslApplicationProtocol.Http11],
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        AllowRenegotiation = false,
    };

    private static SslStreamCertificateContext LoadContext(string certificatePath, string keyPath)
    {
        using X509Certificate2 fromPem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        // A key imported from PEM is ephemeral; Windows' TLS stack (SChannel) cannot use such a key, and a PKCS#12
        // round trip gives a regular one. It is harmless on Linux and macOS, so it is done everywhere.
        X509Certificate2 leaf = X509CertificateLoader.LoadPkcs12(fromPem.Export(X509ContentType.Pkcs12), password: null);

        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(certificatePath);
        var intermediates = new X509Certificate2Collection();
        foreach (X509Certificate2 certificate in chain)
        {
            if (certificate.Thumbprint != leaf.Thumbprint)
                intermediates.Add(certificate);
        }
        // offline: never fetch missing intermediates from the network during a handshake.
        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }
}

/// <summary>The certificate or key given with <c>--tls-cert</c>/<c>--tls-key</c> could not be used; the message says why.</summary>
public sealed class TlsCertificateException(string message, Exception inner) : Exception(message, inner);
