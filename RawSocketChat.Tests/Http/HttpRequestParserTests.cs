using System.Buffers;
using System.Text;
using RawSocketChat.Http;
using RawSocketChat.Tests.Protocol;

namespace RawSocketChat.Tests.Http;

public class HttpRequestParserTests
{
    // ---- A complete head ----

    [Fact]
    public void Complete_request_exposes_method_target_path_and_version()
    {
        HttpRequest request = Requests.ParseComplete(Requests.BrowserHandshake);

        Assert.Equal("GET", request.Method);
        Assert.Equal("/chat?room=lobby", request.Target);
        Assert.Equal("/chat", request.Path);
        Assert.Equal(1, request.VersionMajor);
        Assert.Equal(1, request.VersionMinor);
        Assert.True(request.IsAtLeastHttp11);
    }

    [Fact]
    public void Headers_are_kept_in_order_with_their_names_as_sent()
    {
        HttpRequest request = Requests.ParseComplete(Requests.BrowserHandshake);

        Assert.Equal(
            ["Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol",
             "sec-websocket-protocol", "X-Padded", "Origin"],
            request.Headers.Select(h => h.Key));
        Assert.Equal("localhost:8080", request.Get("host"));
    }

    [Fact]
    public void Repeated_header_lines_are_all_kept_and_names_match_case_insensitively()
    {
        // RFC 9110 §5.3: several lines of one list header are equivalent to one line with the values comma-joined.
        HttpRequest request = Requests.ParseComplete(Requests.BrowserHandshake);

        Assert.Equal(2, request.Count("Sec-WebSocket-Protocol"));
        Assert.Equal("chat, superchat", request.Get("SEC-WEBSOCKET-PROTOCOL"));
        Assert.Equal(["chat", "superchat"], request.GetList("Sec-WebSocket-Protocol"));
        Assert.Null(request.Get("Cookie"));
    }

    [Fact]
    public void Optional_whitespace_around_a_value_is_trimmed_but_inner_whitespace_kept()
    {
        // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS
        HttpRequest request = Requests.ParseComplete(Requests.BrowserHandshake);

        Assert.Equal("two  words", request.Get("X-Padded"));
    }

    [Fact]
    public void Header_without_whitespace_after_the_colon_and_empty_values_are_accepted()
    {
        HttpRequest request = Requests.ParseComplete("GET / HTTP/1.1\r\nHost:example.com\r\nX-Empty:\r\nX-Blank:   \r\n\r\n");

        Assert.Equal("example.com", request.Get("Host"));
        Assert.Equal("", request.Get("X-Empty"));
        Assert.Equal("", request.Get("X-Blank"));
    }

    [Fact]
    public void Obs_text_in_a_value_is_read_as_latin1()
    {
        // RFC 9110 §5.5: obs-text (0x80-0xFF) is allowed in field values; it has no defined charset.
        HttpRequest request = Requests.ParseComplete("GET / HTTP/1.1\r\nX-Name: caf\u00e9\r\n\r\n");

        Assert.Equal("caf\u00e9", request.Get("X-Name"));
    }

    [Theory]
    [Trait("Rfc", "6455-4.1-request-uri")]
    [InlineData("/", "/")]
    [InlineData("/chat", "/chat")]
    [InlineData("/chat?x=1&y=2", "/chat")]
    [InlineData("/chat#frag", "/chat")]
    [InlineData("/a/b/?", "/a/b/")]
    [InlineData("http://example.com/chat?x=1", "/chat")] // absolute-form, RFC 9112 §3.2.2
    [InlineData("HTTPS://example.com:8443/a/b", "/a/b")]
    [InlineData("http://example.com", "/")]
    public void Path_is_the_target_without_query(string target, string path)
    {
        HttpRequest request = Requests.ParseComplete($"GET {target} HTTP/1.1\r\nHost: example.com\r\n\r\n");

        Assert.Equal(target, request.Target);
        Assert.Equal(path, request.Path);
    }

