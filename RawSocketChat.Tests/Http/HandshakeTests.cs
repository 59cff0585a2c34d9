using System.Buffers;
using System.Text;
using RawSocketChat.Http;

namespace RawSocketChat.Tests.Http;

public class HandshakeTests
{
    private static readonly OriginPolicy DefaultOrigins = new(OriginPolicy.Default);

    private static HttpResponse Answer(HandshakeRequest request, params string[] subprotocols) =>
        Handshake.Accept(request.Parse(), subprotocols, DefaultOrigins);

    private static string[] HeaderValues(HttpResponse response, string name) =>
        response.Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray();

    /// <summary>The value of a header the response carries at most once; null if absent.</summary>
    private static string? Header(HttpResponse response, string name)
    {
        string[] values = HeaderValues(response, name);
        Assert.True(values.Length <= 1, $"{name} appears {values.Length} times");
        return values.FirstOrDefault();
    }

    private static void AssertRefused(int status, HttpResponse response)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.False(response.IsUpgrade);
        Assert.Empty(HeaderValues(response, "Sec-WebSocket-Accept"));
        Assert.False(string.IsNullOrEmpty(response.Reason));
    }

    // ---- Sec-WebSocket-Accept ----

    [Fact]
    [Trait("Rfc", "6455-4.2.2-accept")]
    public void Accept_value_of_the_RFC_example_key()
    {
        // RFC 6455 §1.3: key "dGhlIHNhbXBsZSBub25jZQ==" gives "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", Handshake.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-101")]
    public void Valid_request_is_answered_with_101_and_the_three_upgrade_headers()
    {
        // RFC 6455 §4.2.2 step 5.
        HttpResponse response = Answer(new HandshakeRequest());

        Assert.Equal(101, response.StatusCode);
        Assert.True(response.IsUpgrade);
        Assert.Equal("websocket", Header(response, "Upgrade"));
        Assert.Equal("Upgrade", Header(response, "Connection"));
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", Header(response, "Sec-WebSocket-Accept"));
        Assert.Empty(HeaderValues(response, "Sec-WebSocket-Protocol"));
        Assert.True(response.Body.IsEmpty);
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-subprotocol")]
    public void Browser_handshake_is_accepted()
    {
        HttpResponse response = Handshake.Accept(Requests.ParseComplete(Requests.BrowserHandshake), ["chat"], DefaultOrigins);

        Assert.Equal(101, response.StatusCode);
        Assert.Equal("chat", Header(response, "Sec-WebSocket-Protocol"));
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-accept")]
    public void Accept_value_differs_for_another_key()
    {
        var key = Convert.ToBase64String(Enumerable.Range(1, 16).Select(i => (byte)i).ToArray());

        HttpResponse response = Answer(new HandshakeRequest().Set("Sec-WebSocket-Key", key));

        Assert.Equal(101, response.StatusCode);
        Assert.Equal(Handshake.ComputeAccept(key), Header(response, "Sec-WebSocket-Accept"));
        Assert.NotEqual("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", Header(response, "Sec-WebSocket-Accept"));
    }

    // ---- Step 1: method and version ----

    [Theory]
    [Trait("Rfc", "6455-4.1-get")]
    [InlineData("POST /chat HTTP/1.1")]
    [InlineData("HEAD /chat HTTP/1.1")]
    [InlineData("get /chat HTTP/1.1")] // RFC 9110 §9.1: methods are case-sensitive
    public void Method_other_than_GET_is_refused_with_405_and_Allow(string requestLine)
    {
        // RFC 6455 §4.1: "The method of the request MUST be GET"; RFC 9110 §15.5.6: a 405 carries Allow.
        HttpResponse response = Answer(new HandshakeRequest().WithRequestLine(requestLine));

        AssertRefused(405, response);
        Assert.Equal("GET", Header(response, "Allow"));
    }

    [Fact]
    [Trait("Rfc", "6455-4.1-http11")]
    public void HTTP_1_0_is_refused_with_400()
    {
        // RFC 6455 §4.1: "the HTTP version MUST be at least 1.1".
        AssertRefused(400, Answer(new HandshakeRequest().WithRequestLine("GET /chat HTTP/1.0")));
    }

    // ---- Step 2: Host ----

    [Fact]
    [Trait("Rfc", "6455-4.1-host")]
    public void Missing_Host_is_refused_with_400() =>
        AssertRefused(400, Answer(new HandshakeRequest().Set("Host", null)));

    [Fact]
    [Trait("Rfc", "6455-4.1-host")]
    public void Empty_Host_is_refused_with_400() =>
        AssertRefused(400, Answer(new HandshakeRequest().Set("Host", "")));

    [Fact]
    [Trait("Rfc", "6455-4.1-host")]
    public void Two_Host_headers_are_refused_with_400()
    {
        // RFC 9112 §3.2: a server MUST respond 400 to a request with more than one Host header field.
        AssertRefused(400, Answer(new HandshakeRequest().Add("Host", "localhost:8080")));
    }

    // ---- Step 3: Upgrade and Connection ----

    [Theory]
    [Trait("Rfc", "6455-4.1-upgrade")]
    [InlineData("websocket")]
    [InlineData("WebSocket")]
    [InlineData("WEBSOCKET")]
    [InlineData("h2c, websocket")]
    public void Upgrade_naming_websocket_in_any_case_is_accepted(string upgrade) =>
        Assert.Equal(101, Answer(new HandshakeRequest().Set("Upgrade", upgrade)).StatusCode);

    [Theory]
    [Trait("Rfc", "6455-4.1-upgrade")]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("websocketx")]
    [InlineData("web socket")]
    [InlineData("h2c")]
    [InlineData("websocket/13x")]
    public void Upgrade_not_naming_websocket_is_refused_with_400(string? upgrade)
    {
        // RFC 6455 §4.2.1 item 3: "An |Upgrade| header field containing the value "websocket", treated as an ASCII
        // case-insensitive value." It is a list of tokens, so a token that merely contains "websocket" is not it.
        AssertRefused(400, Answer(new HandshakeRequest().Set("Upgrade", upgrade)));
    }

    [Theory]
    [Trait("Rfc", "6455-4.1-connection")]
    [InlineData("Upgrade")]
    [InlineData("upgrade")]
    [InlineData("keep-alive, Upgrade")] // what Firefox sends
    [InlineData("Upgrade,keep-alive")]
    public void Connection_containing_the_Upgrade_token_is_accepted(string connection) =>
        Assert.Equal(101, Answer(new HandshakeRequest().Set("Connection", connection)).StatusCode);

    [Fact]
    [Trait("Rfc", "6455-4.1-connection")]
    public void Connection_tokens_may_be_split_across_header_lines() =>
        Assert.Equal(101, Answer(new HandshakeRequest().Set("Connection", "keep-alive").Add("Connection", "Upgrade")).StatusCode);

    [Theory]
    [Trait("Rfc", "6455-4.1-connection")]
    [InlineData(null)]
    [InlineData("keep-alive")]
    [InlineData("Upgraded")]
    [InlineData("close")]
    [InlineData("keep-alive Upgrade")]
    public void Connection_without_the_Upgrade_token_is_refused_with_400(string? connection)
    {
        // RFC 6455 §4.2.1 item 4: "A |Connection| header field that includes the token "Upgrade", treated as an
        // ASCII case-insensitive value."
        AssertRefused(400, Answer(new HandshakeRequest().Set("Connection", connection)));
    }

    // ---- Step 4: Sec-WebSocket-Key ----

    public static TheoryData<string?> BadKeys => new()
    {
        null,
        "",
        "not base64 at all!!!!!!!",
        "dGhlIHNhbXBsZSBub25jZQ",                          // 16 bytes without the padding
        Convert.ToBase64String(new byte[15]),              // decodes to 15 bytes
        Convert.ToBase64String(new byte[17]),              // decodes to 17 bytes, still 24 characters
        Convert.ToBase64String(new byte[18]),              // 24 characters with no padding
        "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ==",
    };

    [Theory]
    [Trait("Rfc", "6455-4.1-key")]
    [MemberData(nameof(BadKeys))]
    public void Key_that_is_not_base64_of_16_bytes_is_refused_with_400(string? key)
    {
        // RFC 6455 §4.2.1 item 5: "a base64-encoded value that, when decoded, is 16 bytes in length".
        AssertRefused(400, Answer(new HandshakeRequest().Set("Sec-WebSocket-Key", key)));
    }

    [Fact]
    [Trait("Rfc", "6455-4.1-key")]
    public void Two_key_headers_are_refused_with_400() =>
        AssertRefused(400, Answer(new HandshakeRequest().Add("Sec-WebSocket-Key", Requests.RfcKey)));

    [Fact]
    [Trait("Rfc", "6455-4.1-key")]
    public void Key_of_16_bytes_is_accepted_and_its_own_bytes_do_not_matter()
    {
        Assert.True(Handshake.IsValidKey(Convert.ToBase64String(new byte[16])));
        Assert.True(Handshake.IsValidKey(Convert.ToBase64String(Enumerable.Repeat((byte)0xFF, 16).ToArray())));
    }

    // ---- Step 5: Sec-WebSocket-Version ----

    [Theory]
    [Trait("Rfc", "6455-4.2.2-version")]
    [InlineData(null)]
    [InlineData("8")]
    [InlineData("12")]
    [InlineData("13, 8")]
    [InlineData("14")]
    [InlineData("")]
    public void Version_other_than_13_gets_426_naming_version_13(string? version)
    {
        // RFC 6455 §4.2.2 item 4: answer with "an appropriate HTTP error code (such as 426 Upgrade Required) and a
        // |Sec-WebSocket-Version| header field indicating the version(s) the server is capable of understanding."
        HttpResponse response = Answer(new HandshakeRequest().Set("Sec-WebSocket-Version", version));

        AssertRefused(426, response);
        Assert.Equal("13", Header(response, "Sec-WebSocket-Version"));
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-version")]
    public void Version_split_across_two_lines_gets_426() =>
        AssertRefused(426, Answer(new HandshakeRequest().Add("Sec-WebSocket-Version", "8")));

    // ---- Step 6: Origin ----

    [Fact]
    [Trait("Rfc", "6455-4.2.2-origin")]
    public void Origin_the_policy_refuses_gets_403()
    {
        // RFC 6455 §4.2.2 item 4 (/origin/): "the server MAY ... reply with an appropriate HTTP error code (such as 403 Forbidden)".
        AssertRefused(403, Answer(new HandshakeRequest().Set("Origin", "http://evil.example")));
    }

    [Fact]
    [Trait("Rfc", "6455-10.2-origin")]
    public void Origin_the_policy_allows_is_accepted() =>
        Assert.Equal(101, Answer(new HandshakeRequest().Set("Origin", "http://localhost:8080")).StatusCode);

    [Fact]
    [Trait("Rfc", "6455-4.2.1-host-authority")]
    public void Origin_is_checked_against_the_request_Host()
    {
        var request = new HandshakeRequest().Set("Host", "chat.example:443").Set("Origin", "https://chat.example");

        Assert.Equal(101, Answer(request).StatusCode);
        Assert.Equal(403, Handshake.Accept(request.Parse(), [], new OriginPolicy("http://localhost")).StatusCode);
    }

    [Fact]
    [Trait("Rfc", "6455-4.1-get")]
    [Trait("Rfc", "6455-4.1-http11")]
    public void Checks_run_in_the_order_of_the_RFC()
    {
        // A request wrong in every way is refused for its method first, then for each later step in turn.
        var request = new HandshakeRequest()
            .WithRequestLine("POST /chat HTTP/1.0").Set("Host", null).Set("Upgrade", "h2c").Set("Connection", "close")
            .Set("Sec-WebSocket-Key", "short").Set("Sec-WebSocket-Version", "8").Set("Origin", "http://evil.example");

        AssertRefusedFor(405, "GET", request);
        AssertRefusedFor(400, "HTTP/1.1", request.WithRequestLine("GET /chat HTTP/1.0"));
        AssertRefusedFor(400, "Host", request.WithRequestLine("GET /chat HTTP/1.1"));
        AssertRefusedFor(400, "Upgrade", request.Set("Host", "localhost"));
        AssertRefusedFor(400, "Connection", request.Set("Upgrade", "websocket"));
        AssertRefusedFor(400, "Sec-WebSocket-Key", request.Set("Connection", "Upgrade"));
        AssertRefusedFor(426, "Sec-WebSocket-Version", request.Set("Sec-WebSocket-Key", Requests.RfcKey));
        AssertRefusedFor(403, "Origin", request.Set("Sec-WebSocket-Version", "13"));
        Assert.Equal(101, Answer(request.Set("Origin", "http://localhost")).StatusCode);

        static void AssertRefusedFor(int status, string reasonMentions, HandshakeRequest request)
        {
            HttpResponse response = Answer(request);
            AssertRefused(status, response);
            Assert.Contains(reasonMentions, response.Reason);
        }
    }

    // ---- Step 7: subprotocol ----

    [Fact]
    [Trait("Rfc", "6455-4.2.2-subprotocol")]
    public void First_offered_subprotocol_that_is_supported_is_selected()
    {
        // RFC 6455 §4.1: the client lists subprotocols "ordered by preference"; the server picks one of them.
        var request = new HandshakeRequest().Set("Sec-WebSocket-Protocol", "v3, v2, v1");

        Assert.Equal("v2", Header(Answer(request, "v1", "v2"), "Sec-WebSocket-Protocol"));
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-subprotocol")]
    public void Subprotocols_offered_on_several_lines_are_one_list()
    {
        var request = new HandshakeRequest().Set("Sec-WebSocket-Protocol", "unknown").Add("Sec-WebSocket-Protocol", "v2,v1");

        Assert.Equal("v2", Header(Answer(request, "v1", "v2"), "Sec-WebSocket-Protocol"));
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-subprotocol-none")]
    public void No_subprotocol_offered_means_no_protocol_header()
    {
        HttpResponse response = Answer(new HandshakeRequest(), "v1");

        Assert.Equal(101, response.StatusCode);
        Assert.Empty(HeaderValues(response, "Sec-WebSocket-Protocol"));
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-subprotocol-none")]
    public void No_supported_subprotocol_means_101_without_protocol_header()
    {
        // RFC 6455 §4.2.2 item 5.4: "The absence of such a field is equivalent to the null value (meaning that if the
        // server does not wish to agree to one of the suggested subprotocols, it MUST NOT send back a
        // |Sec-WebSocket-Protocol| header field in its response)."
        HttpResponse response = Answer(new HandshakeRequest().Set("Sec-WebSocket-Protocol", "V1, other"), "v1");

        Assert.Equal(101, response.StatusCode);
        Assert.Empty(HeaderValues(response, "Sec-WebSocket-Protocol"));
    }

    // ---- On the wire ----

    [Fact]
    [Trait("Rfc", "6455-4.2.2-101")]
    public void Upgrade_response_on_the_wire_matches_the_RFC_example()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Answer(new HandshakeRequest()).WriteTo(buffer);
        string wire = Encoding.Latin1.GetString(buffer.WrittenSpan);

        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", wire);
        Assert.Contains("\r\nUpgrade: websocket\r\n", wire);
        Assert.Contains("\r\nConnection: Upgrade\r\n", wire);
        Assert.Contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", wire);
        Assert.EndsWith("\r\n\r\n", wire);
    }
}
