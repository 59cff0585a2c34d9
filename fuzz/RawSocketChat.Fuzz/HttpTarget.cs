using System.Buffers;
using System.Net;
using System.Text;
using RawSocketChat.Http;
using RawSocketChat.Protocol.Deflate;
using RawSocketChat.Transport;

namespace RawSocketChat.Fuzz;

/// <summary>
/// <c>http</c>: arbitrary bytes, cut at arbitrary points, through <see cref="HttpRequestParser.TryParse"/> the way
/// <c>HttpExchange.ReadRequestHeadAsync</c> calls it (the whole buffer so far, after each read), then the request through
/// <see cref="Handshake.Accept"/> and the response through <see cref="HttpResponse.WriteTo"/>.
/// <para>
/// Input layout: byte 0 picks maxHeaderBytes (bits 0–1), the origin policy and the permessage-deflate offer of the
/// server (bits 2–3) and the segmentation family (bits 4–7); byte 1 seeds the segmentation; the rest is what the
/// client sends.
/// </para>
/// Invariants:
/// <list type="number">
/// <item>nothing throws;</item>
/// <item>Invalid carries 400 or 431 and a reason; Incomplete only while fewer than maxHeaderBytes bytes are buffered;</item>
/// <item>Complete consumes at most maxHeaderBytes, up to and including the CRLF CRLF that ends the head, and the request
///   is well formed (token method, visible-ASCII target, path starting with '/', at most 100 headers with token names and
///   values without CR, LF or NUL);</item>
/// <item>the verdict does not depend on segmentation, and an early verdict on a prefix is the verdict on the whole
///   (the transport stops reading at the first Complete or Invalid);</item>
/// <item>Accept never throws and returns a well-formed response: a status line with a known status, header lines
///   without CR/LF injection, Content-Length equal to the body, and for 101 the Sec-WebSocket-Accept of the key and only
///   a subprotocol the client offered; a 101 only for a GET HTTP/1.1+ with version 13 and a valid key;
///   permessage-deflate only when offered and enabled, stated in the 101 exactly as agreed (RFC 7692 ranges);</item>
/// <item>parsing Sec-WebSocket-Extensions (RFC 6455 §9.1) never throws and yields only tokens;</item>
/// <item>resolving X-Forwarded-For never throws and yields the peer or an address from the header;</item>
/// <item>allocation per TryParse and per Accept stays linear in maxHeaderBytes.</item>
/// </list>
/// </summary>
public sealed class HttpTarget : IFuzzTarget
{
    public string Name => "http";

    private static readonly int[] Limits = [8192, 4096, 1024, 200];

    private static readonly OriginPolicy[] Policies =
    [
        new(OriginPolicy.Default),
        new("*"),
        new("https://chat.example:8443,http://[::1]:8080,null"),
        new("self"),
    ];

    private static readonly string[] Subprotocols = ["rawsocketchat.v1", "chat"];

    /// <summary>The server's permessage-deflate setting that goes with each policy.</summary>
    private static readonly DeflateOptions?[] DeflateSettings =
        [new DeflateOptions(), null, new DeflateOptions(), new DeflateOptions { ContextTakeover = false }];

    private static readonly ProxyList Proxies = ProxyList.Parse("127.0.0.1, ::1, 10.0.0.0/8, fd00::/8");

    private static readonly int[] KnownStatuses = [101, 400, 403, 405, 426];

    public void Run(ReadOnlySpan<byte> input)
    {
        byte config = input.Length > 0 ? input[0] : (byte)0;
        byte seed = input.Length > 1 ? input[1] : (byte)0;
        byte[] data = input.Length > 2 ? input[2..].ToArray() : [];
        int maxHeaderBytes = Limits[config & 3];
        OriginPolicy policy = Policies[(config >> 2) & 3];
        DeflateOptions? deflate = DeflateSettings[(config >> 2) & 3];

        // 1. As the transport does it: parse everything buffered so far after each read; stop at the first verdict.
        var buffered = new List<ReadOnlyMemory<byte>>();
        Verdict early = default;
        long earlyLength = 0;
        foreach (ReadOnlyMemory<byte>[] read in Segmenter.Split(data, config >> 4, seed))
        {
            buffered.AddRange(read);
            ReadOnlySequence<byte> sequence = Segmenter.ToSequence(buffered);
            earlyLength = sequence.Length;
            early = Parse(sequence, maxHeaderBytes);
            if (early.Status != HttpParseStatus.Incomplete)
                break;
        }
        if (data.Length == 0)
            early = Parse(ReadOnlySequence<byte>.Empty, maxHeaderBytes);

        // 2. Everything in one contiguous read.
        Verdict whole = Parse(new ReadOnlySequence<byte>(data), maxHeaderBytes);
        Invariant.Check(early.Status == whole.Status, () => $"verdict after partial reads {early} but on the whole input {whole}");
        if (whole.Status == HttpParseStatus.Complete)
        {
            Invariant.Check(early.Consumed == whole.Consumed && Same(early.Request!, whole.Request!),
                () => $"segmentation changed the request: {early} vs {whole}");
            CheckHead(data.AsSpan(0, (int)whole.Consumed), whole.Request!, maxHeaderBytes);
            CheckHandshake(whole.Request!, policy, deflate, maxHeaderBytes);
            CheckExtensions(whole.Request!);
            CheckForwardedFor(whole.Request!);
        }
        // The same bytes in other segments: the very same verdict, reason included.
        if (early.Status == HttpParseStatus.Invalid && earlyLength == data.Length)
            Invariant.Check(early.Error == whole.Error, () => $"same bytes, different errors: {early} vs {whole}");
    }

