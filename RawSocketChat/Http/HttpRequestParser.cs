using System.Buffers;
using System.Text;

namespace RawSocketChat.Http;

public enum HttpParseStatus : byte { Incomplete, Complete, Invalid }

/// <summary>Why a request head was refused: the status to answer with and a short reason for the body and the log.</summary>
public readonly record struct HttpError(int StatusCode, string Reason);

/// <summary>
/// A strict HTTP/1.1 request-head parser over <see cref="ReadOnlySequence{T}"/>, without I/O.
/// <para>
/// It is called again each time more bytes arrive and either waits for more, returns the request, or says why the
/// bytes can never become a valid request. Limits are enforced while parsing: a head that grows past
/// <c>maxHeaderBytes</c> is refused with 431 as soon as that many bytes are seen without its end, so a client
/// cannot make us buffer more than the limit. It never throws on any input.
/// </para>
/// </summary>
public static class HttpRequestParser
{
    public const int MaxHeaderCount = 100;

    /// <summary>
    /// Parses a request head from the start of <paramref name="input"/>. On <see cref="HttpParseStatus.Complete"/>,
    /// <paramref name="consumed"/> is the position just after the blank line that ends the head. RFC 6455 §4.2.1
    /// [6455-4.2.1-malformed]: a head that breaks the grammar is <see cref="HttpParseStatus.Invalid"/>, answered with
    /// 400.
    /// </summary>
    public static HttpParseStatus TryParse(in ReadOnlySequence<byte> input, int maxHeaderBytes, out HttpRequest? request,
        out SequencePosition consumed, out HttpError error)
    {
        request = null;
        error = default;
        consumed = input.Start;

        var reader = new SequenceReader<byte>(input);
        string? method = null, target = null;
        int major = 0, minor = 0;
        var headers = new List<KeyValuePair<string, string>>();
        Span<byte> scratch = stackalloc byte[1024];

        while (true)
        {
            // The head so far, including the line being read, must stay within the limit (RFC 6585 §5: 431;
            // RFC 6455 §10.4 [6455-10.4-head-size]).
            if (!reader.TryReadTo(out ReadOnlySequence<byte> lineWithCr, (byte)'\n', advancePastDelimiter: true))
            {
                // Bytes that can never start a request line (a TLS ClientHello, 16 03 01 ..., or binary noise) may hold
                // no LF at all: refuse them now rather than wait for the handshake timeout.
                if (method is null && !CouldStartRequestLine(reader.UnreadSequence))
                    return Fail(out error, 400, "Not an HTTP/1.1 request");
                if (input.Length >= maxHeaderBytes)
                    return Fail(out error, 431, "Request header fields too large");
                return HttpParseStatus.Incomplete;
            }
            if (reader.Consumed > maxHeaderBytes)
                return Fail(out error, 431, "Request header fields too large");

            // RFC 9112 §2.2: lines end in CRLF; we do not accept a bare LF, which request smuggling relies on.
            if (lineWithCr.IsEmpty || !EndsWithCr(lineWithCr))
                return Fail(out error, 400, "Line not terminated by CRLF");
            ReadOnlySequence<byte> line = lineWithCr.Slice(0, lineWithCr.Length - 1);
            Span<byte> buffer = line.Length <= scratch.Length ? scratch[..(int)line.Length] : new byte[line.Length];
            line.CopyTo(buffer);

            if (method is null)
            {
                // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
                if (buffer.IsEmpty)
                    continue;
                if (!TryParseRequestLine(buffer, out method, out target, out major, out minor, out error))
                    return HttpParseStatus.Invalid;
                continue;
            }

            if (buffer.IsEmpty)
                break; // the blank line: end of the head

            if (headers.Count == MaxHeaderCount)
                return Fail(out error, 431, "Too many header fields");
            if (!TryParseHeaderLine(buffer, out var header, out error))
                return HttpParseStatus.Invalid;
            headers.Add(header);
        }

        consumed = reader.Position;
        request = new HttpRequest
        {
            Method = method,
            Target = target!,
            Path = PathOf(target!),
            VersionMajor = major,
            VersionMinor = minor,
            Headers = headers,
        };
        return HttpParseStatus.Complete;
    }

    private static bool EndsWithCr(in ReadOnlySequence<byte> line)
    {
        var reader = new SequenceReader<byte>(line);
        reader.Advance(line.Length - 1);
        return reader.TryPeek(out byte last) && last == (byte)'\r';
    }

