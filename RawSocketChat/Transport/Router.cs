using RawSocketChat.Http;

namespace RawSocketChat.Transport;

/// <summary>What a request is for: a WebSocket endpoint, or a plain GET answered with one response.</summary>
public sealed class Router
{
    private readonly Dictionary<string, IWebSocketHandler> _webSockets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<HttpRequest, RequestContext, ValueTask<HttpResponse>>> _pages = new(StringComparer.Ordinal);

    public Router MapWebSocket(string path, IWebSocketHandler handler)
    {
        _webSockets.Add(path, handler);
        return this;
    }

    public Router MapGet(string path, Func<HttpRequest, RequestContext, HttpResponse> page)
    {
        _pages.Add(path, (request, context) => ValueTask.FromResult(page(request, context)));
        return this;
    }

    /// <summary>A page that waits for something (the store) before it answers.</summary>
    public Router MapGetAsync(string path, Func<HttpRequest, RequestContext, ValueTask<HttpResponse>> page)
    {
        _pages.Add(path, page);
        return this;
    }

    public IWebSocketHandler? FindWebSocket(string path) => _webSockets.GetValueOrDefault(path);

    public Func<HttpRequest, RequestContext, ValueTask<HttpResponse>>? FindPage(string path) => _pages.GetValueOrDefault(path);
}

/// <summary>Who sent a plain HTTP request (after proxy resolution).</summary>
public readonly record struct RequestContext(System.Net.IPAddress ClientAddress);
