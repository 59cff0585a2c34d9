using RawSocketChat.Chat;
using RawSocketChat.Diagnostics;
using RawSocketChat.Endpoints;
using RawSocketChat.Inspector;
using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;
using RawSocketChat.Storage;
using RawSocketChat.Storage.Mongo;
using RawSocketChat.Transport;

namespace RawSocketChat.Hosting;

/// <summary>
/// The whole server as one object: builds the endpoints from the options, starts the listener, and stops
/// everything in the right order. <c>Program</c> runs one; tests start and stop as many as they like.
/// <para>
/// The composition root: the one place that knows every layer. Each layer declares the settings it needs
/// (<see cref="ServerSettings"/>, <see cref="ChatSettings"/>, <see cref="MongoStoreOptions"/>); this class maps the
/// command line's <see cref="ServerOptions"/> into them (<see cref="ServerSettingsOf"/>, <see cref="ChatSettingsOf"/>).
/// </para>
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
    public ServerMetrics Metrics => _chat.Metrics;

    /// <param name="time">The chat's clock: the system's, unless a test brings its own (<see cref="Chat.Clock"/>).</param>
    public static async Task<App> StartAsync(ServerOptions options, Log log, TimeProvider? time = null)
    {
        // ":memory:" is a throwaway store (benchmarks, demos): nothing survives a stop.
        bool inMemory = options.Data == ":memory:";
        IChatStore store = options.Mongo.Length > 0 ? await OpenMongoAsync(options, log)
            : inMemory ? SqliteChatStore.OpenInMemory() : SqliteChatStore.OpenFile(options.Data);
        if (options.Mongo.Length == 0)
            log.Info(inMemory ? "store sqlite in-memory (nothing is kept)" : $"store sqlite file={Path.GetFullPath(options.Data)}");
        ChatService? chat = null;
        try
        {
            var metrics = new ServerMetrics();
            chat = await ChatService.StartAsync(ChatSettingsOf(options), store, log, metrics, time);
            var router = new Router()
                .MapGet("/", new StaticPage(options.ClientHtml, "text/html; charset=utf-8").Handle)
                .MapGetAsync("/api/stats", new StatsApi(chat).HandleAsync)
                .MapGet("/metrics", new MetricsPage(metrics).Handle)
                .MapWebSocket("/echo", new EchoEndpoint())
                .MapWebSocket("/chat", new ChatEndpoint(chat));
            ConnectionTracker? tracker = options.Diagnostics ? new ConnectionTracker() : null;
            if (tracker is not null)
                router.MapGet("/debug/memory", new MemoryPage(metrics, tracker).Handle);

            InspectorHub? inspector = options.Inspector ? new InspectorHub() : null;
            if (inspector is not null)
                router.MapGet("/inspect", InspectorEndpoint.Page).MapWebSocket("/inspect/feed", new InspectorEndpoint(inspector));

            var server = new Server(ServerSettingsOf(options), router, log, metrics, tracker, inspector);
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

    /// <summary>The transport's part of the options.</summary>
    public static ServerSettings ServerSettingsOf(ServerOptions options) => new()
    {
        Host = options.Host,
        Port = options.Port,
        MaxHeaderBytes = options.MaxHeaderBytes,
        HandshakeTimeout = options.HandshakeTimeout,
        AllowedOrigins = options.AllowedOrigins,
        MaxConnections = options.MaxConnections,
        MaxConnectionsPerIp = options.MaxConnectionsPerIp,
        TrustedProxies = options.TrustedProxies,
        ShutdownTimeout = options.ShutdownTimeout,
        TlsCert = options.TlsCert,
        TlsKey = options.TlsKey,
        Connection = new ConnectionSettings
        {
            Receiver = new ReceiverOptions { MaxMessageBytes = options.MaxMessageBytes },
            MaxSendBufferBytes = options.MaxSendBufferBytes,
            SendTimeout = options.SendTimeout,
            PingInterval = options.PingInterval,
            IdleTimeout = options.IdleTimeout,
            CloseTimeout = options.CloseTimeout,
            Deflate = options.Deflate
                ? new DeflateOptions { ContextTakeover = options.DeflateContextTakeover, Threshold = options.DeflateThreshold }
                : null,
        },
    };

    /// <summary>The chat's part of the options.</summary>
    public static ChatSettings ChatSettingsOf(ServerOptions options) => new()
    {
        Rate = options.Rate,
        Burst = options.Burst,
        IpRate = options.IpRate,
        IpBurst = options.IpBurst,
        FloodWindow = options.FloodWindow,
        MaxTextLength = options.MaxTextLength,
        TypingInterval = options.TypingInterval,
        RoomListInterval = options.RoomListInterval,
        MaxRooms = options.MaxRooms,
        MaxReactionEmoji = options.MaxReactionEmoji,
        MaxMentions = options.MaxMentions,
        SearchRate = options.SearchRate,
        SearchBurst = options.SearchBurst,
        MaxSearchLength = options.MaxSearchLength,
        MaxSearchTerms = options.MaxSearchTerms,
        MaxUnreadCount = options.MaxUnreadCount,
        Pbkdf2Iterations = options.Pbkdf2Iterations,
        SessionTtl = options.SessionTtl,
        Admin = options.Admin,
        AdminSecret = options.AdminSecret,
    };

    /// <summary>--mongo replaces the embedded store; start-up fails, naming the server but not its password, when it is unreachable.</summary>
    private static async Task<IChatStore> OpenMongoAsync(ServerOptions options, Log log)
    {
        var mongo = new MongoStoreOptions
        {
            ConnectionString = options.Mongo,
            WriteConcern = MongoStoreOptions.ParseWriteConcern(options.MongoWriteConcern),
            Timeout = options.MongoTimeout,
        };
        MongoChatStore store = await MongoChatStore.OpenAsync(mongo);
        log.Info($"store mongodb {MongoStoreOptions.Redact(options.Mongo)} database={mongo.DatabaseName} writeConcern={options.MongoWriteConcern} journal=true");
        return store;
    }

    /// <summary>Graceful stop: connections get Close 1001 and are waited for (bounded), then storage is flushed.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        // 1. No new connections; the open ones stay up so that every message already queued is stored and
        //    acknowledged before its sender is told to go (an ack cannot follow a Close frame).
        _server.StopAccepting();
        await _chat.StopTakingMessagesAsync();
        // 2. Close 1001 to every connection, wait for them (bounded), then close the database.
        await _server.StopAsync();
        await _chat.DisposeAsync();
        await _store.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _server.DisposeAsync();
    }
}
