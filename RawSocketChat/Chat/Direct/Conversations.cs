using RawSocketChat.Chat.Presence;
using RawSocketChat.Chat.Rooms;
using RawSocketChat.Diagnostics;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat.Direct;

/// <summary>
/// Direct conversations as rooms: a room named by <see cref="DirectRooms"/> that only its two users can see,
/// created by the first <c>dm</c>, stored like any room. Opening one makes both users members and joins every
/// connection of theirs, so what is sent next reaches both wherever they are logged in. Used by <c>dm</c> and by a
/// <c>send</c> into a conversation (the other user may have left it).
/// </summary>
internal sealed class Conversations(IChatStore store, Log log, RoomRegistry rooms, IPresence presence, IUserConnections connections, TimeProvider time)
{
    /// <summary>Someone who can receive a direct message: a user online now, or a registered one.</summary>
    public async Task<ChatUser?> FindRecipientAsync(string name) =>
        presence.Find(NameRules.Key(name))
        ?? (await store.FindUserAsync(name) is { } record ? ChatUser.From(record) : null);

    public async Task<Room> FindOrCreateAsync(ChatUser user, ChatUser recipient)
    {
        string name = DirectRooms.NameFor(user.Key, recipient.Key);
        if (rooms.Find(name) is { } existing)
            return existing;
        // False when it is stored already (a concurrent first message): then it may have history to load.
        bool created = await store.CreateRoomAsync(new RoomRecord(name, user.Name, time.UtcNow()));
        if (rooms.TryAdd(new Room(name, [], RoomsModule.HistoryOnJoin, isNew: created)))
            log.Info($"chat conversation room={name}");
        return rooms.Find(name)!;
    }

    /// <summary>
    /// Makes both users members (again, after a leave) and joins every connection of theirs that has not joined, each
    /// getting <c>joined</c> with the latest messages — before the message is queued, so it arrives after that.
    /// </summary>
    public async Task OpenAsync(Room room, ChatUser user, string otherKey, ChatUser? other = null)
    {
        await room.EnsureLoadedAsync(store);
        other ??= await FindRecipientAsync(otherKey); // null for a guest who left: the conversation waits for them
        foreach (ChatUser? member in new[] { user, other })
        {
            if (member is null || room.IsMember(member.Key))
                continue;
            if (!member.IsGuest)
                await store.AddRoomMemberAsync(room.Name, member.Name, time.UtcNow());
            room.AddMember(member);
        }

        foreach (ChatSession connection in connections.Of(user.Key).Concat(connections.Of(otherKey)))
        {
            if (connection.Rooms.ContainsKey(room.Key))
                continue;
            // Under the connection's lock: a connection that logs out meanwhile must not end up in the conversation.
            lock (connection.SyncRoot)
            {
                if (connection.User is { } owner && (owner.Key == user.Key || owner.Key == otherKey) && !connection.Rooms.ContainsKey(room.Key))
                    room.Join(connection, owner, presence, RoomsModule.MaxMembersListed, null);
            }
        }
    }
}
