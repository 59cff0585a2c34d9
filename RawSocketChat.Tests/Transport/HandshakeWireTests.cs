using System.Text;
using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Transport;

/// <summary>
/// The opening handshake (RFC 6455 §4) as a client sees it on the wire: the exact status line and headers the real
/// server sends for a good request and for each class of bad one.
/// </summary>
public sealed class HandshakeWireTests
{
    [Fact]
    [Trait("Rfc", "6455-4.2.2-subprotocol-none")]
    [Trait("Rfc", "6455-4.2.2-101")]
    [Trait("Rfc", "6455-4.2.2-accept")]
    public async Task Valid_upgrade_gets_101_with_the_accept_value_computed_from_the_key()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        const string key = "x3JJHMbDL1EzLkh9GBhXDw==";

        HttpHead response = await client.HandshakeAsync(RawClient.UpgradeRequest("/echo", key));

        // RFC 6455 §4.2.2 step 5: 101, Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Accept.
        Assert.Equal(101, response.StatusCode);
        Assert.Equal("websocket", response.Header("Upgrade"), ignoreCase: true);
        Assert.Equal("Upgrade", response.Header("Connection"), ignoreCase: true);
        Assert.Equal("HSmrc0sMlYUkAGmm5OPpG2HaGWk=", response.Header("Sec-WebSocket-Accept")); // a widely published example pair
        Assert.Equal(HttpHead.ExpectedAccept(key), response.Header("Sec-WebSocket-Accept"));
        // /echo speaks no subprotocol, so none is chosen (§4.2.2 /subprotocol/).
        Assert.Null(response.Header("Sec-WebSocket-Protocol"));
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-accept")]
    public async Task The_accept_value_for_the_rfc_sample_key_matches_the_rfc()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        HttpHead response = await client.HandshakeAsync(RawClient.UpgradeRequest("/echo", RawClient.SampleKey));

