using RawSocketChat.Endpoints;
using RawSocketChat.Transport;

namespace RawSocketChat.Hosting;

/// <summary>
/// The whole server as one object: builds the endpoints from the options, starts the listener, and stops
/// everything in the right order. <c>Program</c> runs one; tests start and stop as many as they like.
/// </summary>
public sealed class App : IAsyncDisposable
{
    private readonly Server _server;

    private App(Server server)
    {
        _server = server;
    }

    public Server Server => _server;

    public static Task<App> StartAsync(ServerOptions options, Log log)
    {
        var router = new Router()
            .MapGet("/", new StaticPage(options.ClientHtml, "text/html; charset=utf-8").Handle)
            .MapWebSocket("/echo", new EchoEndpoint());

        var server = new Server(options, router, log);
        server.Start();
        return Task.FromResult(new App(server));
    }

    /// <summary>Graceful stop: connections get Close 1001 and are waited for (bounded), then storage is flushed.</summary>
    public async Task StopAsync()
    {
        await _server.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _server.DisposeAsync();
    }
}
