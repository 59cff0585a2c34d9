namespace RawSocketChat.Chat.Rooms;

/// <summary>
/// The rooms whose line in everyone's room list changed — created, a member joined or left, a member came online or
/// went offline — waiting to go out as one <c>rooms_changed</c>. The chat takes them once per
/// <c>--room-list-interval</c>, so a connection gets at most one list update per interval however busy the server
/// is, and at most <see cref="MaxRoomsPerUpdate"/> rooms in it (the rest wait for the next one, oldest first).
/// Direct conversations are not in anyone else's list, so they are never queued.
/// </summary>
public sealed class RoomListFeed
{
    public const int MaxRoomsPerUpdate = 200;

    private readonly object _lock = new();
    // A room is queued once however often it changes before the next update: the update reads its counts then.
    private readonly HashSet<Room> _queued = [];
    private readonly Queue<Room> _order = new();

    public int Pending
    {
        get { lock (_lock) return _order.Count; }
    }

    public void Changed(Room room)
    {
        // The same bytes go to everyone: a room not everyone may see is never in them.
        if (room.IsDirect || room.IsPrivate)
            return;
        lock (_lock)
            if (_queued.Add(room))
                _order.Enqueue(room);
    }

    /// <summary>Takes up to <paramref name="max"/> changed rooms, the longest waiting first.</summary>
    public List<Room> Take(int max = MaxRoomsPerUpdate)
    {
        lock (_lock)
        {
            var taken = new List<Room>(Math.Min(max, _order.Count));
            while (taken.Count < max && _order.TryDequeue(out Room? room))
            {
                _queued.Remove(room);
                taken.Add(room);
            }
            return taken;
        }
    }
}
