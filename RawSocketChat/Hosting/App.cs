using RawSocketChat.Chat;
using RawSocketChat.Endpoints;
using RawSocketChat.Storage;
using RawSocketChat.Transport;

namespace RawSocketChat.Hosting;

/// <summary>
/// The whole server as one object: builds the endpoints from the options, starts the listener, and stops
/// everything in the right order. <c>Program</c> runs one; tests start and stop as many as they like.
/// </summary>
public sealed class App : IAsyncDisposable
{
    private readonly Server _server;
    private readonly ChatService _chat;
    private readonly IChatStore _store;
    private int _stopped;

    private App(Server server, ChatService chat, IChatStore store)
    {
        _server = server;
        _chat = chat;
        _store = store;
    }

    public Server Server => _server;
    public ChatService Chat => _chat;
    public IChatStore Store => _store;

    public static async Task<App> StartAsync(ServerOptions options, Log log)
    {
        // ":memory:" is a throwaway store (benchmarks, demos): nothing survives a stop.
        bool inMemory = options.Data == ":memory:";
        IChatStore store = inMemory ? SqliteChatStore.OpenInMemory() : SqliteChatStore.OpenFile(options.Data);
        log.Info(inMemory ? "store sqlite in-memory (nothing is kept)" : $"store sqlite file={Path.GetFullPath(options.Data)}");
        ChatService? chat = null;
        try
        {
            chat = await ChatService.StartAsync(options, store, log);
            var router = new Router()
                .MapGet("/", new StaticPage(options.ClientHtml, "text/html; charset=utf-8").Handle)
                .MapWebSocket("/echo", new EchoEndpoint())
                .MapWebSocket("/chat", new ChatEndpoint(chat));

            var server = new Server(options, router, log);
            server.Start();
            return new App(server, chat, store);
        }
        catch
        {
            if (chat is not null) await chat.DisposeAsync();
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Graceful stop: connections get Close 1001 and are waited for (bounded), then storage is flushed.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        await _server.StopAsync();
        // No connection is left to queue messages: store what is queued, then close the database.
        await _chat.DisposeAsync();
        await _store.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _server.DisposeAsync();
    }
}
