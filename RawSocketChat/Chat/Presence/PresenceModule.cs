using RawSocketChat.Chat.Commands;
using RawSocketChat.Chat.Moderation;
using RawSocketChat.Chat.Rooms;

namespace RawSocketChat.Chat.Presence;

/// <summary>
/// Presence and typing: who is online in each room (announced when a user's first connection logs in and when the
/// last one goes), and the best-effort <c>typing</c> notice. Who is online is <see cref="IPresence"/>; this module
/// tells the rooms.
/// </summary>
internal sealed class PresenceModule(ChatSettings settings, IPresence presence, RoomRegistry rooms, RoomListFeed roomList,
    IRoomLookup lookup, ISanctions sanctions, TimeProvider time)
{
    public IPresence Online => presence;

    /// <summary>The user's first connection logged in: <c>online</c> in each of their rooms.</summary>
    public void CameOnline(ChatUser user) => Announce(user, "online");

    /// <summary>The user's last connection logged out or closed: <c>offline</c> in each of their rooms.</summary>
    public void WentOffline(ChatUser user) => Announce(user, "offline");

    private void Announce(ChatUser user, string @event)
    {
        foreach (Room room in rooms.MembershipsOf(user.Key))
        {
            room.AnnouncePresence(user, @event);
            roomList.Changed(room); // the room's online count changed
        }
    }

    public Task Typing(ChatSession session, ChatUser user, RoomCommand command)
    {
        if (sanctions.FindMute(user.Name, time.UtcNow()) is not null)
            return Task.CompletedTask; // a muted user's typing would be a tease: dropped like a throttled one
        if (lookup.Joined(session, command.Ref, command.Room) is { } room)
            room.Typing(user, time.Milliseconds(), (long)settings.TypingInterval.TotalMilliseconds);
        return Task.CompletedTask;
    }
}
