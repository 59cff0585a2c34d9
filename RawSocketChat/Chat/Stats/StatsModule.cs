using RawSocketChat.Chat.Commands;
using RawSocketChat.Chat.Presence;
using RawSocketChat.Chat.Rooms;
using RawSocketChat.Storage;
using static RawSocketChat.Chat.Checks;

namespace RawSocketChat.Chat.Stats;

/// <summary>
/// Analytics: the seed's "count users / messages per user", as SQL aggregates computed by the store when asked
/// (<c>stats</c> for admins on the socket, <c>GET /api/stats</c> with an admin's token), plus who is online now.
/// </summary>
internal sealed class StatsModule(IChatStore store, RoomRegistry registry, IPresence presence, TimeProvider time)
{
    /// <summary>How many posters <c>stats</c> lists.</summary>
    public const int TopPosters = 10;
    /// <summary>How many of the busiest rooms <c>stats</c> lists with their own top posters, and how many posters each.</summary>
    public const int RoomsWithTopPosters = 10;
    public const int TopPostersPerRoom = 5;

    public async Task StatsAsync(ChatSession session, PlainCommand command)
    {
        ChatStats stats = await GetStatsAsync();
        session.Send(ServerMessages.Stats(stats, command.Ref));
    }

    /// <summary>The numbers behind <c>stats</c>; see <see cref="ChatStats"/>.</summary>
    public async Task<ChatStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        DateTime now = Millis(time.UtcNow());
        var currentHour = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerHour, DateTimeKind.Utc);
        DateTime firstHour = currentHour.AddHours(-23);

        long registered = await store.CountUsersAsync(cancellationToken);
        IReadOnlyList<RoomMessageCount> perRoom = await store.CountMessagesPerRoomAsync(cancellationToken);
        IReadOnlyList<UserMessageCount> top = await store.CountMessagesPerUserAsync(TopPosters, cancellationToken);
        // Up to the end of the current hour: a message stamped a moment after "now" still counts in this hour.
        IReadOnlyList<HourMessageCount> hours = await store.CountMessagesPerHourAsync(firstHour, currentHour.AddHours(1), cancellationToken);

        long total = 0, direct = 0;
        var counts = new Dictionary<string, RoomMessageCount>(StringComparer.Ordinal);
        foreach (RoomMessageCount room in perRoom)
        {
            total += room.Messages;
            if (DirectRooms.IsDirect(room.Room))
                direct += room.Messages;
            else
                counts[NameRules.Key(room.Room)] = room;
        }
        // Every room, the silent ones too, spelled as the room is; conversations are nobody else's business.
        foreach (Room room in registry.All)
            if (!room.IsDirect)
                counts[room.Key] = new RoomMessageCount(room.Name, counts.GetValueOrDefault(room.Key).Messages);
        List<RoomMessageCount> rooms = counts.Values
            .OrderByDescending(r => r.Messages).ThenBy(r => NameRules.Key(r.Room), StringComparer.Ordinal).ToList();

        // The busiest rooms' own top posters: a bounded list, asked of the store for just those rooms.
        List<RoomMessageCount> busiest = rooms.Where(r => r.Messages > 0).Take(RoomsWithTopPosters).ToList();
        IReadOnlyList<RoomUserMessageCount> posters = await store.CountMessagesPerRoomAndUserAsync(
            busiest.Select(r => r.Room).ToList(), TopPostersPerRoom, cancellationToken);
        ILookup<string, RoomUserMessageCount> postersOf = posters.ToLookup(p => NameRules.Key(p.Room), StringComparer.Ordinal);
        List<RoomPosters> byRoom = busiest
            .Select(r => new RoomPosters(r.Room, postersOf[NameRules.Key(r.Room)].Select(p => new UserMessageCount(p.User, p.Guest, p.Messages)).ToList()))
            .ToList();

        var perHour = new HourMessageCount[24];
        for (int i = 0; i < perHour.Length; i++)
            perHour[i] = new HourMessageCount(firstHour.AddHours(i), 0);
        foreach (HourMessageCount hour in hours)
        {
            int index = (int)((hour.Hour - firstHour).Ticks / TimeSpan.TicksPerHour);
            if (index is >= 0 and < 24)
                perHour[index] = perHour[index] with { Messages = hour.Messages };
        }

        return new ChatStats(now, registered, presence.OnlineCount, total, direct, rooms, top, byRoom, perHour);
    }
}
