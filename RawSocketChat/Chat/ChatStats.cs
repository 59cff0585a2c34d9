using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>
/// What <c>stats</c> and <c>GET /api/stats</c> report, computed when asked from the store's aggregates and the
/// presence table. <see cref="Rooms"/> lists every room but direct conversations; <see cref="PerHour"/> has exactly
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
    IReadOnlyList<HourMessageCount> PerHour);
