using System.Diagnostics;
using System.Threading.Channels;
using RawSocketChat.Diagnostics;
using RawSocketChat.Protocol;
using RawSocketChat.Storage;
using RawSocketChat.Transport;

namespace RawSocketChat.Chat;

/// <summary>
/// The chat itself: what each command of <c>rawsocketchat.v1</c> does. It owns the in-memory state (rooms,
/// presence, rate limits), the store, and the <see cref="MessageWriter"/> that stores messages in batches.
/// <para>
/// A message's life: <c>send</c> is checked here and queued to the writer — the connection goes back to reading at
/// once. The writer gives it an id, commits it with whatever else was queued, and calls <see cref="OnCommitted"/>,
/// which hands it to the room (broadcast to every member, sender included) and then acks the sender. So an ack
/// means "stored", and everyone sees messages in id order.
/// </para>
/// </summary>
public sealed partial class ChatService : IAsyncDisposable
{
    public const string Lobby = "lobby";
    public const int HistoryOnJoin = 50;
    public const int HistoryPageLimit = 100;
    public const int MaxMembersListed = 200;
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 1024;
    /// <summary>How many posters <c>stats</c> lists.</summary>
    public const int TopPosters = 10;
    /// <summary>How many of the busiest rooms <c>stats</c> lists with their own top posters, and how many posters each.</summary>
    public const int RoomsWithTopPosters = 10;
    public const int TopPostersPerRoom = 5;

    private readonly ChatSettings _settings;
    private readonly IChatStore _store;
    private readonly Log _log;
    private readonly RoomRegistry _rooms;
    private readonly Presence _presence = new();
    private readonly MessageRateLimiter _rateLimiter;
    private readonly LoginThrottle _loginThrottle = new();
    private readonly PasswordHasher _hasher;
    // PBKDF2 at 600,000 iterations is ~0.2 s of one core. Without a cap, a burst of logins would take every core.
    private readonly SemaphoreSlim _hashGate = new(Math.Max(1, Environment.ProcessorCount));
    private readonly AdminBootstrap _admins;
    private readonly CommandParser _parser;
    private readonly ChatLimits _limits;
    private readonly MessageWriter _writer;
    private readonly MessageIdGenerator _ids;
    private readonly Sanctions _sanctions;
    private readonly ServerMetrics _metrics;
    // The logged-in connections of each user, for what reaches a user wherever they are: bans, mutes, new roles, DMs.
    private readonly Dictionary<string, List<ChatSession>> _connectionsByUser = new(StringComparer.Ordinal);
    private readonly RoomListFeed _roomList = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _maintenance;
    private readonly Task _roomListUpdates;
    private int _disposed;

    private ChatService(ChatSettings settings, IChatStore store, Log log, RoomRegistry rooms, MessageIdGenerator ids, AdminBootstrap admins,
        Sanctions sanctions, ServerMetrics metrics)
    {
        _settings = settings;
        _store = store;
        _log = log;
        _rooms = rooms;
        _admins = admins;
        _ids = ids;
        _sanctions = sanctions;
        _metrics = metrics;
        metrics.UsersOnline = () => _presence.OnlineCount;
        metrics.Rooms = () => _rooms.Count;
        _hasher = new PasswordHasher(settings.Pbkdf2Iterations);
        _rateLimiter = new MessageRateLimiter(settings.Rate, settings.Burst, settings.IpRate, settings.IpBurst, settings.FloodWindow);
        _parser = new CommandParser(CommandParser.CommandLimitFor(settings.MaxTextLength));
        _limits = new ChatLimits(settings.MaxTextLength, settings.Rate, settings.Burst, HistoryOnJoin, HistoryPageLimit, settings.TypingInterval, _parser.MaxCommandBytes);
        _writer = new MessageWriter(store, ids, OnCommitted, e => _log.Error("storing messages failed", e),
            onAppendTime: metrics.StoreAppend.ObserveTicks);
        _maintenance = MaintainAsync();
        _roomListUpdates = PublishRoomListAsync();
    }

