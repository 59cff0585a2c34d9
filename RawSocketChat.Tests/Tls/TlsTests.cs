using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using RawSocketChat.Hosting;
using RawSocketChat.Tests.Deflate;
using RawSocketChat.Tests.Support;
using RawSocketChat.Tests.Transport;
using RawSocketChat.Transport;

namespace RawSocketChat.Tests.Tls;

/// <summary>
/// https:// and wss:// on the server's one port, with a self-signed certificate made in the test: independent clients
/// (ClientWebSocket, Node ws, HttpClient, SslStream) verify it by pinning, the handshake timeout covers TLS, a
/// plain-text client is turned away cleanly, and the certificate is reloaded without dropping connections.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TestCertificates _files = new();

    public void Dispose() => _files.Dispose();

    private async Task<(TestServer Server, X509Certificate2 Certificate)> StartAsync(Action<ServerOptions>? configure = null)
    {
        X509Certificate2 certificate = _files.Write();
        TestServer server = await TestServer.StartAsync(o =>
        {
            o.TlsCert = _files.CertificatePath;
            o.TlsKey = _files.KeyPath;
            configure?.Invoke(o);
        });
        return (server, certificate);
    }

    private static Uri Wss(TestServer server, string path = "/echo") => new($"wss://127.0.0.1:{server.Port}{path}");

    /// <summary>A ClientWebSocket that trusts exactly one certificate, and reports the one it was shown.</summary>
    private static async Task<(ClientWebSocket Socket, Func<string?> Seen)> ConnectAsync(TestServer server, X509Certificate2 trusted, WebSocketDeflateOptions? deflate = null)
    {
        string? seen = null;
        var socket = new ClientWebSocket();
        socket.Options.DangerousDeflateOptions = deflate;
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            seen = certificate?.GetCertHashString();
            return seen == trusted.GetCertHashString();
        };
        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(Wss(server), cts.Token);
        return (socket, () => seen);
    }

    private static async Task<string> EchoAsync(ClientWebSocket socket, string text)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cts.Token);
        return Encoding.UTF8.GetString((await DeflateInteropTests.ReceiveAsync(socket)).Data);
    }

    /// <summary>TLS over a raw socket: the negotiated protocol and ALPN, or the failure.</summary>
    private static async Task<SslStream> TlsConnectAsync(TestServer server, SslProtocols protocols, X509Certificate2 trusted, List<SslApplicationProtocol>? alpn = null)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(server.EndPoint);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        using var cts = new CancellationTokenSource(Timeout);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocols,
            ApplicationProtocols = alpn,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == trusted.GetCertHashString(),
        }, cts.Token);
        return tls;
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-tls")]
    [Trait("Rfc", "6455-10.6-tls")]
    public async Task ClientWebSocket_over_wss_with_permessage_deflate()
    {
        (TestServer server, X509Certificate2 certificate) = await StartAsync();
        await using (server)
        {
            Assert.Contains($"listening on https://127.0.0.1:{server.Port}", server.LogText);
            (ClientWebSocket socket, _) = await ConnectAsync(server, certificate, new WebSocketDeflateOptions());
            using (socket)
            {
                await DeflateInteropTests.EchoSuiteAsync(socket);
                using var cts = new CancellationTokenSource(Timeout);
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
            }
            Assert.DoesNotContain("unexpected error", server.LogText);
        }
    }

    [SkippableFact]
    public async Task Node_ws_over_wss_and_https_GET_verify_the_certificate()
    {
        (TestServer server, _) = await StartAsync();
        await using (server)
        {
            JsonElement result = await NodeScripts.RunAsync("ws-tls.mjs", Wss(server).ToString(), _files.CertificatePath);
            // ws offers no ALPN, so none is negotiated (the ALPN answer is checked with SslStream below).
            Assert.Equal(JsonValueKind.False, result.GetProperty("alpn").ValueKind);
            Assert.Contains(result.GetProperty("tlsVersion").GetString(), new[] { "TLSv1.2", "TLSv1.3" });
            Assert.Equal(1000, result.GetProperty("closeCode").GetInt32());
            Assert.True(result.GetProperty("httpsStatus").GetInt32() is 200 or 404); // GET / answered over https
        }
    }

    [SkippableFact]
    public async Task Node_ws_over_wss_with_permessage_deflate()
    {
        (TestServer server, _) = await StartAsync();
        await using (server)
        {
            JsonElement result = await NodeScripts.RunAsync("ws-deflate.mjs", Wss(server).ToString(),
                JsonSerializer.Serialize(new { perMessageDeflate = new { threshold = 0 }, ca = _files.CertificatePath }));
            Assert.Equal("permessage-deflate", result.GetProperty("extensions").GetString());
        }
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-tls")]
    public async Task Https_request_is_answered_over_tls()
    {
        (TestServer server, X509Certificate2 certificate) = await StartAsync();
        await using (server)
        {
            using var handler = new SocketsHttpHandler
            {
                SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == certificate.GetCertHashString() },
            };
            using var http = new HttpClient(handler) { Timeout = Timeout };
            using HttpResponseMessage response = await http.GetAsync($"https://127.0.0.1:{server.Port}/no-such-page");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    [Trait("Rfc", "6455-10.6-tls")]
    public async Task TLS_1_2_and_1_3_are_accepted_and_ALPN_is_http_1_1()
    {
        (TestServer server, X509Certificate2 certificate) = await StartAsync();
        await using (server)
        {
            foreach (SslProtocols protocol in new[] { SslProtocols.Tls12, SslProtocols.Tls13 })
            {
                await using SslStream tls = await TlsConnectAsync(server, protocol, certificate, [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11]);
                Assert.Equal(protocol, tls.SslProtocol);
                Assert.Equal(SslApplicationProtocol.Http11, tls.NegotiatedApplicationProtocol); // never h2 on this port
            }
        }
    }

    [Fact]
    [Trait("Rfc", "6455-10.6-tls")]
    public async Task TLS_1_1_and_older_are_refused()
    {
        (TestServer server, X509Certificate2 certificate) = await StartAsync();
        await using (server)
        {
#pragma warning disable SYSLIB0039 // TLS 1.0/1.1 are obsolete: that is the point of the test
            SslProtocols old = SslProtocols.Tls11 | SslProtocols.Tls;
#pragma warning restore SYSLIB0039
            Exception e = await Assert.ThrowsAnyAsync<Exception>(() => TlsConnectAsync(server, old, certificate));
            Assert.True(e is AuthenticationException or IOException, e.ToString());
            Assert.DoesNotContain("unexpected error", server.LogText);
        }
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-tls")]
    public async Task Plain_text_client_on_the_TLS_port_gets_400_and_is_dropped_cleanly()
    {
        (TestServer server, _) = await StartAsync();
        await using (server)
        {
            await using RawClient raw = await RawClient.ConnectAsync(server.EndPoint);
            HttpHead head = await raw.HandshakeAsync(RawClient.UpgradeRequest());
            Assert.Equal(400, head.StatusCode);
            Assert.Contains("TLS", head.BodyText);
            await raw.AssertServerClosesTcpAsync();
            await Eventually.TrueAsync(() => server.LogText.Contains("This port speaks TLS"), "log line 'This port speaks TLS'");
            Assert.DoesNotContain("unexpected error", server.LogText);
        }
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-tls")]
    public async Task Garbage_that_looks_like_TLS_is_dropped_and_logged_as_a_rejection()
    {
        (TestServer server, _) = await StartAsync();
        await using (server)
        {
            await using RawClient raw = await RawClient.ConnectAsync(server.EndPoint);
            // Record type 0x16 (handshake), then nonsense.
            await raw.SendRawAsync(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x16, 0x03, 0x03, 0x00, 0x00 });
            await raw.ReadUntilClosedAsync();
            await Eventually.TrueAsync(() => server.LogText.Contains("TLS handshake failed"), "log line 'TLS handshake failed'");
            Assert.DoesNotContain("unexpected error", server.LogText);
        }
    }

    [Fact]
    [Trait("Rfc", "6455-10.4-handshake-timeout")]
    public async Task Handshake_timeout_covers_a_TLS_handshake_that_never_completes()
    {
        (TestServer server, _) = await StartAsync(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        await using (server)
        {
            await using RawClient raw = await RawClient.ConnectAsync(server.EndPoint);
            await raw.SendRawAsync(new byte[] { 0x16, 0x03, 0x01, 0x02 }); // the start of a ClientHello, then silence
            await raw.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));
            await Eventually.TrueAsync(() => server.LogText.Contains("handshake timeout"), "log line 'handshake timeout'");
        }
    }

    [Fact]
    public async Task Handshake_timeout_counts_from_the_accept_not_from_the_end_of_TLS()
    {
        (TestServer server, X509Certificate2 certificate) = await StartAsync(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(500));
        await using (server)
        {
            await using SslStream tls = await TlsConnectAsync(server, SslProtocols.None, certificate);
            // TLS done; no HTTP request follows. The server must drop us within the same deadline.
            var buffer = new byte[64];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int n;
            try
            {
                n = await tls.ReadAsync(buffer, cts.Token);
            }
            catch (IOException)
            {
                n = 0;
            }
            Assert.Equal(0, n);
            await Eventually.TrueAsync(() => server.LogText.Contains("handshake timeout"), "log line 'handshake timeout'");
        }
    }

    [Fact]
    public async Task Certificate_reload_serves_the_new_certificate_without_dropping_open_connections()
    {
        (TestServer server, X509Certificate2 first) = await StartAsync();
        await using (server)
        {
            (ClientWebSocket before, Func<string?> seenBefore) = await ConnectAsync(server, first);
            using (before)
            {
                Assert.Equal(first.GetCertHashString(), seenBefore());
                Assert.Equal("one", await EchoAsync(before, "one"));

                X509Certificate2 second = _files.Write("RawSocketChat renewed");
                Assert.True(server.App.Server.ReloadTlsCertificates()); // what SIGHUP calls
                Assert.Contains("tls reload: certificate=\"CN=RawSocketChat renewed\"", server.LogText);

                (ClientWebSocket after, Func<string?> seenAfter) = await ConnectAsync(server, second);
                using (after)
                {
                    Assert.Equal(second.GetCertHashString(), seenAfter());
                    Assert.Equal("two", await EchoAsync(after, "two"));
                }
                // The connection made before the reload is still up and working.
                Assert.Equal(WebSocketState.Open, before.State);
                Assert.Equal("three", await EchoAsync(before, "three"));
            }
        }
    }

    [Fact]
    public async Task Failed_reload_keeps_the_current_certificate()
    {
        (TestServer server, X509Certificate2 certificate) = await StartAsync();
        await using (server)
        {
            File.WriteAllText(_files.CertificatePath, "-----BEGIN CERTIFICATE-----\nnot base64\n");
            Assert.False(server.App.Server.ReloadTlsCertificates());
            Assert.Contains("tls reload failed, keeping the current certificate", server.LogText);
            (ClientWebSocket socket, Func<string?> seen) = await ConnectAsync(server, certificate);
            using (socket)
                Assert.Equal(certificate.GetCertHashString(), seen());
        }
    }

    [Fact]
    public void Certificate_and_key_that_do_not_match_stop_the_start_with_the_reason()
    {
        _files.Write();
        string otherKey = Path.Combine(Path.GetDirectoryName(_files.KeyPath)!, "other-key.pem");
        File.Copy(_files.KeyPath, otherKey);
        _files.Write(); // new key pair: the copied key no longer matches the certificate
        var e = Assert.Throws<TlsCertificateException>(() => TlsCertificates.Load(_files.CertificatePath, otherKey));
        Assert.Contains("--tls-cert", e.Message);
        Assert.Throws<TlsCertificateException>(() => TlsCertificates.Load(_files.CertificatePath + ".missing", _files.KeyPath));
    }

    [Theory]
    [InlineData("--tls-cert", "cert.pem")]
    [InlineData("--tls-key", "key.pem")]
    public void Tls_options_go_together(string option, string value)
    {
        Assert.Null(ServerOptions.Parse([option, value], _ => null, out _, out string? error));
        Assert.Contains("--tls-cert and --tls-key go together", error);
    }
}
