using RawSocketChat.Storage;

namespace RawSocketChat.Chat.Stats;

/// <summary>
/// What <c>stats</c> and <c>GET /api/stats</c> report, computed when asked from the store's aggregates and the
/// presence table. <see cref="Rooms"/> lists every room but direct conversations; <see cref="TopPostersByRoom"/> the
/// busiest of them that have messages, in the same order, each with its top posters; <see cref="PerHour"/> has exactly
/// 24 entries, oldest first, the last being the hour <see cref="At"/> falls in.
/// </summary>
public sealed record ChatStats(
    DateTime At,
    long RegisteredUsers,
    int OnlineUsers,
    long TotalMessages,
    long DirectMessages,
    IReadOnlyList<RoomMessageCount> Rooms,
    IReadOnlyList<UserMessageCount> TopPosters,
    IReadOnlyList<RoomPosters> TopPostersByRoom,
    IReadOnlyList<HourMessageCount> PerHour);

/// <summary>One room's top posters, most messages first; the room spelled as in <see cref="ChatStats.Rooms"/>.</summary>
public sealed record RoomPosters(string Room, IReadOnlyList<UserMessageCount> Posters);
