using System.Buffers;
using System.Text;
using RawSocketChat.Http;

namespace RawSocketChat.Tests.Http;

public class HttpResponseTests
{
    /// <summary>A response as written, split the way a client reads it: status line, header lines, body bytes.</summary>
    private sealed record Wire(string StatusLine, List<(string Name, string Value)> Headers, byte[] Body)
    {
        public string[] Values(string name) =>
            Headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray();

        public static Wire Read(byte[] bytes)
        {
            string text = Encoding.Latin1.GetString(bytes);
            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            Assert.True(end > 0, "no blank line ends the head");
            string[] lines = text[..end].Split("\r\n");
            foreach (string line in lines)
                Assert.DoesNotContain('\n', line); // every line ends in CRLF, none in a bare LF
            var headers = lines[1..].Select(line =>
            {
                int colon = line.IndexOf(": ", StringComparison.Ordinal);
                Assert.True(colon > 0, $"malformed header line '{line}'");
                return (line[..colon], line[(colon + 2)..]);
            }).ToList();
            return new Wire(lines[0], headers, bytes[(end + 4)..]);
        }
    }

    private static Wire Write(HttpResponse response, bool headOnly = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        response.WriteTo(buffer, headOnly);
        return Wire.Read(buffer.WrittenSpan.ToArray());
    }

    [Fact]
    [Trait("Rfc", "6455-10.7-http-status")]
    public void Error_response_is_well_formed_HTTP_1_1()
    {
        Wire wire = Write(HttpResponse.Error(400, "Missing Sec-WebSocket-Key"));

        // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
        Assert.Equal("HTTP/1.1 400 Bad Request", wire.StatusLine);
        Assert.Equal(["text/plain; charset=utf-8"], wire.Values("Content-Type"));
        Assert.Equal("Missing Sec-WebSocket-Key\n", Encoding.UTF8.GetString(wire.Body));
    }

    [Fact]
    public void Content_length_counts_body_bytes_not_characters()
    {
        Wire wire = Write(HttpResponse.Error(403, "Origin refusé — ✗"));

        Assert.Equal([wire.Body.Length.ToString()], wire.Values("Content-Length"));
        Assert.True(wire.Body.Length > "Origin refusé — ✗\n".Length);
    }

    [Fact]
    public void Plain_response_closes_the_connection()
    {
        // This server never keeps a non-WebSocket connection open (RFC 9112 §9.6).
        Wire wire = Write(HttpResponse.Content(200, "text/html; charset=utf-8", "<p>hi</p>"u8.ToArray()));

        Assert.Equal("HTTP/1.1 200 OK", wire.StatusLine);
        Assert.Equal(["close"], wire.Values("Connection"));
        Assert.Equal(["9"], wire.Values("Content-Length"));
        Assert.Equal("<p>hi</p>"u8.ToArray(), wire.Body);
    }

    [Fact]
    public void Empty_body_has_content_length_zero()
    {
        Wire wire = Write(HttpResponse.Content(200, "text/plain", ReadOnlyMemory<byte>.Empty));

        Assert.Equal(["0"], wire.Values("Content-Length"));
        Assert.Empty(wire.Body);
    }

    [Fact]
    public void Head_only_omits_the_body_but_keeps_its_length()
    {
        // RFC 9110 §9.3.2: the response to HEAD has the same header fields as GET would, and no content.
        Wire wire = Write(HttpResponse.Content(200, "text/html", "<p>hi</p>"u8.ToArray()), headOnly: true);

        Assert.Equal(["9"], wire.Values("Content-Length"));
        Assert.Empty(wire.Body);
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-101")]
    public void Switching_protocols_has_no_content_length_and_keeps_the_connection()
    {
        // RFC 9110 §8.6: a server MUST NOT send Content-Length in a 1xx response; the connection stays open for frames.
        Wire wire = Write(HttpResponse.SwitchingProtocols("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "chat"));

        Assert.Equal("HTTP/1.1 101 Switching Protocols", wire.StatusLine);
        Assert.Equal(["websocket"], wire.Values("Upgrade"));
        Assert.Equal(["Upgrade"], wire.Values("Connection"));
        Assert.Equal(["s3pPLMBiTxaQ9kYGzzhZRbK+xOo="], wire.Values("Sec-WebSocket-Accept"));
        Assert.Equal(["chat"], wire.Values("Sec-WebSocket-Protocol"));
        Assert.Empty(wire.Values("Content-Length"));
        Assert.Empty(wire.Body); // nothing follows the blank line until the first frame
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-subprotocol-none")]
    public void Switching_protocols_without_subprotocol_has_no_protocol_header() =>
        Assert.Empty(Write(HttpResponse.SwitchingProtocols("x", null)).Values("Sec-WebSocket-Protocol"));

    [Fact]
    public void Headers_added_with_With_are_written_in_order()
    {
        Wire wire = Write(HttpResponse.Error(426, "Upgrade required").With("Sec-WebSocket-Version", "13").With("X-A", "1"));

        Assert.Equal("HTTP/1.1 426 Upgrade Required", wire.StatusLine);
        Assert.Equal(["13"], wire.Values("Sec-WebSocket-Version"));
        var names = wire.Headers.Select(h => h.Name).ToList();
        Assert.True(names.IndexOf("Sec-WebSocket-Version") < names.IndexOf("X-A"));
    }

    [Theory]
    [InlineData(400, "Bad Request")]
    [InlineData(403, "Forbidden")]
    [InlineData(404, "Not Found")]
    [InlineData(405, "Method Not Allowed")]
    [InlineData(408, "Request Timeout")]
    [InlineData(426, "Upgrade Required")]
    [InlineData(431, "Request Header Fields Too Large")]
    [InlineData(503, "Service Unavailable")]
    public void Status_line_carries_the_standard_reason_phrase(int status, string phrase) =>
        Assert.Equal($"HTTP/1.1 {status} {phrase}", Write(HttpResponse.Error(status, "x")).StatusLine);

    [Fact]
    public void Written_response_can_be_parsed_back_as_HTTP()
    {
        // Our own strict request parser accepts header lines in the same grammar; this guards the CRLFs and ": ".
        var buffer = new ArrayBufferWriter<byte>();
        HttpResponse.Error(405, "Only GET").With("Allow", "GET").WriteTo(buffer);
        string text = Encoding.Latin1.GetString(buffer.WrittenSpan);
        string asRequest = "GET / HTTP/1.1" + text[text.IndexOf("\r\n", StringComparison.Ordinal)..];

        HttpRequest parsed = Requests.ParseComplete(asRequest);

        Assert.Equal("GET", parsed.Get("Allow"));
        Assert.Equal("close", parsed.Get("Connection"));
    }
}
