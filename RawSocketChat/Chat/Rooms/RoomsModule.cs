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
    IUserConnections connections, IModerationLog moderationLog, TimeProvider time) : IRoomLookup
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

    public async Task CreateAsync(ChatSession session, ChatUser user, CreateCommand command)
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
        DateTime now = time.UtcNow();
        if (!await store.CreateRoomAsync(new RoomRecord(name, user.Name, now, Private: command.Private)))
        {
            session.SendError(ChatErrorCode.RoomExists, $"room '{name}' exists", command.Ref);
            return;
        }
        // A private room has its creator as its first member: otherwise nobody could see it to invite anyone.
        if (command.Private)
            await store.AddRoomMemberAsync(name, user.Name, now);
        var room = new Room(name, command.Private ? [user] : [], HistoryOnJoin, isNew: true, createdBy: user.Name, isPrivate: command.Private);
        rooms.TryAdd(room);
        log.Info($"chat create room={name} by={user.Name}{(command.Private ? " private" : "")}");
        session.Send(ServerMessages.Created(room.Name, command.Ref));
        Feed.Changed(room);
    }

    /// <summary>
    /// <c>invite</c>: a member of a private room (or a moderator, member or not) makes a registered user a member.
    /// The invitee's connections are told (<c>invited</c>) and see the room from then on; the others in the room see
    /// a new member join. A moderator inviting into a room they are not in is moderation, and audited.
    /// </summary>
    public async Task InviteAsync(ChatSession session, ChatUser user, InviteCommand command)
    {
        if (!Require(session, command.Ref, command.Room, "room") || !Require(session, command.Ref, command.User, "user")
            || !CheckName(session, command.Ref, command.User!))
            return;
        Room? room = rooms.Find(command.Room);
        if (room is null || room.IsDirect || (!user.CanModerate && !IsVisible(room, user)))
        {
            session.SendError(ChatErrorCode.NoSuchRoom, $"no room '{command.Room}'", command.Ref);
            return;
        }
        if (!room.IsPrivate)
        {
            session.SendError(ChatErrorCode.BadRequest, "a public room needs no invitation: anyone may join it", command.Ref);
            return;
        }
        if (user.IsGuest)
        {
            session.SendError(ChatErrorCode.Forbidden, "guests cannot invite: register an account", command.Ref);
            return;
        }
        if (await store.FindUserAsync(command.User!) is not { } invitee)
        {
            session.SendError(ChatErrorCode.NoSuchUser, $"no registered user '{command.User}' (guests cannot be invited)", command.Ref);
            return;
        }
        bool asModerator = !room.IsMember(user.Key);
        if (!await store.AddRoomMemberAsync(room.Name, invitee.Name, time.UtcNow()))
        {
            session.Send(ServerMessages.Ack(command.Ref, room.Name, duplicate: true)); // a member already
            return;
        }
        var member = ChatUser.From(invitee);
        room.AddMember(member);
        if (asModerator)
            await moderationLog.LogAsync(ModerationAction.Invite, user, invitee.Name, room: room.Name);
        foreach (ChatSession device in connections.Of(member.Key))
            device.Send(ServerMessages.Invited(room.Name, user.Name));
        session.Send(ServerMessages.Ack(command.Ref, room.Name, duplicate: false));
        log.Info($"chat invite room={room.Name} user={invitee.Name} by={user.Name}");
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
            await store.AddRoomMemberAsync(room.Name, user.Name, time.UtcNow());
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
    /// <summary>
    /// The one visibility rule: a direct conversation exists only for its two users, a private room only for its
    /// members; to everyone else they do not exist at all (<c>no_such_room</c>, absent from every room list).
    /// </summary>
    private static bool IsVisible(Room room, ChatUser? user) =>
        room.IsDirect ? user is not null && DirectRooms.IsParticipant(room.Key, user.Key)
        : !room.IsPrivate || (user is not null && room.IsMember(user.Key));

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