    public IChatStore Store => _store;
    public Presence Presence => _presence;
    public RoomRegistry Rooms => _rooms;
    public MessageWriter Writer => _writer;
    public MessageRateLimiter RateLimiter => _rateLimiter;
    public ServerMetrics Metrics => _metrics;

    /// <summary>
    /// Prepares the store (lobby, admins, expired sessions) and loads rooms and their members, and the bans and mutes
    /// in force. <paramref name="metrics"/> is where the chat counts (a private instance when null).
    /// </summary>
    public static async Task<ChatService> StartAsync(ChatSettings settings, IChatStore store, Log log, ServerMetrics? metrics = null)
    {
        DateTime now = DateTime.UtcNow;
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
            rooms.TryAdd(new Room(room.Name, members.Select(m => new ChatUser(m.Name, m.Color, m.Role)), HistoryOnJoin));
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
        return new ChatService(settings, store, log, rooms, ids, admins, sanctions, metrics ?? new ServerMetrics());
    }

    // ---- Connection life ----

    internal ChatSession Open(WebSocketConnection connection) =>
        new(connection, _rateLimiter.Open(connection.ClientAddress, Environment.TickCount64));

    internal ValueTask CloseAsync(ChatSession session)
    {
        SignOut(session);
        _rateLimiter.Close(session.Allowance, Environment.TickCount64);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// One client message: parse, rate-limit, dispatch. Every failure is answered with an <c>error</c> and the
    /// connection stays open — except a flood, which is closed with 1008.
    /// </summary>
    internal async ValueTask HandleAsync(ChatSession session, Opcode opcode, ReadOnlyMemory<byte> payload)
    {
        ChatCommand? command = null;
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
            parsed = _parser.TryParse(payload.Span, out command, out error);
        }

        // Every message counts, well-formed or not: garbage is no way around the limit.
        RateDecision rate = _rateLimiter.TryTake(session.Allowance, Environment.TickCount64);
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
            if (IsBestEffort(command))
                return; // typing: a refused one is just dropped
            session.SendError(ChatErrorCode.RateLimited, "too many messages; slow down", command?.Ref ?? error.Ref, rate.RetryAfterMs);
            return;
        }

        if (!parsed)
        {
            session.SendError(error.Code, error.Message, error.Ref);
            return;
        }

