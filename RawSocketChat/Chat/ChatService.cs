using RawSocketChat.Chat.Accounts;
using RawSocketChat.Chat.Commands;
using RawSocketChat.Chat.Direct;
using RawSocketChat.Chat.Messages;
using RawSocketChat.Chat.Moderation;
using RawSocketChat.Chat.Presence;
using RawSocketChat.Chat.RateLimits;
using RawSocketChat.Chat.Rooms;
using RawSocketChat.Chat.Stats;
using RawSocketChat.Diagnostics;
using RawSocketChat.Protocol;
using RawSocketChat.Storage;
using RawSocketChat.Transport;

namespace RawSocketChat.Chat;

/// <summary>The chat's feature modules, for the command table to dispatch to; no module sees this, only its own peers.</summary>
internal sealed record ChatModules(AccountsModule Accounts, RoomsModule Rooms, MessagesModule Messages, ReactionsModule Reactions,
    ReadingModule Reading, SearchModule Search, DirectModule Direct, PresenceModule Presence, ModerationModule Moderation, StatsModule Stats);

/// <summary>
/// The chat of <c>rawsocketchat.v1</c>: the front door of every client message and the place where the feature
/// modules are put together. A message is parsed (<see cref="CommandParser"/>), charged to the rate limit, and run
/// by the <see cref="CommandTable"/>, which checks who sent it and calls its module's handler. What each command does
/// lives in its module — Accounts, Rooms, Messages, Reactions, Reading, Search, Direct, Presence, Moderation, Stats — each holding the state it
/// owns and reaching the others through narrow interfaces.
/// <para>
/// The state a second node would have to share sits behind the chat's seams, each with its in-process
/// implementation here: <see cref="IPresence"/> (who is online, name claims), <see cref="IUserConnections"/> (the
/// connections of user X), <see cref="IRoomFanout"/> (a room's changes to its subscribers, in order),
/// <see cref="ISanctions"/> (bans and mutes in force), <see cref="IMessageRateLimiter"/> and
/// <see cref="ILoginThrottle"/> (the budgets). docs/architecture.md draws them.
/// </para>
/// </summary>
public sealed class ChatService : IAsyncDisposable
{
    public const string Lobby = "lobby";

    private readonly Log _log;
    private readonly CommandParser _parser;
    private readonly IMessageRateLimiter _rateLimiter;
    private readonly ServerMetrics _metrics;
    private readonly ChatModules _modules;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _maintenance;
    private readonly Task _roomListUpdates;
    private readonly TimeProvider _time;
    private int _disposed;

    private ChatService(ChatSettings settings, IChatStore store, Log log, RoomRegistry rooms, MessageIdGenerator ids, AdminBootstrap admins,
        Sanctions sanctions, ServerMetrics metrics, TimeProvider time)
    {
        _log = log;
        _time = time;
        _metrics = metrics;
        Store = store;
        _parser = new CommandParser(CommandParser.CommandLimitFor(settings.MaxTextLength));
        _rateLimiter = new MessageRateLimiter(settings.Rate, settings.Burst, settings.IpRate, settings.IpBurst, settings.FloodWindow);
        var limits = new ChatLimits(settings.MaxTextLength, settings.Rate, settings.Burst, RoomsModule.HistoryOnJoin,
            MessagesModule.HistoryPageLimit, settings.TypingInterval, _parser.MaxCommandBytes, settings.MaxReactionEmoji);

        // The seams, in-process.
        IPresence presence = new PresenceTable();
        IUserConnections connections = new UserConnections();
        IRoomFanout fanout = new LocalRoomFanout();

        // The modules, each given only what it uses.
        var auditLog = new ModerationLog(store, log, metrics, ids, time);
        var roomsModule = new RoomsModule(settings, store, log, rooms, presence, connections, auditLog, time);
        var presenceModule = new PresenceModule(settings, presence, rooms, roomsModule.Feed, roomsModule, sanctions, time);
        var moderation = new ModerationModule(store, log, metrics, sanctions, connections, presence, rooms, roomsModule.Feed, roomsModule, auditLog, time);
        var conversations = new Conversations(store, log, rooms, presence, connections, time);
        var messages = new MessagesModule(settings, store, log, metrics, ids, rooms, roomsModule, fanout, sanctions, conversations, moderation, time);
        var accounts = new AccountsModule(settings, store, log, metrics, presence, connections, new LoginThrottle(), sanctions, admins,
            rooms, roomsModule.Feed, roomsModule, presenceModule, limits, moderation, messages.Writer, time);
        var reactions = new ReactionsModule(settings, store, log, metrics, roomsModule, fanout, sanctions, moderation, time);
        var reading = new ReadingModule(settings, store, metrics, roomsModule, rooms, connections);
        var search = new SearchModule(settings, store, metrics, roomsModule, rooms, time);
        _modules = new ChatModules(accounts, roomsModule, messages, reactions, reading, search, new DirectModule(conversations, messages, sanctions, time), presenceModule,
            moderation, new StatsModule(store, rooms, presence, time));

        metrics.UsersOnline = () => presence.OnlineCount;
        metrics.Rooms = () => rooms.Count;
        _maintenance = MaintainAsync();
        _roomListUpdates = roomsModule.PublishRoomListAsync(_stopping.Token);
    }

