using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>
/// Statistics (<c>stats</c>, <c>GET /api/stats</c>): read-only aggregation pipelines over <c>users</c> and
/// <c>messages</c>, computed when asked — nothing is counted on write.
/// </summary>
public sealed partial class MongoChatStore
{
    /// <summary>Grouping every message may exceed the 100 MB a pipeline stage gets in memory: let it spill to disk.</summary>
    private static readonly AggregateOptions StatisticsOptions = new() { AllowDiskUse = true };

    public Task<long> CountUsersAsync(CancellationToken cancellationToken = default) => Guard(() =>
        _users.CountDocumentsAsync(MongoQueries.AllUsers, cancellationToken: cancellationToken));

    public Task<IReadOnlyList<RoomMessageCount>> CountMessagesPerRoomAsync(CancellationToken cancellationToken = default) =>
        Guard<IReadOnlyList<RoomMessageCount>>(async () =>
        {
            List<MessageCountDocument> rows = await (await _messages.AggregateAsync(MongoQueries.MessagesPerRoom(), StatisticsOptions, cancellationToken))
                .ToListAsync(cancellationToken);
            return rows.Select(r => new RoomMessageCount(r.Name, r.Count)).ToList();
        });

    public Task<IReadOnlyList<UserMessageCount>> CountMessagesPerUserAsync(int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
            return Task.FromResult<IReadOnlyList<UserMessageCount>>([]); // $limit must be positive
        return Guard<IReadOnlyList<UserMessageCount>>(async () =>
        {
            List<MessageCountDocument> rows = await (await _messages.AggregateAsync(MongoQueries.MessagesPerUser(limit), StatisticsOptions, cancellationToken))
                .ToListAsync(cancellationToken);
            return rows.Select(r => new UserMessageCount(r.Name, r.Guest, r.Count)).ToList();
        });
    }

    public Task<IReadOnlyList<RoomUserMessageCount>> CountMessagesPerRoomAndUserAsync(IReadOnlyCollection<string> rooms, int limit,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        List<string> ordered = rooms.DistinctBy(MongoQueries.Key).OrderBy(MongoQueries.Key, StringComparer.Ordinal).ToList();
        if (ordered.Count == 0 || limit == 0)
            return Task.FromResult<IReadOnlyList<RoomUserMessageCount>>([]); // $limit must be positive
        return Guard<IReadOnlyList<RoomUserMessageCount>>(async () =>
        {
            // One small pipeline per room (MongoQueries.MessagesPerUserInRoom says why); the service asks for a few rooms.
            var counts = new List<RoomUserMessageCount>();
            foreach (string room in ordered)
            {
                List<MessageCountDocument> rows = await (await _messages.AggregateAsync(MongoQueries.MessagesPerUserInRoom(room, limit),
                    StatisticsOptions, cancellationToken)).ToListAsync(cancellationToken);
                counts.AddRange(rows.Select(r => new RoomUserMessageCount(room, r.Name, r.Guest, r.Count)));
            }
            return counts;
        });
    }

    public Task<IReadOnlyList<HourMessageCount>> CountMessagesPerHourAsync(DateTime from, DateTime to, CancellationToken cancellationToken = default) =>
        Guard<IReadOnlyList<HourMessageCount>>(async () =>
        {
            List<HourCountDocument> rows = await (await _messages.AggregateAsync(MongoQueries.MessagesPerHour(from, to), StatisticsOptions, cancellationToken))
                .ToListAsync(cancellationToken);
            return rows.Select(r => new HourMessageCount(r.Hour, r.Count)).ToList();
        });
}