    private readonly record struct Verdict(HttpParseStatus Status, HttpRequest? Request, long Consumed, HttpError Error)
    {
        public override string ToString() => Status switch
        {
            HttpParseStatus.Complete => $"Complete({Request!.Method} {Request.Target} HTTP/{Request.VersionMajor}.{Request.VersionMinor}, {Request.Headers.Count} headers, consumed {Consumed})",
            HttpParseStatus.Invalid => $"Invalid({Error.StatusCode} {Error.Reason})",
            _ => "Incomplete",
        };
    }

    private static Verdict Parse(ReadOnlySequence<byte> buffer, int maxHeaderBytes)
    {
        // Strings for the lines (UTF-16, so twice the bytes), a line copy when it exceeds the stack scratch, the
        // header list and the request: linear in the limit.
        long bound = 6L * maxHeaderBytes + 16 * 1024;
        HttpRequest? request = null;
        SequencePosition consumed = default;
        HttpError error = default;
        HttpParseStatus status = Invariant.AllocatesAtMost(bound, "HttpRequestParser.TryParse",
            () => HttpRequestParser.TryParse(buffer, maxHeaderBytes, out request, out consumed, out error));

        switch (status)
        {
            case HttpParseStatus.Complete:
                Invariant.Check(request is not null, "Complete without a request");
                long offset = buffer.Slice(0, consumed).Length;
                Invariant.Check(offset <= maxHeaderBytes, () => $"Complete after {offset} bytes, over maxHeaderBytes {maxHeaderBytes}");
                return new Verdict(status, request, offset, default);
            case HttpParseStatus.Invalid:
                Invariant.Check(request is null, "Invalid with a request");
                Invariant.Check(error.StatusCode is 400 or 431, () => $"Invalid with status {error.StatusCode}");
                Invariant.Check(!string.IsNullOrEmpty(error.Reason), "Invalid without a reason");
                return new Verdict(status, null, 0, error);
            case HttpParseStatus.Incomplete:
                // The transport keeps buffering on Incomplete: that must stop at the limit (431), or a client could make
                // us hold any amount of memory.
                Invariant.Check(buffer.Length < maxHeaderBytes, () => $"Incomplete with {buffer.Length} bytes buffered, limit {maxHeaderBytes}");
                Invariant.Check(request is null, "Incomplete with a request");
                return new Verdict(status, null, 0, default);
            default:
                throw new InvariantViolation($"unknown status {status}");
        }
    }

    private static bool Same(HttpRequest a, HttpRequest b) =>
        a.Method == b.Method && a.Target == b.Target && a.Path == b.Path && a.VersionMajor == b.VersionMajor
        && a.VersionMinor == b.VersionMinor && a.Headers.SequenceEqual(b.Headers);

    private static void CheckHead(ReadOnlySpan<byte> head, HttpRequest request, int maxHeaderBytes)
    {
        Invariant.Check(head.EndsWith("\r\n\r\n"u8), "the consumed head does not end with an empty line");
        Invariant.Check(request.Method.Length > 0 && request.Method.All(IsTchar), () => $"method '{request.Method}' is not a token");
        Invariant.Check(request.Target.Length > 0 && request.Target.All(c => c > ' ' && c < 0x7F), "target has controls or spaces");
        Invariant.Check(request.Path.StartsWith('/'), () => $"path '{request.Path}' does not start with '/'");
        Invariant.Check(request.Path.IndexOfAny(['?', '#']) < 0, "path keeps its query or fragment");
        Invariant.Check(request.VersionMajor is >= 0 and <= 9 && request.VersionMinor is >= 0 and <= 9, "version out of range");
        Invariant.Check(request.Headers.Count <= HttpRequestParser.MaxHeaderCount, "more headers than MaxHeaderCount");
        foreach (var (name, value) in request.Headers)
        {
            Invariant.Check(name.Length > 0 && name.All(IsTchar), () => $"header name '{name}' is not a token");
            Invariant.Check(!value.Any(c => c is '\r' or '\n' or '\0'), "header value with CR, LF or NUL");
            Invariant.Check(value.Length == value.Trim(' ', '\t').Length, "header value not trimmed");
        }
    }

