namespace RawSocketChat.Chat.Rooms;

/// <summary>
/// How the other modules find the room a command names, with the visibility rule (a direct conversation exists only
/// for its two users) applied and the refusal answered: <c>no_such_room</c>, or <c>not_member</c> for a room the
/// connection has not joined.
/// </summary>
internal interface IRoomLookup
{
    /// <summary>The room, when this connection may see it; otherwise <c>no_such_room</c> was sent.</summary>
    Room? Find(ChatSession session, string? reference, string? name);

    /// <summary>The room, when this connection joined it; otherwise an error was sent.</summary>
    Room? Joined(ChatSession session, string? reference, string? name);

    /// <summary>The rooms this connection may see, as its room list shows them.</summary>
    IEnumerable<RoomSummary> Summaries(ChatSession session);
}
