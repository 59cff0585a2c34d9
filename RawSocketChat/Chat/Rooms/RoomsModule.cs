using RawSocketChat.Chat.Commands;
using RawSocketChat.Chat.Presence;
using RawSocketChat.Chat.Moderation;
using RawSocketChat.Diagnostics;
using RawSocketChat.Storage;
using static RawSocketChat.Chat.Checks;

namespace RawSocketChat.Chat.Rooms;

/// <summary>
/// Rooms and membership: <c>rooms</c>, <c>create</c>, <c>join</c>, <c>leave</c>, and everyone's room list kept
/// current by <c>rooms_changed</c>. Owns the <see cref="RoomRegistry"/> (every room in memory) and the
/// <see cref="RoomListFeed"/>; the other modules find rooms through <see cref="IRoomLookup"/>.
/// <para>
/// Membership is stored for registered users, so their rooms follow them to another device and survive a restart;
/// a guest's memberships live only as long as the guest's connection.
/// </para>
/// </summary>
internal sealed class RoomsModule(ChatSettings settings, IChatStore store, Log log, RoomRegistry rooms, IPresence presence,
    IUserConnections connections, IModerationLog moderationLog) : IRoomLookup
{
    /// <summary>How many of the latest messages a <c>joined</c> carries, and a room keeps in memory for it.</summary>
    public const int HistoryOnJoin = 50;
    /// <summary>How many members a <c>joined</c> lists (the counts are always complete).</summary>
    public const int MaxMembersListed = 200;

    public RoomRegistry Registry => rooms;

    /// <summary>The rooms whose line in the room list changed; any module that changes one says so here.</summary>
    public RoomListFeed Feed { get; } = new();

    public Task ListRooms(ChatSession session, PlainCommand command)
    {
        session.Send(ServerMessages.Rooms(Summaries(session), command.Ref));
        return Task.CompletedTask;
    }

    public async Task CreateAsync(ChatSession session, ChatUser user, RoomCommand command)
    {
        if (!Require(session, command.Ref, command.Room, "room"))
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
        if (rooms.Find(name) is not null)
        {
            session.SendError(ChatErrorCode.RoomExists, $"room '{name}' exists", command.Ref);
            return;
        }
        if (rooms.PublicCount >= settings.MaxRooms)
        {
            session.SendError(ChatErrorCode.TooManyRooms, $"this server holds at most {settings.MaxRooms} rooms", command.Ref);
            return;
        }
        if (!await store.CreateRoomAsync(new RoomRecord(name, user.Name, DateTime.UtcNow)))
        {
            session.SendError(ChatErrorCode.RoomExists, $"room '{name}' exists", command.Ref);
            return;
        }
        var room = new Room(name, [], HistoryOnJoin, isNew: true, createdBy: user.Name);
        rooms.TryAdd(room);
        log.Info($"chat create room={name} by={user.Name}");
        session.Send(ServerMessages.Created(room.Name, command.Ref));
        Feed.Changed(room);
    }

    /// <summary>The longest topic, in characters (code points); one line.</summary>
    public const int MaxTopicLength = 250;

    /// <summary>
    /// <c>topic</c>: the room's creator, or a moderator, sets the line shown under its name (empty text clears it). A
    /// moderator setting someone else's room's topic is moderation: it goes to the audit log.
    /// </summary>
    public async Task SetTopicAsync(ChatSession session, ChatUser user, TopicCommand command)
    {
        if (!Require(session, command.Ref, command.Room, "room") || !Require(session, command.Ref, command.Text, "text")
            || Find(session, command.Ref, command.Room) is not { } room)
            return;
        if (room.IsDirect)
        {
            session.SendError(ChatErrorCode.BadRequest, "a direct conversation has no topic", command.Ref);
            return;
        }
        bool creator = room.CreatedBy is { } by && NameRules.Key(by) == user.Key && !user.IsGuest;
        if (!creator && !user.CanModerate)
        {
            session.SendError(ChatErrorCode.Forbidden, "only the room's creator and moderators set its topic", command.Ref);
            return;
        }
        string? topic = null;
        if (command.Text!.Trim().Length > 0)
        {
            topic = TextRules.Normalize(command.Text, MaxTopicLength, out string? code, out string? message);
            if (topic is null || topic.Contains('\n'))
            {
                session.SendError(topic is null ? code! : ChatErrorCode.InvalidText, topic is null ? "topic: " + message : "a topic is one line", command.Ref);
                return;
            }
        }
        await store.SetRoomTopicAsync(room.Name, topic);
        room.SetTopic(topic, user.Name);
        if (!creator)
            await moderationLog.LogAsync(ModerationAction.Topic, user, room.CreatedBy ?? room.Name, room: room.Name, reason: topic);
        session.Send(ServerMessages.Ack(command.Ref, room.Name, duplicate: false));
        log.Info($"chat topic room={room.Name} by={user.Name}");
    }

    public async Task JoinAsync(ChatSession session, ChatUser user, RoomCommand command)
    {
        if (!Require(session, command.Ref, command.Room, "room") || Find(session, command.Ref, command.Room) is not { } room)
            return;
        if (!user.IsGuest && !room.IsMember(user.Key))
            await store.AddRoomMemberAsync(room.Name, user.Name, DateTime.UtcNow);
        await room.EnsureLoadedAsync(store);
        // No logout can interleave (a connection's commands run one at a time), and the transport calls OnClosed
        // only after this returns, so SignOut will find this subscription even if the socket closed meanwhile.
        if (room.Join(session, user, presence, MaxMembersListed, command.Ref))
            Feed.Changed(room);
    }

    public async Task LeaveAsync(ChatSession session, ChatUser user, RoomCommand command)
    {
        if (!Require(session, command.Ref, command.Room, "room") || Find(session, command.Ref, command.Room) is not { } room)
            return;
        if (!room.IsMember(user.Key))
        {
            session.SendError(ChatErrorCode.NotMember, $"you are not in '{room.Name}'", command.Ref);
            return;
        }
        if (!user.IsGuest)
            await store.RemoveRoomMemberAsync(room.Name, user.Name);
        if (room.Leave(user, session, command.Ref))
            Feed.Changed(room);
        else
            session.SendError(ChatErrorCode.NotMember, $"you are not in '{room.Name}'", command.Ref);
    }

    // ---- Finding rooms, for every module ----

    /// <summary>A direct conversation exists only for its two users; every other room for everyone.</summary>
    private static bool IsVisible(Room room, ChatUser? user) =>
        !room.IsDirect || (user is not null && DirectRooms.IsParticipant(room.Key, user.Key));

    public IEnumerable<RoomSummary> Summaries(ChatSession session) =>
        rooms.All.Where(r => IsVisible(r, session.User)).Select(r => r.Summary(presence, session.Rooms.ContainsKey(r.Key), session.User?.Key));

    public Room? Find(ChatSession session, string? reference, string? name)
    {
        Room? room = rooms.Find(name);
        if (room is not null && !IsVisible(room, session.User))
            room = null;
        if (room is null)
            session.SendError(ChatErrorCode.NoSuchRoom, $"no room '{name}'", reference);
        return room;
    }

    public Room? Joined(ChatSession session, string? reference, string? name)
    {
        if (!Require(session, reference, name, "room"))
            return null;
        if (session.Rooms.TryGetValue(NameRules.Key(name!), out Room? room))
            return room;
        if (rooms.Find(name) is not { } found || !IsVisible(found, session.User))
            session.SendError(ChatErrorCode.NoSuchRoom, $"no room '{name}'", reference);
        else
            session.SendError(ChatErrorCode.NotMember, $"join '{name}' first", reference);
        return null;
    }

    // ---- Everyone's room list ----

    /// <summary>
    /// Once per <c>--room-list-interval</c>, the rooms that changed go to every logged-in connection in one
    /// <c>rooms_changed</c>: the same bytes for everyone, since the counts are the same for everyone.
    /// </summary>
    public async Task PublishRoomListAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(settings.RoomListInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
                PublishRoomListChanges();
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Sends one <c>rooms_changed</c> with what is waiting in the feed, if anything (tests call it directly).</summary>
    public void PublishRoomListChanges()
    {
        List<Room> changed = Feed.Take();
        if (changed.Count == 0)
            return;
        connections.SendToEveryone(ServerMessages.RoomsChanged(changed.Select(r =>
        {
            (int members, int online) = r.Counts(presence);
            return (r.Name, members, online);
        })));
    }
}
