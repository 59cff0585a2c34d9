using System.Security.Cryptography;
using System.Text;
using RawSocketChat.Protocol.Deflate;

namespace RawSocketChat.Http;

/// <summary>
/// The server's side of the WebSocket opening handshake (RFC 6455 §4.2), with no I/O: a parsed request in,
/// the response to send out. A WebSocket connection starts life as an ordinary HTTP/1.1 GET that asks to
/// switch protocols:
/// <code>
///   GET /chat HTTP/1.1                              HTTP/1.1 101 Switching Protocols
///   Host: localhost:8080                            Upgrade: websocket
///   Upgrade: websocket                     ──▶      Connection: Upgrade
///   Connection: Upgrade                             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
///   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==     Sec-WebSocket-Protocol: rawsocketchat.v1
///   Sec-WebSocket-Version: 13
///   Sec-WebSocket-Protocol: rawsocketchat.v1       Sec-WebSocket-Extensions: permessage-deflate
///   Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits
///   Origin: http://localhost:8080
/// </code>
/// After the 101 and its blank line, both sides speak frames on the same TCP connection.
/// Every check below answers a bad request with the status the RFC names and a short reason.
/// </summary>
public static class Handshake
{
    /// <summary>RFC 6455 §1.3: the fixed GUID appended to the client's key. Any server knows it; that is the point.</summary>
    public const string KeyGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public const string SupportedVersion = "13";

    /// <summary>
    /// Decides the response to a request for a WebSocket endpoint that supports <paramref name="subprotocols"/>,
    /// with no extension negotiated.
    /// </summary>
    public static HttpResponse Accept(HttpRequest request, IReadOnlyList<string> subprotocols, OriginPolicy origins) =>
        Accept(request, subprotocols, origins, deflate: null, out _);

