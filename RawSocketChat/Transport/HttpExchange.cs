using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using RawSocketChat.Diagnostics;
using RawSocketChat.Http;

namespace RawSocketChat.Transport;

/// <summary>
/// The HTTP/1.1 a connection speaks before it becomes a WebSocket, or instead of becoming one: one request head read
/// from the pipe, one response written to the stream. Parsing the head and deciding the handshake have no I/O
/// (<see cref="HttpRequestParser"/>, <see cref="Handshake"/>); this is the I/O around them, and the plain pages the
/// router serves on the same port. An exchange is one request and one response: every answer but the 101 ends
/// the connection (<c>Connection: close</c>), so nothing here ever waits for a second request.
/// <para>
/// <see cref="Server.ServeAsync"/> decides which answer a connection gets; this class only gets it there, and logs
/// and counts each refusal the same way wherever it comes from.
/// </para>
/// </summary>
internal sealed class HttpExchange
{
    private readonly Router _router;
    private readonly int _maxHeaderBytes;
    private readonly Log _log;
    private readonly ServerMetrics? _metrics;

    public HttpExchange(Router router, int maxHeaderBytes, Log log, ServerMetrics? metrics)
    {
        _router = router;
        _maxHeaderBytes = maxHeaderBytes;
        _log = log;
        _metrics = metrics;
    }

    /// <summary>
    /// Feeds the pipe to the sans-I/O parser until it has a whole request head or an error. Both null when the peer
    /// closed, or <paramref name="token"/> (the handshake deadline) fired, before a head was complete: such a
    /// connection is dropped without an answer.
    /// </summary>
    public async Task<(HttpRequest?, HttpError?)> ReadRequestHeadAsync(PipeReader input, CancellationToken token)
    {
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(token);
            }
            catch (OperationCanceledException)
            {
                return (null, null);
            }
            ReadOnlySequence<byte> buffer = read.Buffer;
            HttpParseStatus status = HttpRequestParser.TryParse(buffer, _maxHeaderBytes, out HttpRequest? request, out SequencePosition consumed, out HttpError error);
            switch (status)
            {
                case HttpParseStatus.Complete:
                    input.AdvanceTo(consumed);
                    return (request, null);
                case HttpParseStatus.Invalid:
                    input.AdvanceTo(buffer.End);
                    return (null, error);
                default:
                    input.AdvanceTo(buffer.Start, buffer.End);
                    if (read.IsCompleted)
                        return (null, null);
                    break;
            }
        }
    }

    /// <summary>
    /// Answers a request for a path that is no WebSocket endpoint: the router's page, or an error, logged as a
    /// rejection from 400 on.
    /// </summary>
    public async Task AnswerPageAsync(Stream stream, HttpRequest request, IPEndPoint remote, IPAddress client)
    {
        HttpResponse page = await AnswerPlainAsync(request, client);
        await WriteResponseAsync(stream, page, headOnly: request.Method == "HEAD");
        if (page.StatusCode >= 400)
            _log.Info($"reject peer={remote} client={client} path={request.Path} status={page.StatusCode} reason=\"{page.Reason}\"");
        else
            _log.Debug($"http peer={remote} {request.Method} {request.Path} {page.StatusCode}");
    }

    private ValueTask<HttpResponse> AnswerPlainAsync(HttpRequest request, IPAddress client)
    {
        var page = _router.FindPage(request.Path);
        // RFC 6455 §4.2.2 /resource name/ [6455-4.2.2-resource]: no such service, 404.
        if (page is null)
            return ValueTask.FromResult(HttpResponse.Error(404, "Not found"));
        if (request.Method is not ("GET" or "HEAD"))
            return ValueTask.FromResult(HttpResponse.Error(405, "Method not allowed").With("Allow", "GET, HEAD"));
        return page(request, new RequestContext(client));
    }

    /// <summary>Refuses the handshake: logs why, counts it by status (<c>GET /metrics</c>), writes the answer.</summary>
    public async Task RejectAsync(Stream stream, IPEndPoint remote, HttpResponse response, bool headOnly, string? path = null)
    {
        _log.Info($"reject peer={remote}{(path is null ? "" : " path=" + path)} status={response.StatusCode} reason=\"{response.Reason}\"");
        _metrics?.HandshakeFailed(response.StatusCode);
        await WriteResponseAsync(stream, response, headOnly);
    }

    /// <summary>Writes a whole response in one write: the head, and the body unless <paramref name="headOnly"/> (HEAD).</summary>
    public static async Task WriteResponseAsync(Stream stream, HttpResponse response, bool headOnly)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + response.Body.Length);
        response.WriteTo(buffer, headOnly);
        await stream.WriteAsync(buffer.WrittenMemory);
        await stream.FlushAsync();
    }
}