    private static void CheckHandshake(HttpRequest request, OriginPolicy policy, DeflateOptions? deflate, int maxHeaderBytes)
    {
        // Get() joins repeated lines and GetList() splits them: linear in the head, which is at most maxHeaderBytes.
        long bound = 16L * maxHeaderBytes + 32 * 1024;
        DeflateParameters? extension = null;
        HttpResponse response = Invariant.AllocatesAtMost(bound, "Handshake.Accept",
            () => Handshake.Accept(request, Subprotocols, policy, deflate, out extension));
        Invariant.Check(KnownStatuses.Contains(response.StatusCode), () => $"Accept answered {response.StatusCode}");

        var extensionHeaders = response.Headers.Where(h => h.Key == ExtensionNegotiation.HeaderName).Select(h => h.Value).ToList();
        if (extension is null)
            Invariant.Check(extensionHeaders.Count == 0, "Sec-WebSocket-Extensions in the response without an agreement");
        else
        {
            Invariant.Check(deflate is not null && response.IsUpgrade, "an extension agreed without deflate enabled or without a 101");
            Invariant.Check(extensionHeaders.Count == 1 && extensionHeaders[0] == extension.ToHeaderValue(),
                "the 101 does not state the agreed extension exactly once");
            Invariant.Check(request.Get(ExtensionNegotiation.HeaderName)?.Contains(DeflateParameters.ExtensionName, StringComparison.OrdinalIgnoreCase) == true,
                "permessage-deflate agreed but not offered");
            // RFC 7692 §7.1.2: window bits are 8 to 15.
            Invariant.Check(extension.ServerMaxWindowBits is null or (>= 8 and <= 15) && extension.ClientMaxWindowBits is null or (>= 8 and <= 15),
                () => $"window bits out of range: {extension}");
            if (!deflate!.ContextTakeover)
                Invariant.Check(extension.ServerNoContextTakeover && extension.ClientNoContextTakeover, "context takeover agreed against the setting");
        }

        if (response.IsUpgrade)
        {
            // A 101 only for what RFC 6455 §4.2.1 allows.
            Invariant.Check(request.Method == "GET" && request.IsAtLeastHttp11, "101 for a non-GET or HTTP/1.0 request");
            Invariant.Check(request.Get("Sec-WebSocket-Version")?.Trim() == "13", "101 without version 13");
            Invariant.Check(request.Count("Host") == 1 && request.Count("Sec-WebSocket-Key") == 1, "101 without exactly one Host and key");
            Invariant.Check(request.HasToken("Upgrade", "websocket") && request.HasToken("Connection", "upgrade"), "101 without Upgrade/Connection tokens");
            string key = request.Get("Sec-WebSocket-Key")!.Trim();
            Invariant.Check(Handshake.IsValidKey(key), "101 for an invalid key");
            Invariant.Check(policy.IsAllowed(request.Get("Origin"), request.Get("Host")), "101 for a refused origin");
        }

        foreach (bool headOnly in new[] { false, true })
        {
            var writer = new ArrayBufferWriter<byte>();
            response.WriteTo(writer, headOnly);
            CheckResponseBytes(writer.WrittenSpan, response, request, headOnly);
        }
    }

    private static void CheckResponseBytes(ReadOnlySpan<byte> bytes, HttpResponse response, HttpRequest request, bool headOnly)
    {
        string text = Encoding.Latin1.GetString(bytes);
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Invariant.Check(end > 0, "response head has no empty line");
        string[] lines = text[..end].Split("\r\n");
        string statusLine = $"HTTP/1.1 {response.StatusCode} {HttpResponse.ReasonPhrase(response.StatusCode)}";
        Invariant.Check(lines[0] == statusLine, () => $"status line '{lines[0]}'");

        var headers = new List<(string Name, string Value)>();
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            Invariant.Check(colon > 0 && line[..colon].All(IsTchar), () => $"malformed response header line '{line}'");
            string value = line[(colon + 2)..];
            Invariant.Check(!value.Any(c => c is '\r' or '\n' or '\0'), "response header value with CR, LF or NUL");
            headers.Add((line[..colon], value));
        }
        Invariant.Check(lines.All(l => !l.Contains('\n') && !l.Contains('\r')), "bare CR or LF in the response head");