        try
        {
            await DispatchAsync(session, command!);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.Error($"chat command failed id={session.Id} type={command!.Type}", e);
            session.SendError(e is StoreUnavailableException ? ChatErrorCode.StoreUnavailable : ChatErrorCode.InternalError,
                "the server could not complete this request", command.Ref);
        }
    }

    // ---- Who is logged in where ----

    /// <summary>Indexes a connection under its user, once it is logged in (after <see cref="ChatSession.User"/> is set).</summary>
    private void Attach(ChatSession session, ChatUser user)
    {
        lock (_connectionsByUser)
        {
            if (!_connectionsByUser.TryGetValue(user.Key, out List<ChatSession>? connections))
                _connectionsByUser[user.Key] = connections = [];
            connections.Add(session);
        }
    }

    private void Detach(ChatSession session, ChatUser user)
    {
        lock (_connectionsByUser)
        {
            if (_connectionsByUser.TryGetValue(user.Key, out List<ChatSession>? connections) && connections.Remove(session) && connections.Count == 0)
                _connectionsByUser.Remove(user.Key);
        }
    }

    /// <summary>
    /// A snapshot of the connections logged in as <paramref name="userKey"/>. One may have logged out since: callers
    /// check <see cref="ChatSession.User"/> again before acting for that user.
    /// </summary>
    private ChatSession[] ConnectionsOf(string userKey)
    {
        lock (_connectionsByUser)
            return _connectionsByUser.TryGetValue(userKey, out List<ChatSession>? connections) ? [.. connections] : [];
    }

    // ---- Rooms ----

    /// <summary>The rooms this connection may see: every room, and the direct conversations of its user.</summary>
    private IEnumerable<RoomSummary> Summaries(ChatSession session) =>
        _rooms.All.Where(r => IsVisible(r, session.User)).Select(r => r.Summary(_presence, session.Rooms.ContainsKey(r.Key), session.User?.Key));

    /// <summary>A direct conversation exists only for its two users; every other room for everyone.</summary>
    private static bool IsVisible(Room room, ChatUser? user) =>
        !room.IsDirect || (user is not null && DirectRooms.IsParticipant(room.Key, user.Key));

    private Task ListRooms(ChatSession session, ChatCommand command)
    {
        session.Send(ServerMessages.Rooms(Summaries(session), command.Ref));
        return Task.CompletedTask;
    }

    private async Task CreateAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (!Require(session, command, command.Room, "room"))
            return;
        string name = command.Room!;
        if (!user.CanCreateRooms)
        {
            session.SendError(ChatErrorCode.Forbidden, "guests cannot create rooms: register an account", command.Ref);
            return;
        }
        if (!NameRules.IsValidName(name))
        {
            session.SendError(ChatErrorCode.InvalidName, "a room name has 2 to 24 letters, digits, '_' or '-'", command.Ref);
            return;
        }
        if (_rooms.Find(name) is not null)
        {
            session.SendError(ChatErrorCode.RoomExists, $"room '{name}' exists", command.Ref);
            return;
        }
        if (_rooms.PublicCount >= _settings.MaxRooms)
        {
            session.SendError(ChatErrorCode.TooManyRooms, $"this server holds at most {_settings.MaxRooms} rooms", command.Ref);
            return;
        }
        if (!await _store.CreateRoomAsync(new RoomRecord(name, user.Name, DateTime.UtcNow)))
        {
            session.SendError(ChatErrorCode.RoomExists, $"room '{name}' exists", command.Ref);
            return;
        }
        var room = new Room(name, [], HistoryOnJoin, isNew: true);
        _rooms.TryAdd(room);
        _log.Info($"chat create room={name} by={user.Name}");
        session.Send(ServerMessages.Created(room.Name, command.Ref));
        _roomList.Changed(room);
    }

    private async Task JoinAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (!Require(session, command, command.Room, "room") || FindRoom(session, command) is not { } room)
            return;
        if (!user.IsGuest && !room.IsMember(user.Key))
            await _store.AddRoomMemberAsync(room.Name, user.Name, DateTime.UtcNow);
        await room.EnsureLoadedAsync(_store);
        // No logout can interleave (a connection's commands run one at a time), and the transport calls OnClosed
        // only after this returns, so SignOut will find this subscription even if the socket closed meanwhile.
        if (room.Join(session, user, _presence, MaxMembersListed, command.Ref))
            _roomList.Changed(room);
    }

    private async Task LeaveAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (!Require(session, command, command.Room, "room") || FindRoom(session, command) is not { } room)
            return;
        if (!room.IsMember(user.Key))
        {
            session.SendError(ChatErrorCode.NotMember, $"you are not in '{room.Name}'", command.Ref);
            return;
        }
        if (!user.IsGuest)
            await _store.RemoveRoomMemberAsync(room.Name, user.Name);
        if (room.Leave(user, session, command.Ref))
            _roomList.Changed(room);
        else
            session.SendError(ChatErrorCode.NotMember, $"you are not in '{room.Name}'", command.Ref);
    }

    private Room? FindRoom(ChatSession session, ChatCommand command)
    {
        Room? room = _rooms.Find(command.Room);
        if (room is not null && !IsVisible(room, session.User))
            room = null;
        if (room is null)
            session.SendError(ChatErrorCode.NoSuchRoom, $"no room '{command.Room}'", command.Ref);
        return room;
    }

    /// <summary>The room, when this connection joined it; otherwise an error was sent.</summary>
    private Room? JoinedRoom(ChatSession session, ChatCommand command)
    {
        if (!Require(session, command, command.Room, "room"))
            return null;
        if (session.Rooms.TryGetValue(NameRules.Key(command.Room!), out Room? room))
            return room;
        if (_rooms.Find(command.Room) is not { } found || !IsVisible(found, session.User))
            session.SendError(ChatErrorCode.NoSuchRoom, $"no room '{command.Room}'", command.Ref);
        else
            session.SendError(ChatErrorCode.NotMember, $"join '{command.Room}' first", command.Ref);
        return null;
    }

    // ---- Messages ----

    private async Task SendAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (JoinedRoom(session, command) is not { } room || !Require(session, command, command.Text, "text") || IsMuted(session, user, command))
            return;
        string? text = TextRules.Normalize(command.Text!, _settings.MaxTextLength, out string? code, out string? message);
        if (text is null)
        {
            session.SendError(code!, message!, command.Ref);
            return;
        }
        if (room.IsDirect)
            await OpenConversationAsync(room, user, DirectRooms.OtherOf(room.Key, user.Key)!);
        await EnqueueAsync(session, user, room, text, command);
    }

    /// <summary>Hands a checked message to the writer; the broadcast and the ack come from <see cref="OnCommitted"/>.</summary>
    private async Task EnqueueAsync(ChatSession session, ChatUser user, Room room, string text, ChatCommand command)
    {
        var pending = new PendingMessage(room.Name, user.Name, user.Color, text, command.Ref, user.IsGuest, session);
        try
        {
            // Completes at once unless the writer's queue is full; the ack comes from OnCommitted.
            await _writer.EnqueueAsync(pending);
        }
        catch (ChannelClosedException)
        {
            session.SendError(ChatErrorCode.InternalError, "the server is shutting down", command.Ref);
        }
    }

    /// <summary>
    /// Called by the writer after each commit, with the batch in id order, on the writer's loop: publishing here, one
    /// message after the other, is what makes every member receive messages in id order.
    /// </summary>
    private void OnCommitted(IReadOnlyList<PendingMessage> batch)
    {
        // Every member gets the whole batch in one write rather than a race of one write per message.
        using var sends = WebSocketConnection.BatchSends();
        foreach (PendingMessage pending in batch)
        {
            var session = (ChatSession)pending.State!;
            if (pending.Result is not { } result)
            {
                session.SendError(pending.Error is StoreUnavailableException ? ChatErrorCode.StoreUnavailable : ChatErrorCode.InternalError,
                    "the message could not be stored; retry with the same ref", pending.Ref);
                continue;
            }
            if (result.Duplicate)
            {
                // The same ref again: a retry (after a reconnect, say) is acknowledged with the original id; a ref
                // reused for a different message is a client bug worth reporting rather than hiding. A message edited
                // or deleted since no longer has the text it was sent with: the room has to do.
                MessageRecord stored = result.Stored;
                if (NameRules.Key(stored.Room) == NameRules.Key(pending.Room)
                    && (stored.Text == pending.Text || stored.EditedAt is not null || stored.Deleted))
                    session.Send(ServerMessages.Ack(pending.Ref, result.Stored.Id, duplicate: true));
                else
                    session.SendError(ChatErrorCode.RefConflict, "this ref was already used for a different message", pending.Ref);
                continue;
            }
            _metrics.ChatMessagesStored(1);
            _rooms.Find(result.Stored.Room)?.Publish(result.Stored);
            session.Send(ServerMessages.Ack(pending.Ref, result.Stored.Id, duplicate: false));
        }
    }

    private async Task HistoryAsync(ChatSession session, ChatCommand command)
    {
        if (JoinedRoom(session, command) is not { } room)
            return;
        if (command.Before is not null && !MessageIdGenerator.IsValid(command.Before))
        {
            session.SendError(ChatErrorCode.BadRequest, "'before' must be a message id", command.Ref);
            return;
        }
        int limit = command.Limit ?? HistoryOnJoin;
        if (limit < 1)
        {
            session.SendError(ChatErrorCode.BadRequest, $"'limit' must be 1 to {HistoryPageLimit}", command.Ref);
            return;
        }
        limit = Math.Min(limit, HistoryPageLimit);
        // One more than asked tells whether there is more to page through.
        long started = Stopwatch.GetTimestamp();
        IReadOnlyList<MessageRecord> page = await _store.GetMessagesAsync(room.Name, command.Before, limit + 1);
        _metrics.StoreRead.ObserveSince(started);
        bool more = page.Count > limit;
        IReadOnlyList<MessageRecord> messages = more ? page.Skip(page.Count - limit).ToList() : page;
        session.Send(ServerMessages.History(room.Name, command.Before, messages, more, command.Ref));
    }

    private Task Typing(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (_sanctions.FindMute(user.Name, DateTime.UtcNow) is not null)
            return Task.CompletedTask; // a muted user's typing would be a tease: dropped like a throttled one
        if (JoinedRoom(session, command) is { } room)
            room.Typing(user, Environment.TickCount64, (long)_settings.TypingInterval.TotalMilliseconds);
        return Task.CompletedTask;
    }

    // ---- Checks ----

    private static bool CheckLoggedOut(ChatSession session, ChatCommand command)
    {
        if (session.User is null)
            return true;
        session.SendError(ChatErrorCode.AlreadyLoggedIn, "already logged in: send logout first", command.Ref);
        return false;
    }

    private static bool Require(ChatSession session, ChatCommand command, string? value, string field)
    {
        if (value is not null)
            return true;
        session.SendError(ChatErrorCode.BadRequest, $"'{field}' is required", command.Ref);
        return false;
    }

    private static bool CheckName(ChatSession session, ChatCommand command, string name)
    {
        if (NameRules.IsValidName(name))
            return true;
        session.SendError(ChatErrorCode.InvalidName, "a name has 2 to 24 letters, digits, '_' or '-'", command.Ref);
        return false;
    }

    private static bool CheckColor(ChatSession session, ChatCommand command)
    {
        if (command.Color is null || NameRules.IsValidColor(command.Color))
            return true;
        session.SendError(ChatErrorCode.BadRequest, "'color' must look like #3b82f6", command.Ref);
        return false;
    }

    /// <summary>Runs password hashing off the socket loop, at most one per core at a time.</summary>
    private async Task<T> HashWorkAsync<T>(Func<T> work)
    {
        await _hashGate.WaitAsync();
        try
        {
            return await Task.Run(work);
        }
        finally
        {
            _hashGate.Release();
        }
    }

    // ---- Everyone's room list ----

    /// <summary>
    /// Once per <c>--room-list-interval</c>, the rooms that changed go to every logged-in connection in one
    /// <c>rooms_changed</c>: the same bytes for everyone, since the counts are the same for everyone.
    /// </summary>
    private async Task PublishRoomListAsync()
    {
        using var timer = new PeriodicTimer(_settings.RoomListInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
                PublishRoomListChanges();
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Sends one <c>rooms_changed</c> with what is waiting in the feed, if anything (tests call it directly).</summary>
    internal void PublishRoomListChanges()
    {
        List<Room> changed = _roomList.Take();
        if (changed.Count == 0)
            return;
        ChatSession[] everyone;
        lock (_connectionsByUser)
            everyone = [.. _connectionsByUser.Values.SelectMany(c => c)];
        ReadOnlySpan<byte> json = ServerMessages.RoomsChanged(changed.Select(r =>
        {
            (int members, int online) = r.Counts(_presence);
            return (r.Name, members, online);
        }));
        foreach (ChatSession session in everyone)
            session.Send(json);
    }

    // ---- Housekeeping ----

    private async Task MaintainAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(5));
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                long now = Environment.TickCount64;
                _loginThrottle.Sweep(now);
                _rateLimiter.Sweep(now);
                try
                {
                    int expired = await _store.DeleteExpiredSessionsAsync(DateTime.UtcNow);
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
    public async Task StopTakingMessagesAsync() => await _writer.DisposeAsync();

    /// <summary>Stores what is still queued, then stops. Call after the server stopped accepting messages.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stopping.Cancel();
        await _maintenance;
        await _roomListUpdates;
        await _writer.DisposeAsync();
        _log.Info($"chat stopped messages={_writer.Stored} batches={_writer.Batches}");
        _stopping.Dispose();
    }
}
