using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>
/// Direct messages. A conversation is a room named by <see cref="DirectRooms"/> that only its two users can see:
/// created by the first <c>dm</c>, stored like any room, listed and joinable by those two only. Every connection of
/// either user is joined to it before a message is queued, so the message reaches both wherever they are logged in,
/// with the ordering and history guarantees of any room.
/// </summary>
public sealed partial class ChatService
{
    private async Task DirectMessageAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (!Require(session, command, command.To, "to") || !Require(session, command, command.Text, "text"))
            return;
        string to = command.To!;
        if (!CheckName(session, command, to))
            return;
        if (NameRules.Key(to) == user.Key)
        {
            session.SendError(ChatErrorCode.BadRequest, "a direct message needs someone else", command.Ref);
            return;
        }
        if (IsMuted(session, user, command))
            return;
        string? text = TextRules.Normalize(command.Text!, _settings.MaxTextLength, out string? code, out string? message);
        if (text is null)
        {
            session.SendError(code!, message!, command.Ref);
            return;
        }
        if (await FindRecipientAsync(to) is not { } recipient)
        {
            session.SendError(ChatErrorCode.NoSuchUser, $"no user '{to}' (registered, or a guest online now)", command.Ref);
            return;
        }

        Room room = await FindOrCreateConversationAsync(user, recipient);
        await OpenConversationAsync(room, user, recipient.Key, recipient);
        await EnqueueAsync(session, user, room, text, command);
    }

    /// <summary>Someone who can receive a direct message: a user online now, or a registered one.</summary>
    private async Task<ChatUser?> FindRecipientAsync(string name) =>
        _presence.Find(NameRules.Key(name))
        ?? (await _store.FindUserAsync(name) is { } record ? ChatUser.From(record) : null);

    private async Task<Room> FindOrCreateConversationAsync(ChatUser user, ChatUser recipient)
    {
        string name = DirectRooms.NameFor(user.Key, recipient.Key);
        if (_rooms.Find(name) is { } existing)
            return existing;
        // False when it is stored already (a concurrent first message): then it may have history to load.
        bool created = await _store.CreateRoomAsync(new RoomRecord(name, user.Name, DateTime.UtcNow));
        if (_rooms.TryAdd(new Room(name, [], HistoryOnJoin, isNew: created)))
            _log.Info($"chat conversation room={name}");
        return _rooms.Find(name)!;
    }

    /// <summary>
    /// Makes both users members (again, after a leave) and joins every connection of theirs that has not joined, each
    /// getting <c>joined</c> with the latest messages — before the message is queued, so it arrives after that.
    /// </summary>
    private async Task OpenConversationAsync(Room room, ChatUser user, string otherKey, ChatUser? other = null)
    {
        await room.EnsureLoadedAsync(_store);
        other ??= await FindRecipientAsync(otherKey); // null for a guest who left: the conversation waits for them
        foreach (ChatUser? member in new[] { user, other })
        {
            if (member is null || room.IsMember(member.Key))
                continue;
            if (!member.IsGuest)
                await _store.AddRoomMemberAsync(room.Name, member.Name, DateTime.UtcNow);
            room.AddMember(member);
        }

        foreach (ChatSession connection in ConnectionsOf(user.Key).Concat(ConnectionsOf(otherKey)))
        {
            if (connection.Rooms.ContainsKey(room.Key))
                continue;
            // Under the connection's lock: a connection that logs out meanwhile must not end up in the conversation.
            lock (connection.SyncRoot)
            {
                if (connection.User is { } owner && (owner.Key == user.Key || owner.Key == otherKey) && !connection.Rooms.ContainsKey(room.Key))
                    room.Join(connection, owner, _presence, MaxMembersListed, null);
            }
        }
    }
}