        string body = text[(end + 4)..];
        if (response.IsUpgrade)
        {
            Invariant.Check(body.Length == 0, "bytes after a 101 head");
            string key = request.Get("Sec-WebSocket-Key")!.Trim();
            Invariant.Check(headers.Count(h => h.Name == "Sec-WebSocket-Accept") == 1
                && headers.First(h => h.Name == "Sec-WebSocket-Accept").Value == Handshake.ComputeAccept(key), "wrong Sec-WebSocket-Accept");
            Invariant.Check(headers.Any(h => h == ("Upgrade", "websocket")) && headers.Any(h => h == ("Connection", "Upgrade")),
                "101 without Upgrade and Connection");
            var protocols = headers.Where(h => h.Name == "Sec-WebSocket-Protocol").ToList();
            Invariant.Check(protocols.Count <= 1, "several subprotocols selected");
            if (protocols.Count == 1)
            {
                string chosen = protocols[0].Value;
                Invariant.Check(Subprotocols.Contains(chosen) && request.GetList("Sec-WebSocket-Protocol").Contains(chosen),
                    () => $"subprotocol '{chosen}' was not offered");
            }
        }
        else
        {
            var lengths = headers.Where(h => h.Name == "Content-Length").ToList();
            Invariant.Check(lengths.Count == 1 && lengths[0].Value == response.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "Content-Length missing or not the body length");
            Invariant.Check(headOnly ? body.Length == 0 : Encoding.Latin1.GetBytes(body).AsSpan().SequenceEqual(response.Body.Span),
                "body differs from Content-Length/headOnly");
        }
    }

    private static void CheckExtensions(HttpRequest request)
    {
        var lines = request.Headers.Where(h => string.Equals(h.Key, ExtensionNegotiation.HeaderName, StringComparison.OrdinalIgnoreCase))
            .Select(h => h.Value).ToList();
        if (lines.Count == 0)
            return;
        if (!ExtensionNegotiation.TryParse(lines, out List<ExtensionOffer> offers))
            return;
        Invariant.Check(offers.Count > 0, "an empty extension list parsed");
        foreach (ExtensionOffer offer in offers)
        {
            Invariant.Check(offer.Name.Length > 0 && offer.Name.All(IsTchar), () => $"extension name '{offer.Name}' is not a token");
            foreach (ExtensionParameter p in offer.Parameters)
                Invariant.Check(p.Name.Length > 0 && p.Name.All(IsTchar) && (p.Value is null || p.Value.Length > 0 && p.Value.All(IsTchar)),
                    () => $"extension parameter '{p.Name}={p.Value}' is not made of tokens");
        }
        foreach (DeflateOptions policy in new[] { new DeflateOptions(), new DeflateOptions { ContextTakeover = false } })
        {
            DeflateParameters? agreed = ExtensionNegotiation.NegotiateDeflate(offers, policy);
            if (agreed is not null)
                Invariant.Check(offers.Any(o => string.Equals(o.Name, DeflateParameters.ExtensionName, StringComparison.OrdinalIgnoreCase)),
                    "permessage-deflate agreed from offers that do not name it");
        }
    }

    private static void CheckForwardedFor(HttpRequest request)
    {
        string? forwarded = request.Get("X-Forwarded-For");
        foreach (IPAddress peer in new[] { IPAddress.Loopback, IPAddress.Parse("192.0.2.7"), IPAddress.IPv6Loopback })
        {
            IPAddress client = Proxies.ResolveClient(peer, forwarded);
            if (!Proxies.IsTrusted(peer))
                Invariant.Check(client.Equals(peer), () => $"X-Forwarded-For '{forwarded}' believed from untrusted {peer}");
            bool fromHeader = forwarded is not null && forwarded.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Any(hop => IPAddress.TryParse(hop, out IPAddress? a) && (a.Equals(client) || a.IsIPv4MappedToIPv6 && a.MapToIPv4().Equals(client)));
            Invariant.Check(client.Equals(peer) || fromHeader && !Proxies.IsTrusted(client),
                () => $"X-Forwarded-For '{forwarded}' from {peer} resolved to {client}");
        }
    }

    private static bool IsTchar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c);
}
