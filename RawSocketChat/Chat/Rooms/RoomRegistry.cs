using System.Collections.Concurrent;

namespace RawSocketChat.Chat.Rooms;

/// <summary>
/// All rooms and direct conversations, by case-insensitive name. They are loaded at start-up and only ever added.
/// </summary>
public sealed class RoomRegistry
{
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private int _direct;

    /// <summary>Rooms and direct conversations.</summary>
    public int Count => _rooms.Count;

    /// <summary>Rooms, without the direct conversations (which do not count against the room limit).</summary>
    public int PublicCount => _rooms.Count - Volatile.Read(ref _direct);

    public Room? Find(string? name) => name is null ? null : _rooms.GetValueOrDefault(NameRules.Key(name));

    public bool TryAdd(Room room)
    {
        if (!_rooms.TryAdd(room.Key, room))
            return false;
        if (room.IsDirect)
            Interlocked.Increment(ref _direct);
        return true;
    }

    /// <summary>Every room, by name.</summary>
    public IEnumerable<Room> All => _rooms.Values.OrderBy(r => r.Key, StringComparer.Ordinal);

    /// <summary>The rooms <paramref name="userKey"/> is a member of.</summary>
    public IEnumerable<Room> MembershipsOf(string userKey) => _rooms.Values.Where(r => r.IsMember(userKey));
}