        // RFC 6455 §1.3: key "dGhlIHNhbXBsZSBub25jZQ==" gives "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
        Assert.Equal(RawClient.SampleAccept, response.Header("Sec-WebSocket-Accept"));
    }

    [Fact]
    [Trait("Rfc", "7692-5-accept")]
    public async Task Browser_style_request_is_accepted_with_permessage_deflate()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        // What Firefox sends, give or take: header names in any case (RFC 9110 §5.1), "keep-alive, Upgrade" as a
        // token list (§4.2.1 item 4), its own page as Origin, and an offer of permessage-deflate (RFC 7692).
        HttpHead response = await client.HandshakeAsync(
            "GET /echo HTTP/1.1\r\n" +
            $"host: 127.0.0.1:{server.Port}\r\n" +
            "user-agent: Mozilla/5.0\r\n" +
            "connection: keep-alive, Upgrade\r\n" +
            "upgrade: WebSocket\r\n" +
            $"origin: http://127.0.0.1:{server.Port}\r\n" +
            "sec-websocket-version: 13\r\n" +
            $"sec-websocket-key: {RawClient.SampleKey}\r\n" +
            "sec-websocket-extensions: permessage-deflate; client_max_window_bits\r\n" +
            "\r\n");

        Assert.Equal(101, response.StatusCode);
        Assert.Equal(RawClient.SampleAccept, response.Header("Sec-WebSocket-Accept"));
        // §9.1: an extension is in use only if the server's response names it. The browser's offer is accepted
        // (RFC 7692; client_max_window_bits without a value is not echoed): see RawSocketChat.Tests/Deflate.
        Assert.Equal("permessage-deflate", response.Header("Sec-WebSocket-Extensions"));
    }

    [Fact]
    public async Task Frames_can_follow_the_handshake_in_the_same_tcp_segment()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        // A client may send its first frame right behind the request head; the server must not lose those bytes.
        byte[] request = Encoding.ASCII.GetBytes(RawClient.UpgradeRequest());
        byte[] frame = client.MaskedFrame(Opcode.Text, "early"u8);
        await client.SendRawAsync(request.Concat(frame).ToArray());

        Assert.Equal(101, (await client.ReadResponseAsync()).StatusCode);
        ServerFrame echo = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Text, echo.Opcode);
        Assert.Equal("early", echo.Text);
    }

    public static TheoryData<string, string, int> Rejections => new()
    {
        // §4.2.1 item 5: no Sec-WebSocket-Key.
        { "missing key", "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", 400 },
        // §4.2.1 item 5: a key that is not base64 of 16 bytes.
        { "short key", RawClient.UpgradeRequest("/echo", "c2hvcnQ="), 400 },
        // §4.2.1 items 3-4: Upgrade must name websocket.
        { "no upgrade", "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400 },
        // §4.2.1 item 2: Host is required.
        { "no host", "GET /echo HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400 },
        // §4.1: the method MUST be GET.
        { "POST", RawClient.UpgradeRequest().Replace("GET ", "POST "), 405 },
        // §4.2.2 and §4.4: only version 13 is spoken.
        { "version 8", RawClient.UpgradeRequest().Replace("Version: 13", "Version: 8"), 426 },
        // §10.2: a browser page from an origin we do not trust.
        { "foreign origin", RawClient.UpgradeRequest("/echo", RawClient.SampleKey, "Origin: http://evil.example"), 403 },
        // No endpoint at that path.
        { "unknown path", RawClient.UpgradeRequest("/nowhere"), 404 },
    };

    [Theory]
    [Trait("Rfc", "6455-4.1-host")]
    [Trait("Rfc", "6455-4.1-upgrade")]
    [Trait("Rfc", "6455-4.1-key")]
    [Trait("Rfc", "6455-4.2.2-origin")]
    [Trait("Rfc", "6455-4.2.2-resource")]
    [Trait("Rfc", "6455-7.2.2-abort-handshake")]
    [Trait("Rfc", "6455-10.7-http-status")]
    [MemberData(nameof(Rejections))]
    public async Task Each_bad_handshake_gets_its_status_with_content_length_and_connection_close(string name, string request, int status)
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        HttpHead response = await client.HandshakeAsync(request);

        Assert.True(response.StatusCode == status, $"{name}: expected {status}, got {response.StatusLine}");
        AssertClosingResponse(response);
        await client.AssertServerClosesTcpAsync();
        Assert.DoesNotContain("unexpected error", server.LogText);
    }

    [Fact]
    [Trait("Rfc", "6455-4.1-get")]
    public async Task Post_to_a_websocket_endpoint_names_the_allowed_method()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        HttpHead response = await client.HandshakeAsync(RawClient.UpgradeRequest().Replace("GET ", "POST "));

        // RFC 9110 §15.5.6: a 405 response MUST carry Allow.
        Assert.Equal(405, response.StatusCode);
        Assert.Equal("GET", response.Header("Allow"));
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-version")]
    public async Task Unsupported_version_is_answered_with_the_version_we_speak()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        HttpHead response = await client.HandshakeAsync(RawClient.UpgradeRequest().Replace("Version: 13", "Version: 8"));

        // RFC 6455 §4.4: the 426 response lists the versions the server supports.
        Assert.Equal(426, response.StatusCode);
        Assert.Equal("13", response.Header("Sec-WebSocket-Version"));
    }

    [Fact]
    [Trait("Rfc", "6455-10.4-head-size")]
    public async Task Oversized_request_head_gets_431()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxHeaderBytes = 512);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        HttpHead response = await client.HandshakeAsync(RawClient.UpgradeRequest("/echo", RawClient.SampleKey, "X-Padding: " + new string('a', 1000)));

        // RFC 6585 §5: 431 Request Header Fields Too Large.
        Assert.Equal(431, response.StatusCode);
        AssertClosingResponse(response);
        await client.AssertServerClosesTcpAsync();
    }

    [Fact]
    public async Task Root_path_serves_the_browser_client_as_html()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        HttpHead response = await client.HandshakeAsync("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("text/html; charset=utf-8", response.Header("Content-Type"));
        Assert.Equal("close", response.Header("Connection"), ignoreCase: true);
        Assert.Contains("<html", response.BodyText, StringComparison.OrdinalIgnoreCase);
        await client.AssertServerClosesTcpAsync();
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-resource-page")]
    public async Task Upgrade_request_for_a_page_path_gets_the_page_not_a_101()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        // A deviation from RFC 6455 §4.2.2 (/resource name/: "MUST send an appropriate HTTP error code"): "/" is a
        // page, and a page answers whatever the request asks. There is no 101, so the client fails the handshake.
        HttpHead response = await client.HandshakeAsync(RawClient.UpgradeRequest("/"));

        Assert.Equal(200, response.StatusCode);
        AssertClosingResponse(response);
        await client.AssertServerClosesTcpAsync();
    }

    [Fact]
    [Trait("Rfc", "6455-7.2.2-abort-handshake")]
    [Trait("Rfc", "6455-10.4-handshake-timeout")]
    [Trait("Rfc", "6455-10.7-drop")]
    public async Task A_client_that_never_finishes_its_handshake_is_dropped_at_the_handshake_timeout_without_a_response()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.HandshakeTimeout = TimeSpan.FromSeconds(1));
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        // Slowloris: half a request head, then silence.
        await client.SendRawAsync("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"u8.ToArray());

        await client.AssertServerClosesTcpAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("handshake timeout", server.LogText);
    }

    public static TheoryData<string, byte[]> Garbage => new()
    {
        // The start of a TLS 1.2 ClientHello: someone pointed https:// or wss:// at a plain port.
        { "TLS ClientHello", Convert.FromHexString("16030100a5010000a10303" + "5b2c6e1e4a0f4b3c9d8e7f6a5b4c3d2e1f00112233445566778899aabbccddeeff" + "000020c02bc02fc02cc030cca9cca8c013c014009c009d002f0035000a0100") },
        // RFC 9113 §3.4: the HTTP/2 connection preface.
        { "HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray() },
        // Random bytes (fixed seed: the same bytes every run).
        { "random binary", RandomBytes(seed: 6455, length: 3000) },
        // A request line that is not HTTP at all.
        { "text noise", "hello server\r\n\r\n"u8.ToArray() },
    };

    [Theory]
    [Trait("Rfc", "6455-4.2.1-malformed")]
    [Trait("Rfc", "6455-10.7-validate")]
    [MemberData(nameof(Garbage))]
    public async Task Garbage_instead_of_a_request_gets_400_or_is_dropped_and_nothing_crashes(string name, byte[] bytes)
    {
        await using TestServer server = await TestServer.StartAsync(o => o.HandshakeTimeout = TimeSpan.FromSeconds(1));
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendRawAsync(bytes);
        byte[] answer = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));

        string text = Encoding.Latin1.GetString(answer);
        Assert.True(answer.Length == 0 || text.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal) || text.StartsWith("HTTP/1.1 431 ", StringComparison.Ordinal),
            $"{name}: expected 400/431 or a silent drop, got: {text[..Math.Min(text.Length, 80)]}");
        Assert.DoesNotContain("unexpected error", server.LogText);

        // The server is still fine for the next client.
        await using RawClient next = await RawClient.OpenAsync(server);
    }

    private static void AssertClosingResponse(HttpHead response)
    {
        // Every refusal tells the client exactly how long the body is and that the connection ends after it.
        Assert.NotNull(response.Header("Content-Length"));
        Assert.Equal(response.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.Equal("close", response.Header("Connection"), ignoreCase: true);
        Assert.Null(response.Header("Sec-WebSocket-Accept"));
    }

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