    [Theory]
    [InlineData("HTTP/1.0", 1, 0, false)]
    [InlineData("HTTP/1.1", 1, 1, true)]
    [InlineData("HTTP/2.0", 2, 0, true)]
    public void Version_digits_are_reported_as_sent(string version, int major, int minor, bool atLeast11)
    {
        HttpRequest request = Requests.ParseComplete($"GET / {version}\r\n\r\n");

        Assert.Equal((major, minor, atLeast11), (request.VersionMajor, request.VersionMinor, request.IsAtLeastHttp11));
    }

    [Fact]
    public void Methods_are_any_token_and_kept_case_sensitive()
    {
        // RFC 9110 §9.1: the method token is case-sensitive; deciding what "get" means is the handshake's job.
        Assert.Equal("get", Requests.ParseComplete("get / HTTP/1.1\r\n\r\n").Method);
        Assert.Equal("M-SEARCH", Requests.ParseComplete("M-SEARCH / HTTP/1.1\r\n\r\n").Method);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\r\n\r\n")]
    public void Empty_lines_before_the_request_line_are_ignored(string leading)
    {
        // RFC 9112 §2.2: "a server that is expecting to receive and parse a request-line SHOULD ignore at least one
        // empty line (CRLF) received prior to the request-line."
        ParseOutcome outcome = Requests.Parse(leading + Requests.BrowserHandshake);

        Assert.Equal(HttpParseStatus.Complete, outcome.Status);
        Assert.Equal("/chat?room=lobby", outcome.Request!.Target);
        Assert.Equal(Requests.Bytes(leading + Requests.BrowserHandshake).Length, outcome.ConsumedBytes);
    }

    // ---- Where the head ends ----

    [Fact]
    public void Consumed_points_just_after_the_blank_line_so_following_bytes_stay_unread()
    {
        // The first WebSocket frame may arrive in the same TCP segment as the handshake.
        byte[] head = Requests.Bytes(Requests.BrowserHandshake);
        byte[] frame = [0x81, 0x82, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F];
        var input = new ReadOnlySequence<byte>([.. head, .. frame]);

        HttpParseStatus status = HttpRequestParser.TryParse(input, 8192, out _, out SequencePosition consumed, out _);

        Assert.Equal(HttpParseStatus.Complete, status);
        Assert.Equal(frame, input.Slice(consumed).ToArray());
    }

    [Fact]
    public void Consumed_is_right_after_the_blank_line_in_a_multi_segment_input()
    {
        byte[] head = Requests.Bytes(Requests.BrowserHandshake);
        byte[] next = Requests.Bytes("GET /next HTTP/1.1\r\n");
        byte[] all = [.. head, .. next];
        ReadOnlySequence<byte> input = Segments.Split(all, [7, head.Length - 1, head.Length + 3]);

        HttpParseStatus status = HttpRequestParser.TryParse(input, 8192, out _, out SequencePosition consumed, out _);

        Assert.Equal(HttpParseStatus.Complete, status);
        Assert.Equal(next, input.Slice(consumed).ToArray());
    }

    [Fact]
    public void Every_proper_prefix_of_a_head_is_incomplete()
    {
        byte[] head = Requests.Bytes(Requests.BrowserHandshake);

        for (int length = 0; length < head.Length; length++)
        {
            ParseOutcome outcome = Requests.Parse(head[..length]);
            Assert.True(outcome.Status == HttpParseStatus.Incomplete, $"prefix of {length} bytes: {outcome}");
            Assert.Null(outcome.Request);
            Assert.Equal(0, outcome.ConsumedBytes);
        }
    }

    [Fact]
    public void Splitting_the_bytes_at_any_one_or_two_points_gives_the_same_request()
    {
        // TCP may cut the stream anywhere; a PipeReader then hands the parser a multi-segment sequence.
        byte[] head = Requests.Bytes(Requests.BrowserHandshake + "trailing");
        string expected = Requests.Parse(head).Describe();

        for (int i = 0; i <= head.Length; i++)
        {
            for (int j = i; j <= head.Length; j += 5)
            {
                string actual = ParseOutcome.Of(Segments.Split(head, [i, j])).Describe();
                Assert.True(expected == actual, $"cut at {i},{j}: {actual}");
            }
        }
    }

    [Fact]
    public void One_byte_segments_give_the_same_request()
    {
        byte[] head = Requests.Bytes(Requests.BrowserHandshake);
        ReadOnlySequence<byte> input = Segments.Of(head.Select(b => new[] { b }).ToArray());

        Assert.Equal(Requests.Parse(head).Describe(), ParseOutcome.Of(input).Describe());
    }

    // ---- Limits (RFC 6585 §5: 431 Request Header Fields Too Large) ----

    [Fact]
    [Trait("Rfc", "6455-10.4-head-size")]
    public void Head_whose_end_never_comes_is_refused_once_it_reaches_the_limit()
    {
        // The parser must not buffer more than maxHeaderBytes waiting for a blank line that never comes.
        string start = "GET / HTTP/1.1\r\nX-Long: ";
        string atLimit = start + new string('a', 1024 - start.Length);

        Assert.Equal(HttpParseStatus.Incomplete, Requests.Parse(atLimit[..^1], maxHeaderBytes: 1024).Status);
        ParseOutcome outcome = Requests.Parse(atLimit, maxHeaderBytes: 1024);
        Assert.Equal(HttpParseStatus.Invalid, outcome.Status);
        Assert.Equal(431, outcome.Error.StatusCode);
    }

    [Fact]
    public void Many_complete_header_lines_without_the_blank_line_are_refused_at_the_limit()
    {
        var wire = new StringBuilder("GET / HTTP/1.1\r\n");
        while (wire.Length < 1024)
            wire.Append("X-A: b\r\n");

        ParseOutcome outcome = Requests.Parse(wire.ToString(), maxHeaderBytes: 1024);

        Assert.Equal((HttpParseStatus.Invalid, 431), (outcome.Status, outcome.Error.StatusCode));
    }

    [Fact]
    public void Head_that_ends_past_the_limit_is_refused_even_when_complete()
    {
        string head = PaddedHead(1025);

        ParseOutcome outcome = Requests.Parse(head, maxHeaderBytes: 1024);

        Assert.Equal((HttpParseStatus.Invalid, 431), (outcome.Status, outcome.Error.StatusCode));
    }

    [Fact]
    public void Head_of_exactly_the_limit_is_accepted()
    {
        string head = PaddedHead(1024);

        Assert.Equal(HttpParseStatus.Complete, Requests.Parse(head, maxHeaderBytes: 1024).Status);
        Assert.Equal(HttpParseStatus.Complete, Requests.Parse(head + "more bytes after the head", maxHeaderBytes: 1024).Status);
    }

    [Fact]
    public void A_hundred_header_fields_are_accepted()
    {
        ParseOutcome outcome = Requests.Parse(HeadWithFields(HttpRequestParser.MaxHeaderCount));

        Assert.Equal(HttpParseStatus.Complete, outcome.Status);
        Assert.Equal(100, outcome.Request!.Headers.Count);
    }

    [Fact]
    [Trait("Rfc", "6455-10.4-head-size")]
    public void More_than_a_hundred_header_fields_are_refused_with_431()
    {
        ParseOutcome outcome = Requests.Parse(HeadWithFields(HttpRequestParser.MaxHeaderCount + 1));

        Assert.Equal((HttpParseStatus.Invalid, 431), (outcome.Status, outcome.Error.StatusCode));
    }

    // ---- Malformed heads: 400 ----

    [Theory]
    [Trait("Rfc", "6455-4.2.1-malformed")]
    [InlineData("GET / HTTP/1.1\n\r\n")] // request line
    [InlineData("GET / HTTP/1.1\r\nHost: a\n\r\n")] // header line
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\n")] // the blank line
    [InlineData("\nGET / HTTP/1.1\r\n\r\n")] // leading empty line
    public void Bare_LF_line_ending_is_refused(string wire)
    {
        // RFC 9112 §2.2 allows a recipient to accept a bare LF; this parser does not, because request smuggling relies
        // on two parsers disagreeing about where a line ends.
        AssertBadRequest(wire);
    }

    [Theory]
    [Trait("Rfc", "6455-4.2.1-malformed")]
    [InlineData("GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nX-A: one\r\n\ttwo\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\n Host: a\r\n\r\n")]
    public void Obsolete_line_folding_is_refused(string wire)
    {
        // RFC 9112 §5.2: a server that receives obs-fold "MUST either reject the message by sending a 400 ..."
        AssertBadRequest(wire);
    }

    [Theory]
    [Trait("Rfc", "6455-4.2.1-malformed")]
    [InlineData("Host : a")] // RFC 9112 §5.1: "No whitespace is allowed between the field name and colon"
    [InlineData("Host\t: a")]
    [InlineData(": a")]
    [InlineData("Host a")]
    [InlineData("Ho st: a")]
    [InlineData("Ho(st): a")]
    [InlineData("H\u00e9: a")]
    public void Malformed_field_name_is_refused(string line) =>
        AssertBadRequest($"GET / HTTP/1.1\r\n{line}\r\n\r\n");

    [Theory]
    [Trait("Rfc", "6455-4.2.1-malformed")]
    [InlineData("a\0b")]
    [InlineData("a\u0001b")]
    [InlineData("a\u001fb")]
    [InlineData("a\u007fb")]
    [InlineData("a\rb")] // a bare CR inside a value
    public void Control_character_in_a_value_is_refused(string value)
    {
        // RFC 9110 §5.5: "Field values containing CR, LF, or NUL characters are invalid and dangerous".
        AssertBadRequest($"GET / HTTP/1.1\r\nX-A: {value}\r\n\r\n");
    }

    [Fact]
    public void Tab_inside_a_value_is_allowed() =>
        Assert.Equal("a\tb", Requests.ParseComplete("GET / HTTP/1.1\r\nX-A: a\tb\r\n\r\n").Get("X-A"));

    [Theory]
    [Trait("Rfc", "6455-4.2.1-malformed")]
    [InlineData("GET /")]
    [InlineData("GET")]
    [InlineData("GET  / HTTP/1.1")]
    [InlineData(" GET / HTTP/1.1")]
    [InlineData("GET / HTTP/1.1 ")]
    [InlineData("GET / HTTP/1.1 extra")]
    [InlineData("GET\t/\tHTTP/1.1")]
    [InlineData("/ HTTP/1.1")]
    [InlineData("G(T / HTTP/1.1")]
    [InlineData("GET\u00e9 / HTTP/1.1")]
    public void Malformed_request_line_is_refused(string line) =>
        AssertBadRequest(line + "\r\n\r\n");

    [Theory]
    [Trait("Rfc", "6455-4.2.1-malformed")]
    [InlineData("http/1.1")]
    [InlineData("HTTP/1")]
    [InlineData("HTTP/11")]
    [InlineData("HTTP/1.10")]
    [InlineData("HTTP/x.1")]
    [InlineData("HTTP/1.x")]
    [InlineData("HTTP/1,1")]
    [InlineData("HTTPS/1.1")]
    [InlineData("HTTP/2")]
    public void Malformed_version_is_refused(string version)
    {
        // RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT, and HTTP-name is case-sensitive.
        AssertBadRequest($"GET / {version}\r\n\r\n");
    }

    [Theory]
    [Trait("Rfc", "6455-4.1-request-uri")]
    [InlineData("*")] // asterisk-form is only for OPTIONS, which has no resource here
    [InlineData("example.com:443")] // authority-form (CONNECT)
    [InlineData("chat")]
    [InlineData("ftp://example.com/")]
    [InlineData("/a\u007fb")]
    [InlineData("/caf\u00e9")]
    [InlineData("/a\u0001b")]
    public void Malformed_or_unsupported_target_is_refused(string target) =>
        AssertBadRequest($"GET {target} HTTP/1.1\r\n\r\n");

    [Fact]
    [Trait("Rfc", "6455-4.2.1-malformed")]
    public void HTTP2_connection_preface_is_refused()
    {
        // RFC 9113 §3.4: a client with prior knowledge starts with this preface instead of an HTTP/1.1 request.
        AssertBadRequest("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    }

    [Fact]
    public void TLS_ClientHello_is_refused_at_once()
    {
        // A client speaking TLS to the plain port: record type 0x16 (handshake), version 03 01, length, then
        // ClientHello. It contains no line end, so the parser must recognise it from its first bytes rather than
        // wait for the handshake timeout.
        byte[] clientHello =
        [
            0x16, 0x03, 0x01, 0x00, 0xF8, 0x01, 0x00, 0x00, 0xF4, 0x03, 0x03,
            .. Enumerable.Range(0, 32).Select(i => (byte)(0xA0 + i)),
            0x00, 0x00, 0x08, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01, 0x00, 0xFF,
        ];

        for (int length = 1; length <= clientHello.Length; length++)
        {
            ParseOutcome outcome = Requests.Parse(clientHello[..length]);
            Assert.Equal((HttpParseStatus.Invalid, 400), (outcome.Status, outcome.Error.StatusCode));
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x00 })]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x47, 0x00 })]
    [InlineData(new byte[] { 0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D })] // a WebSocket frame with no handshake first
    [InlineData(new byte[] { 0x47, 0x45, 0x54, 0x00 })] // "GET" then NUL
    [InlineData(new byte[] { 0x0D, 0x47 })] // CR not followed by LF
    [InlineData(new byte[] { 0x47, 0x45, 0x54, 0x0D, 0x0A })] // "GET" and a line end: no target, no version
    public void Binary_noise_is_refused(byte[] noise)
    {
        ParseOutcome outcome = Requests.Parse(noise);

        Assert.Equal((HttpParseStatus.Invalid, 400), (outcome.Status, outcome.Error.StatusCode));
    }

    [Theory]
    [InlineData("G")]
    [InlineData("GET")]
    [InlineData("GET ")]
    [InlineData("GET /ch")]
    [InlineData("\r")]
    [InlineData("\r\nGE")]
    public void Start_of_a_plausible_request_line_waits_for_more(string partial) =>
        Assert.Equal(HttpParseStatus.Incomplete, Requests.Parse(partial).Status);

    [Fact]
    public void Request_line_longer_than_the_scratch_buffer_is_parsed()
    {
        string target = "/" + new string('x', 3000);

        Assert.Equal(target, Requests.ParseComplete($"GET {target} HTTP/1.1\r\n\r\n").Target);
    }

    // ---- Helpers ----

    private static void AssertBadRequest(string wire)
    {
        ParseOutcome outcome = Requests.Parse(wire);
        Assert.True(outcome.Status == HttpParseStatus.Invalid && outcome.Error.StatusCode == 400, outcome.Describe());
        Assert.False(string.IsNullOrEmpty(outcome.Error.Reason));
        Assert.Null(outcome.Request);
    }

    /// <summary>A valid head of exactly <paramref name="length"/> bytes.</summary>
    private static string PaddedHead(int length)
    {
        const string start = "GET / HTTP/1.1\r\nX-Pad: ";
        const string end = "\r\n\r\n";
        string head = start + new string('p', length - start.Length - end.Length) + end;
        Assert.Equal(length, head.Length);
        return head;
    }

    private static string HeadWithFields(int count) =>
        "GET / HTTP/1.1\r\n" + string.Concat(Enumerable.Range(0, count).Select(i => $"X-{i}: {i}\r\n")) + "\r\n";
}
