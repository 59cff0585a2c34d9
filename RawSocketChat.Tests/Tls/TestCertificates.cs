using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RawSocketChat.Tests.Tls;

/// <summary>
/// Self-signed certificates made in the test, written as PEM files like the ones an operator gives with --tls-cert
/// and --tls-key. Valid for 127.0.0.1 and localhost, so clients can verify them properly when told to trust them.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "rawsocketchat-tls-" + Guid.NewGuid().ToString("N"));

    public TestCertificates()
    {
        Directory.CreateDirectory(_folder);
    }

    public string CertificatePath => Path.Combine(_folder, "cert.pem");
    public string KeyPath => Path.Combine(_folder, "key.pem");

    /// <summary>Creates a new key pair and certificate, (over)writes the two files, and returns the certificate.</summary>
    public X509Certificate2 Write(string commonName = "RawSocketChat test")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // serverAuth
        X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        // Written to a temporary name and moved, as a renewal tool should, so a reload never reads half a file.
        File.WriteAllText(KeyPath + ".tmp", key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(CertificatePath + ".tmp", certificate.ExportCertificatePem());
        File.Move(KeyPath + ".tmp", KeyPath, overwrite: true);
        File.Move(CertificatePath + ".tmp", CertificatePath, overwrite: true);
        return certificate;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException) { }
    }
}