    /// <summary>
    /// Decides the response to a request for a WebSocket endpoint that supports <paramref name="subprotocols"/>.
    /// When <paramref name="deflate"/> is not null the server offers permessage-deflate, and
    /// <paramref name="extension"/> is set to the parameters agreed, if any.
    /// </summary>
    public static HttpResponse Accept(HttpRequest request, IReadOnlyList<string> subprotocols, OriginPolicy origins,
        DeflateOptions? deflate, out DeflateParameters? extension)
    {
        extension = null;
        // Step 1. RFC 6455 §4.1 [6455-4.1-get] [6455-4.1-http11] (client requirements, which the server checks in
        // RFC 6455 §4.2.1): "The method of the request MUST be GET, and the HTTP version MUST be at least 1.1."
        if (request.Method != "GET")
            return HttpResponse.Error(405, "Only GET can open a WebSocket").With("Allow", "GET");
        if (!request.IsAtLeastHttp11)
            return HttpResponse.Error(400, "HTTP/1.1 or later is required");

        // Step 2. RFC 6455 §4.1 [6455-4.1-host], §4.2.1 item 2: a Host header field, exactly one (RFC 9112 §3.2:
        // several Hosts is a 400). Its value may name any authority [6455-4.2.1-host-authority]: we do not know every
        // name we are reached by, and use Host only to compare a browser's Origin with (a deviation, see
        // docs/rfc6455-requirements.md).
        if (request.Count("Host") != 1 || string.IsNullOrWhiteSpace(request.Get("Host")))
            return HttpResponse.Error(400, "Exactly one Host header is required");

        // Step 3. RFC 6455 §4.1 [6455-4.1-upgrade] [6455-4.1-connection], §4.2.1 items 3–4: "Upgrade" must name
        // websocket and "Connection" must name Upgrade. Both are comma-separated token lists compared
        // case-insensitively: browsers send "Connection: keep-alive, Upgrade".
        if (!request.HasToken("Upgrade", "websocket"))
            return HttpResponse.Error(400, "Upgrade header must contain 'websocket'");
        if (!request.HasToken("Connection", "Upgrade"))
            return HttpResponse.Error(400, "Connection header must contain 'Upgrade'");

        // Step 4. RFC 6455 §4.1 [6455-4.1-key], §4.2.1 item 5: Sec-WebSocket-Key is a nonce of 16 random bytes,
        // base64-encoded (24 characters). We never need the bytes, but a key that is not 16 bytes means a broken
        // client.
        if (request.Count("Sec-WebSocket-Key") != 1)
            return HttpResponse.Error(400, "Exactly one Sec-WebSocket-Key header is required");
        string key = request.Get("Sec-WebSocket-Key")!.Trim();
        if (!IsValidKey(key))
            return HttpResponse.Error(400, "Sec-WebSocket-Key must be base64 of 16 bytes");

        // Step 5. RFC 6455 §4.2.1 item 6 and §4.2.2 [6455-4.2.2-version]: only version 13 exists. Anything else gets
        // 426 and the version we speak, so the client can retry with it (RFC 6455 §4.4).
        if (request.Get("Sec-WebSocket-Version")?.Trim() != SupportedVersion)
            return HttpResponse.Error(426, "Sec-WebSocket-Version must be 13").With("Sec-WebSocket-Version", SupportedVersion);

        // Step 6. RFC 6455 §4.2.2 item 4 [6455-4.2.2-origin] and §10.2: a browser tells us which page opened the
        // socket. Refuse pages we do not trust with 403, before anything else happens.
        string? origin = request.Get("Origin");
        if (!origins.IsAllowed(origin, request.Get("Host")))
            return HttpResponse.Error(403, "Origin not allowed");

        // Step 7. RFC 6455 §4.2.2 item 5.4 (/subprotocol/) [6455-4.2.2-subprotocol]: the client lists what it speaks,
        // in order of preference; we pick the first one we support, or answer without the header (then the client
        // decides whether to go on).
        string? subprotocol = SelectSubprotocol(request, subprotocols);

        // Step 8. RFC 6455 §4.2.2 item 5.6 (/extensions/) and §9.1: the client offers extensions in order of
        // preference; we accept at most one, permessage-deflate (RFC 7692), with parameters we can honour, and name it
        // in the 101. An offer we cannot honour is declined (no header); a header that breaks the grammar of
        // RFC 6455 §9.1 is a bad request [6455-9.1-malformed] — with --deflate off too, when nothing would be
        // accepted anyway [6455-9.1-malformed-deflate-off]: a broken header is a broken client either way.
        if (request.Count(ExtensionNegotiation.HeaderName) > 0)
        {
            IEnumerable<string> lines = request.Headers
                .Where(h => string.Equals(h.Key, ExtensionNegotiation.HeaderName, StringComparison.OrdinalIgnoreCase))
                .Select(h => h.Value);
            if (!ExtensionNegotiation.TryParse(lines, out List<ExtensionOffer> offers))
                return HttpResponse.Error(400, "Sec-WebSocket-Extensions is malformed");
            if (deflate is not null)
                extension = ExtensionNegotiation.NegotiateDeflate(offers, deflate);
        }

        // Step 9. RFC 6455 §4.2.2 item 5.4 (/key/): prove that we read this handshake as WebSocket, so that no HTTP
        // server or cache could produce a valid answer by accident. RFC 7692 §5 [7692-5-accept]: an accepted offer is
        // named in the 101.
        HttpResponse response = HttpResponse.SwitchingProtocols(ComputeAccept(key), subprotocol);
        if (extension is not null)
            response.With(ExtensionNegotiation.HeaderName, extension.ToHeaderValue());
        return response;
    }

    /// <summary>
    /// RFC 6455 §4.2.2 [6455-4.2.2-accept]: <c>base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))</c>.
    /// </summary>
    public static string ComputeAccept(string key)
    {
        Span<byte> input = stackalloc byte[128];
        int length = Encoding.ASCII.GetBytes(key + KeyGuid, input);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input[..length], hash);
        return Convert.ToBase64String(hash);
    }

    public static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[18];
        return key.Length == 24 && Convert.TryFromBase64String(key, decoded, out int written) && written == 16;
    }

    private static string? SelectSubprotocol(HttpRequest request, IReadOnlyList<string> supported)
    {
        foreach (string offered in request.GetList("Sec-WebSocket-Protocol"))
        {
            foreach (string ours in supported)
            {
                // Subprotocol names are case-sensitive tokens (RFC 6455 §11.5 registers them as exact strings).
                if (offered == ours)
                    return ours;
            }
        }
        return null;
    }
}
