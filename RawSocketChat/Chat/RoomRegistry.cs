using System.Collections.Concurrent;

namespace RawSocketChat.Chat;

/// <summary>All rooms, by case-insensitive name. Rooms are loaded at start-up and only ever added.</summary>
public sealed class RoomRegistry
{
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);

    public int Count => _rooms.Count;

    public Room? Find(string? name) => name is null ? null : _rooms.GetValueOrDefault(NameRules.Key(name));

    public bool TryAdd(Room room) => _rooms.TryAdd(room.Key, room);

    /// <summary>Every room, by name.</summary>
    public IEnumerable<Room> All => _rooms.Values.OrderBy(r => r.Key, StringComparer.Ordinal);

    /// <summary>The rooms <paramref name="userKey"/> is a member of.</summary>
    public IEnumerable<Room> MembershipsOf(string userKey) => _rooms.Values.Where(r => r.IsMember(userKey));
}
