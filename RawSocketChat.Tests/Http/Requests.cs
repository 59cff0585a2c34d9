using System.Buffers;
using System.Text;
using RawSocketChat.Http;

namespace RawSocketChat.Tests.Http;

/// <summary>What one call to <see cref="HttpRequestParser.TryParse"/> returned, with the request copied out.</summary>
internal sealed record ParseOutcome(HttpParseStatus Status, HttpRequest? Request, long ConsumedBytes, HttpError Error)
{
    public static ParseOutcome Of(in ReadOnlySequence<byte> input, int maxHeaderBytes = Requests.DefaultMaxHeaderBytes)
    {
        HttpParseStatus status = HttpRequestParser.TryParse(input, maxHeaderBytes, out HttpRequest? request, out SequencePosition consumed, out HttpError error);
        return new(status, request, input.Slice(input.Start, consumed).Length, error);
    }

    /// <summary>Everything observable, as text: two outcomes are the same parse when these are equal.</summary>
    public string Describe() =>
        Request is null
            ? $"{Status} consumed={ConsumedBytes} error={Error}"
            : $"{Status} consumed={ConsumedBytes} {Request.Method} {Request.Target} path={Request.Path} "
              + $"HTTP/{Request.VersionMajor}.{Request.VersionMinor} "
              + string.Join(" | ", Request.Headers.Select(h => $"{h.Key}={h.Value}"));

    public override string ToString() => Describe();
}

/// <summary>Request heads as they appear on the wire, and the parser applied to them.</summary>
internal static class Requests
{
    public const int DefaultMaxHeaderBytes = 8192;

    /// <summary>The key of the RFC 6455 §1.3 example, whose accept value is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.</summary>
    public const string RfcKey = "dGhlIHNhbXBsZSBub25jZQ==";

    /// <summary>A browser's opening handshake (RFC 6455 §1.2), with a query, a repeated header and padded values.</summary>
    public const string BrowserHandshake =
        "GET /chat?room=lobby HTTP/1.1\r\n" +
        "Host: localhost:8080\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: keep-alive, Upgrade\r\n" +
        "Sec-WebSocket-Key: " + RfcKey + "\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Protocol: chat\r\n" +
        "sec-websocket-protocol: superchat\r\n" +
        "X-Padded: \t  two  words \t \r\n" +
        "Origin: http://localhost:8080\r\n" +
        "\r\n";

    /// <summary>Latin-1, so that every char below 256 is exactly one byte on the wire, control bytes included.</summary>
    public static byte[] Bytes(string wire) => Encoding.Latin1.GetBytes(wire);

    public static ParseOutcome Parse(string wire, int maxHeaderBytes = DefaultMaxHeaderBytes) =>
        ParseOutcome.Of(new ReadOnlySequence<byte>(Bytes(wire)), maxHeaderBytes);

    public static ParseOutcome Parse(byte[] wire, int maxHeaderBytes = DefaultMaxHeaderBytes) =>
        ParseOutcome.Of(new ReadOnlySequence<byte>(wire), maxHeaderBytes);

    /// <summary>Parses a head that must be complete and returns the request.</summary>
    public static HttpRequest ParseComplete(string wire)
    {
        ParseOutcome outcome = Parse(wire);
        Assert.True(outcome.Status == HttpParseStatus.Complete, outcome.Describe());
        return outcome.Request!;
    }
}

/// <summary>
/// Builds an opening-handshake request, valid unless a test changes it, and parses it with the real parser so that
/// handshake tests see exactly what the server would.
/// </summary>
internal sealed class HandshakeRequest
{
    private readonly List<(string Name, string Value)> _headers =
    [
        ("Host", "localhost:8080"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", Requests.RfcKey),
        ("Sec-WebSocket-Version", "13"),
    ];

    public string RequestLine { get; private set; } = "GET /chat HTTP/1.1";

    public HandshakeRequest WithRequestLine(string line)
    {
        RequestLine = line;
        return this;
    }

    /// <summary>Replaces every line of this header with one line, or removes them all when <paramref name="value"/> is null.</summary>
    public HandshakeRequest Set(string name, string? value)
    {
        int at = _headers.FindIndex(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase));
        _headers.RemoveAll(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase));
        if (value is not null)
            _headers.Insert(at < 0 ? _headers.Count : at, (name, value));
        return this;
    }

    /// <summary>Adds one more line, keeping any earlier lines of the same header.</summary>
    public HandshakeRequest Add(string name, string value)
    {
        _headers.Add((name, value));
        return this;
    }

    public string ToWire() =>
        RequestLine + "\r\n" + string.Concat(_headers.Select(h => $"{h.Name}: {h.Value}\r\n")) + "\r\n";

    public HttpRequest Parse() => Requests.ParseComplete(ToWire());

    public override string ToString() => ToWire();
}
