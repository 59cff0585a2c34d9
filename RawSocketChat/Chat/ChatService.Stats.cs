using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>
/// Analytics: the seed's "count users / messages per user", as SQL aggregates computed by the store when asked
/// (<c>stats</c> for admins on the socket, <c>GET /api/stats</c> with an admin's token), plus who is online now.
/// </summary>
public sealed partial class ChatService
{
    private async Task StatsAsync(ChatSession session, ChatCommand command)
    {
        ChatStats stats = await GetStatsAsync();
        session.Send(ServerMessages.Stats(stats, command.Ref));
    }

    /// <summary>The numbers behind <c>stats</c>; see <see cref="ChatStats"/>.</summary>
    public async Task<ChatStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        DateTime now = Millis(DateTime.UtcNow);
        var currentHour = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerHour, DateTimeKind.Utc);
        DateTime firstHour = currentHour.AddHours(-23);

        long registered = await _store.CountUsersAsync(cancellationToken);
        IReadOnlyList<RoomMessageCount> perRoom = await _store.CountMessagesPerRoomAsync(cancellationToken);
        IReadOnlyList<UserMessageCount> top = await _store.CountMessagesPerUserAsync(TopPosters, cancellationToken);
        // Up to the end of the current hour: a message stamped a moment after "now" still counts in this hour.
        IReadOnlyList<HourMessageCount> hours = await _store.CountMessagesPerHourAsync(firstHour, currentHour.AddHours(1), cancellationToken);

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
        foreach (Room room in _rooms.All)
            if (!room.IsDirect)
                counts[room.Key] = new RoomMessageCount(room.Name, counts.GetValueOrDefault(room.Key).Messages);
        List<RoomMessageCount> rooms = counts.Values
            .OrderByDescending(r => r.Messages).ThenBy(r => NameRules.Key(r.Room), StringComparer.Ordinal).ToList();

        // The busiest rooms' own top posters: a bounded list, asked of the store for just those rooms.
        List<RoomMessageCount> busiest = rooms.Where(r => r.Messages > 0).Take(RoomsWithTopPosters).ToList();
        IReadOnlyList<RoomUserMessageCount> posters = await _store.CountMessagesPerRoomAndUserAsync(
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

        return new ChatStats(now, registered, _presence.OnlineCount, total, direct, rooms, top, byRoom, perHour);
    }

    /// <summary>
    /// The user a session token (as sent by a client) belongs to, with their current role, or null when the token is
    /// malformed, unknown, expired or logged out. For HTTP requests that carry a token (<c>/api/stats</c>).
    /// </summary>
    public async Task<(ChatUser User, bool Banned)?> AuthenticateAsync(string token, CancellationToken cancellationToken = default)
    {
        if (SessionTokens.HashOf(token) is not { } hash)
            return null;
        DateTime now = DateTime.UtcNow;
        if (await _store.FindSessionAsync(hash, now, cancellationToken) is not { } session
            || await _store.FindUserAsync(session.UserName, cancellationToken) is not { } record)
            return null;
        return (ChatUser.From(record), _sanctions.FindBan(record.Name, now) is not null);
    }
}