    public IChatStore Store { get; }
    public IPresence Presence => _modules.Presence.Online;
    public RoomRegistry Rooms => _modules.Rooms.Registry;
    public MessageWriter Writer => _modules.Messages.Writer;
    public IMessageRateLimiter RateLimiter => _rateLimiter;
    public ServerMetrics Metrics => _metrics;

    /// <summary>
    /// Prepares the store (lobby, admins, expired sessions) and loads rooms and their members, and the bans and mutes
    /// in force. <paramref name="metrics"/> is where the chat counts (a private instance when null).
    /// </summary>
    public static async Task<ChatService> StartAsync(ChatSettings settings, IChatStore store, Log log, ServerMetrics? metrics = null,
        TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        DateTime now = time.UtcNow();
        if (await store.CreateRoomAsync(new RoomRecord(Lobby, null, now)))
            log.Info($"chat created room={Lobby}");

        string[] adminNames = settings.Admin.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var pending = new List<string>();
        foreach (string name in adminNames)
        {
            if (await store.SetUserRoleAsync(name, Role.Admin))
                log.Info($"chat admin user={name}");
            else
                pending.Add(name);
        }
        string secret = settings.AdminSecret;
        if (pending.Count > 0)
        {
            // Printed once, for the operator: the log is theirs, the chat is everyone's.
            bool generated = secret.Length == 0;
            if (generated)
                secret = AdminBootstrap.NewSecret();
            log.Warn($"chat admin user={string.Join(',', pending)} is not registered yet and is reserved: register it with the admin secret" +
                (generated ? $" {secret} (generated now; open the client with #admin-secret={secret} at the end of its address)" : " given by --admin-secret"));
        }
        var admins = new AdminBootstrap(adminNames.Select(NameRules.Key), secret);

        int expired = await store.DeleteExpiredSessionsAsync(now);
        if (expired > 0)
            log.Info($"chat removed {expired} expired session(s)");

        var rooms = new RoomRegistry();
        foreach (RoomRecord room in await store.ListRoomsAsync())
        {
            IReadOnlyList<RoomMemberRecord> members = await store.ListRoomMembersAsync(room.Name);
            rooms.TryAdd(new Room(room.Name, members.Select(m => new ChatUser(m.Name, m.Color, m.Role)), RoomsModule.HistoryOnJoin,
                createdBy: room.CreatedBy, topic: room.Topic, isPrivate: room.Private));
        }

        var sanctions = new Sanctions(await store.ListBansAsync(now), await store.ListMutesAsync(now));

        // One generator for message ids and audit-log ids: both sort in time order, and it only ever goes up. It is
        // seeded with the greatest of both, so an audit id is never reused after a restart either.
        IReadOnlyList<ModerationRecord> lastEntry = await store.GetModerationLogAsync(null, 1);
        string? lastMessage = await store.GetLatestMessageIdAsync();
        string? lastId = lastEntry.Count == 0 ? lastMessage
            : lastMessage is null || string.CompareOrdinal(lastEntry[0].Id, lastMessage) > 0 ? lastEntry[0].Id : lastMessage;
        var ids = new MessageIdGenerator(lastId);
        log.Info($"chat ready rooms={rooms.Count}");
        return new ChatService(settings, store, log, rooms, ids, admins, sanctions, metrics ?? new ServerMetrics(), time);
    }

    // ---- Connection life ----

    internal ChatSession Open(WebSocketConnection connection) =>
        new(connection, _rateLimiter.Open(connection.ClientAddress, _time.Milliseconds()));

