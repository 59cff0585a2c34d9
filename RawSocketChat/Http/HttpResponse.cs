using System.Buffers;
using System.Text;

namespace RawSocketChat.Http;

/// <summary>
/// A response to write before the connection either upgrades (101) or closes. Every plain response carries
/// <c>Content-Length</c> and <c>Connection: close</c>: this server never keeps a non-WebSocket connection open.
/// </summary>
public sealed class HttpResponse
{
    public int StatusCode { get; }
    public List<KeyValuePair<string, string>> Headers { get; } = [];
    public ReadOnlyMemory<byte> Body { get; private init; }
    /// <summary>For logs: why the request was refused (empty for successes).</summary>
    public string Reason { get; private init; } = "";

    private HttpResponse(int statusCode) => StatusCode = statusCode;

    public HttpResponse With(string name, string value)
    {
        Headers.Add(new(name, value));
        return this;
    }

    /// <summary>
    /// A refusal with a short plain-text reason, e.g. 400 "Missing Sec-WebSocket-Key". RFC 6455 §10.7
    /// [6455-10.7-http-status]: invalid data during the handshake gets an appropriate HTTP status code.
    /// </summary>
    public static HttpResponse Error(int statusCode, string reason) =>
        new HttpResponse(statusCode) { Body = Encoding.UTF8.GetBytes(reason + "\n"), Reason = reason }
            .With("Content-Type", "text/plain; charset=utf-8");

    public static HttpResponse Content(int statusCode, string contentType, ReadOnlyMemory<byte> body) =>
        new HttpResponse(statusCode) { Body = body }.With("Content-Type", contentType);

    /// <summary>RFC 6455 §4.2.2 step 5 [6455-4.2.2-101]: the server's half of the opening handshake.</summary>
    public static HttpResponse SwitchingProtocols(string accept, string? subprotocol)
    {
        var response = new HttpResponse(101)
            .With("Upgrade", "websocket")
            .With("Connection", "Upgrade")
            .With("Sec-WebSocket-Accept", accept);
        // RFC 6455 §4.2.2 /subprotocol/ [6455-4.2.2-subprotocol-none]: none agreed, no header ("MUST NOT send back").
        if (subprotocol is not null)
            response.With("Sec-WebSocket-Protocol", subprotocol);
        return response;
    }

    public bool IsUpgrade => StatusCode == 101;

    public void WriteTo(IBufferWriter<byte> writer, bool headOnly = false)
    {
        var text = new StringBuilder(256);
        text.Append("HTTP/1.1 ").Append(StatusCode).Append(' ').Append(ReasonPhrase(StatusCode)).Append("\r\n");
        text.Append("Server: RawSocketChat\r\n");
        foreach (var (name, value) in Headers)
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        if (!IsUpgrade)
        {
            text.Append("Content-Length: ").Append(Body.Length).Append("\r\n");
            text.Append("Cache-Control: no-store\r\n");
            text.Append("Connection: close\r\n");
        }
        text.Append("\r\n");
        Encoding.Latin1.GetBytes(text.ToString(), writer);
        if (!IsUpgrade && !headOnly)
            writer.Write(Body.Span);
    }

    public static string ReasonPhrase(int statusCode) => statusCode switch
    {
        101 => "Switching Protocols",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status " + statusCode,
    };
}