    /// <summary>
    /// Whether an unfinished first line can still become <c>method SP ...</c> (RFC 9112 §3): a method token so far,
    /// or the CR of an empty line before it.
    /// </summary>
    private static bool CouldStartRequestLine(in ReadOnlySequence<byte> partialLine)
    {
        var reader = new SequenceReader<byte>(partialLine);
        while (reader.TryRead(out byte b))
        {
            if (b == (byte)' ')
                return reader.Consumed > 1; // a non-empty method; the rest is checked once the line is complete
            if (b == (byte)'\r')
                return reader.Consumed == 1 && reader.End;
            if (!IsTchar(b))
                return false;
        }
        return true;
    }

    /// <summary>RFC 9112 §3: <c>method SP request-target SP HTTP-version</c>, with exactly one space between.</summary>
    private static bool TryParseRequestLine(ReadOnlySpan<byte> line, out string? method, out string? target,
        out int major, out int minor, out HttpError error)
    {
        method = target = null;
        major = minor = 0;
        error = default;

        int sp1 = line.IndexOf((byte)' ');
        int sp2 = sp1 < 0 ? -1 : line[(sp1 + 1)..].IndexOf((byte)' ');
        if (sp1 <= 0 || sp2 <= 0)
            return Reject(out error, 400, "Malformed request line");
        sp2 += sp1 + 1;

        ReadOnlySpan<byte> m = line[..sp1], t = line[(sp1 + 1)..sp2], v = line[(sp2 + 1)..];
        if (!IsToken(m))
            return Reject(out error, 400, "Malformed method");

        // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT
        if (v.Length != 8 || !v.StartsWith("HTTP/"u8) || !char.IsAsciiDigit((char)v[5]) || v[6] != '.' || !char.IsAsciiDigit((char)v[7]))
            return Reject(out error, 400, "Malformed HTTP version");

        // Origin-form ("/path?query") or absolute-form ("http://host/path", RFC 9112 §3.2.2); nothing else reaches a
        // resource here (RFC 6455 §4.1 [6455-4.1-request-uri]).
        foreach (byte b in t)
        {
            if (b <= 0x20 || b >= 0x7F)
                return Reject(out error, 400, "Malformed request target");
        }
        string targetText = Encoding.ASCII.GetString(t);
        if (!targetText.StartsWith('/') && !targetText.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            && !targetText.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return Reject(out error, 400, "Unsupported request target");

        method = Encoding.ASCII.GetString(m);
        target = targetText;
        major = v[5] - '0';
        minor = v[7] - '0';
        return true;
    }

    /// <summary>RFC 9112 §5: <c>field-name ":" OWS field-value OWS</c>.</summary>
    private static bool TryParseHeaderLine(ReadOnlySpan<byte> line, out KeyValuePair<string, string> header, out HttpError error)
    {
        header = default;
        error = default;

        // RFC 9112 §5.2: obsolete line folding is rejected with 400.
        if (line[0] is (byte)' ' or (byte)'\t')
            return Reject(out error, 400, "Obsolete line folding");

        int colon = line.IndexOf((byte)':');
        // RFC 9112 §5.1: "No whitespace is allowed between the field name and colon" (IsToken excludes it).
        if (colon <= 0 || !IsToken(line[..colon]))
            return Reject(out error, 400, "Malformed header field");

        ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (byte b in value)
        {
            // RFC 9110 §5.5: field values are visible characters, SP, HTAB and obs-text; never CR, LF or NUL.
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7F)
                return Reject(out error, 400, "Invalid character in header value");
        }

        header = new(Encoding.ASCII.GetString(line[..colon]), Encoding.Latin1.GetString(value));
        return true;
    }

    /// <summary>RFC 9110 §5.6.2: token = 1*tchar.</summary>
    private static bool IsToken(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty) return false;
        foreach (byte b in s)
        {
            if (!IsTchar(b)) return false;
        }
        return true;
    }

    private static bool IsTchar(byte b) => char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b);

    private static string PathOf(string target)
    {
        string path = target;
        int scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0 && !path.StartsWith('/'))
        {
            int slash = path.IndexOf('/', scheme + 3);
            path = slash < 0 ? "/" : path[slash..];
        }
        int q = path.IndexOfAny(['?', '#']);
        return q < 0 ? path : path[..q];
    }

    private static bool Reject(out HttpError error, int status, string reason)
    {
        error = new HttpError(status, reason);
        return false;
    }

    private static HttpParseStatus Fail(out HttpError error, int status, string reason)
    {
        error = new HttpError(status, reason);
        return HttpParseStatus.Invalid;
    }
}