    internal ValueTask CloseAsync(ChatSession session)
    {
        _modules.Accounts.SignOut(session);
        _rateLimiter.Close(session.Allowance, _time.Milliseconds());
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// One client message: parse, rate-limit, dispatch. Every failure is answered with an <c>error</c> and the
    /// connection stays open — except a flood, which is closed with 1008.
    /// </summary>
    internal async ValueTask HandleAsync(ChatSession session, Opcode opcode, ReadOnlyMemory<byte> payload)
    {
        CommandFields fields = default;
        CommandError error;
        bool parsed;
        if (opcode != Opcode.Text)
        {
            parsed = false;
            error = new CommandError(ChatErrorCode.BadRequest, "rawsocketchat.v1 messages are JSON in text frames", null);
        }
        else
        {
            // The payload is only valid until the first await: the parser copies what it keeps.
            parsed = _parser.TryParse(payload.Span, out fields, out error);
        }

        // Every message counts, well-formed or not: garbage is no way around the limit.
        RateDecision rate = _rateLimiter.TryTake(session.Allowance, _time.Milliseconds());
        if (!rate.Allowed)
        {
            _metrics.MessageRateLimited();
            if (rate.Flooding)
            {
                _metrics.FloodDisconnect();
                _log.Warn($"chat flood id={session.Id} client={session.Connection.ClientAddress} user={session.User?.Name ?? "-"} action=close");
                session.Connection.Close(CloseCode.PolicyViolation, "message flood");
                return;
            }
            if (CommandTable.IsBestEffort(fields.Type))
                return; // typing: a refused one is just dropped
            session.SendError(ChatErrorCode.RateLimited, "too many messages; slow down", parsed ? fields.Ref : error.Ref, rate.RetryAfterMs);
            return;
        }

        if (!parsed)
        {
            session.SendError(error.Code, error.Message, error.Ref);
            return;
        }

        // Kept apart so that the fields (a struct of every field) need not outlive the dispatch.
        string type = fields.Type!;
        string? reference = fields.Ref;
        try
        {
            await CommandTable.DispatchAsync(_modules, session, in fields);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.Error($"chat command failed id={session.Id} type={type}", e);
            session.SendError(e is StoreUnavailableException ? ChatErrorCode.StoreUnavailable : ChatErrorCode.InternalError,
                "the server could not complete this request", reference);
        }
    }

    /// <summary>The numbers behind <c>stats</c>; see <see cref="ChatStats"/>.</summary>
    public Task<ChatStats> GetStatsAsync(CancellationToken cancellationToken = default) => _modules.Stats.GetStatsAsync(cancellationToken);

    /// <summary>
    /// The user a session token belongs to, with their current role and whether they are banned, or null when the
    /// token is malformed, unknown, expired or logged out. For HTTP requests that carry a token (<c>/api/stats</c>).
    /// </summary>
    public Task<(ChatUser User, bool Banned)?> AuthenticateAsync(string token, CancellationToken cancellationToken = default) =>
        _modules.Accounts.AuthenticateAsync(token, cancellationToken);

    /// <summary>Sends one <c>rooms_changed</c> with what is waiting, if anything, instead of waiting for the interval (tests).</summary>
    internal void PublishRoomListChanges() => _modules.Rooms.PublishRoomListChanges();

    // ---- Housekeeping ----

    private async Task MaintainAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(5));
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                long now = _time.Milliseconds();
                _modules.Accounts.Throttle.Sweep(now);
                _rateLimiter.Sweep(now);
                _modules.Search.Budget.Sweep(now);
                try
                {
                    int expired = await Store.DeleteExpiredSessionsAsync(_time.UtcNow());
                    if (expired > 0)
                        _log.Debug($"chat removed {expired} expired session(s)");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _log.Warn($"chat session cleanup failed: {e.GetType().Name}");
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>
    /// The chat's part of a graceful shutdown, while connections are still open: stops taking messages (a later
    /// <c>send</c> is refused as "shutting down"), stores everything queued and sends its acks and broadcasts.
    /// </summary>
    public async Task StopTakingMessagesAsync() => await Writer.DisposeAsync();

    /// <summary>Stores what is still queued, then stops. Call after the server stopped accepting messages.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stopping.Cancel();
        await _maintenance;
        await _roomListUpdates;
        await Writer.DisposeAsync();
        _log.Info($"chat stopped messages={Writer.Stored} batches={Writer.Batches}");
        _stopping.Dispose();
    }
}
