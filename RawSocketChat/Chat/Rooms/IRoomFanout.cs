using RawSocketChat.Storage;

namespace RawSocketChat.Chat.Rooms;

/// <summary>
/// Where a stored change to a room goes: a new message, an edit, a deletion, new reactions, to every connection subscribed to the
/// room. One of the chat's seams: today <see cref="LocalRoomFanout"/>, straight to the room's subscribers in this
/// process; in a cluster, to every node's subscribers. Callers publish in the room's order (the message writer's
/// commit order for new messages, the room's mutation gate for edits and deletes), and an implementation must keep
/// that order for every subscriber.
/// </summary>
public interface IRoomFanout
{
    void Published(Room room, MessageRecord message);
    void Edited(Room room, MessageRecord edited);
    void Deleted(Room room, MessageRecord deleted, string by, string? reason);
    void Reacted(Room room, MessageRecord message);
}

/// <summary>The in-process <see cref="IRoomFanout"/>: the room's own subscribers, serialized once per change.</summary>
public sealed class LocalRoomFanout : IRoomFanout
{
    public void Published(Room room, MessageRecord message) => room.Publish(message);
    public void Edited(Room room, MessageRecord edited) => room.ApplyEdit(edited);
    public void Deleted(Room room, MessageRecord deleted, string by, string? reason) => room.ApplyDelete(deleted, by, reason);
    public void Reacted(Room room, MessageRecord message) => room.ApplyReactions(message);
}
