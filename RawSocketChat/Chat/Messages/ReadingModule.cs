using RawSocketChat.Chat.Commands;
using RawSocketChat.Chat.Presence;
using RawSocketChat.Chat.Rooms;
using RawSocketChat.Diagnostics;
using RawSocketChat.Storage;
using static RawSocketChat.Chat.Checks;

namespace RawSocketChat.Chat.Messages;

/// <summary>
/// Read positions: <c>read</c> and <c>unread</c>. Where a user has read up to is kept by the server, per registered
/// user and room, so unread badges and the "new messages" line survive a reload and agree across the user's devices:
/// a <c>read</c> on one goes to all of them. Guests have no positions (nothing of a guest is stored).
/// </summary>
internal sealed class ReadingModule(ChatSettings settings, IChatStore store, ServerMetrics metrics, IRoomLookup lookup, RoomRegistry rooms,
    IUserConnections connections)
{
    public async Task ReadAsync(ChatSession session, ChatUser user, ReadCommand command)
    {
        if (!RefuseGuest(session, user, command.Ref) || !Require(session, command.Ref, command.Room, "room") || !Require(session, command.Ref, command.Id, "id")
            || !MessagesModule.CheckMessageId(session, command.Ref, command.Id) || lookup.Find(session, command.Ref, command.Room) is not { } room)
            return;
        // Any message of the room, deleted or not: a tombstone is a place in the room like any other.
        if (await store.FindMessageAsync(command.Id!) is not { } message || NameRules.Key(message.Room) != room.Key)
        {
            MessagesModule.SendNoSuchMessage(session, command.Ref, command.Id!, room);
            return;
        }
        string position = await metrics.StoreWrite.TimedAsync(() => store.MarkReadAsync(user.Name, room.Name, message.Id));
        metrics.ReadMarked();
        // Every device of the user, this one included: its badge follows the position as stored, which an older id
        // from a device that was offline does not move back.
        ReadOnlySpan<byte> read = ServerMessages.Read(room.Name, position);
        foreach (ChatSession device in connections.Of(user.Key))
            if (device.User?.Key == user.Key)
                device.Send(read);
        session.Send(ServerMessages.Ack(command.Ref, position, duplicate: position != message.Id));
    }

    public async Task UnreadAsync(ChatSession session, ChatUser user, PlainCommand command)
    {
        if (!RefuseGuest(session, user, command.Ref))
            return;
        Dictionary<string, string> positions = (await metrics.StoreRead.TimedAsync(() => store.GetReadPositionsAsync(user.Name)))
            .ToDictionary(p => p.RoomKey, p => p.MessageId, StringComparer.Ordinal);
        var lines = new List<UnreadLine>();
        foreach (Room room in rooms.MembershipsOf(user.Key).OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            string? readUpTo = positions.GetValueOrDefault(room.Key);
            UnreadCount count = await metrics.StoreRead.TimedAsync(() => store.CountUnreadAsync(user.Name, room.Name, readUpTo, settings.MaxUnreadCount));
            lines.Add(new UnreadLine(room.Name, readUpTo, count));
        }
        session.Send(ServerMessages.Unread(lines, settings.MaxUnreadCount, command.Ref));
    }

    private static bool RefuseGuest(ChatSession session, ChatUser user, string? reference)
    {
        if (!user.IsGuest)
            return true;
        session.SendError(ChatErrorCode.Forbidden, "guests have no read positions: register to keep them across devices", reference);
        return false;
    }
}
