using Microsoft.Data.Sqlite;

namespace RawSocketChat.Storage;

/// <summary>
/// Statistics (<c>stats</c>, <c>GET /api/stats</c>): read-only aggregates over <c>users</c> and <c>messages</c>,
/// computed when asked — nothing is counted on write.
/// </summary>
public sealed partial class SqliteChatStore
{
    public Task<long> CountUsersAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(connection => Scalar<long>(connection, "SELECT COUNT(*) FROM users")));

    public Task<IReadOnlyList<RoomMessageCount>> CountMessagesPerRoomAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Read<IReadOnlyList<RoomMessageCount>>(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            // Counted on the messages_by_room index alone; then one row per room is read, for the name's spelling.
            command.CommandText = """
                SELECT (SELECT room FROM messages WHERE room_key = g.room_key LIMIT 1), g.n
                FROM (SELECT room_key, COUNT(*) AS n FROM messages GROUP BY room_key) AS g
                ORDER BY g.n DESC, g.room_key
                """;
            using SqliteDataReader reader = command.ExecuteReader();
            var counts = new List<RoomMessageCount>();
            while (reader.Read())
                counts.Add(new RoomMessageCount(reader.GetString(0), reader.GetInt64(1)));
            return counts;
        }));

    public Task<IReadOnlyList<UserMessageCount>> CountMessagesPerUserAsync(int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Task.FromResult(Read<IReadOnlyList<UserMessageCount>>(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """
                SELECT MIN(user_name), guest, COUNT(*) AS n FROM messages
                GROUP BY user_key, guest ORDER BY n DESC, user_key, guest LIMIT $limit
                """;
            command.Parameters.AddWithValue("$limit", limit);
            using SqliteDataReader reader = command.ExecuteReader();
            var counts = new List<UserMessageCount>();
            while (reader.Read())
                counts.Add(new UserMessageCount(reader.GetString(0), reader.GetInt64(1) != 0, reader.GetInt64(2)));
            return counts;
        }));
    }

    public Task<IReadOnlyList<RoomUserMessageCount>> CountMessagesPerRoomAndUserAsync(IReadOnlyCollection<string> rooms, int limit,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string room in rooms)
            names.TryAdd(Key(room), room);
        if (names.Count == 0 || limit == 0)
            return Task.FromResult<IReadOnlyList<RoomUserMessageCount>>([]);
        return Task.FromResult(Read<IReadOnlyList<RoomUserMessageCount>>(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            // One GROUP BY room, poster over the listed rooms, walked along messages_by_room_user; the window keeps each
            // room's first `limit` groups. Only the groups are sorted, never the messages.
            var parameters = new List<string>(names.Count);
            foreach (string key in names.Keys)
            {
                string parameter = "$r" + parameters.Count;
                parameters.Add(parameter);
                command.Parameters.AddWithValue(parameter, key);
            }
            command.CommandText = $"""
                SELECT room_key, name, guest, n FROM (
                    SELECT room_key, MIN(user_name) AS name, guest, COUNT(*) AS n,
                           ROW_NUMBER() OVER (PARTITION BY room_key ORDER BY COUNT(*) DESC, user_key, guest) AS place
                    FROM messages WHERE room_key IN ({string.Join(", ", parameters)})
                    GROUP BY room_key, user_key, guest)
                WHERE place <= $limit
                ORDER BY room_key, place
                """;
            command.Parameters.AddWithValue("$limit", limit);
            using SqliteDataReader reader = command.ExecuteReader();
            var counts = new List<RoomUserMessageCount>();
            while (reader.Read())
                counts.Add(new RoomUserMessageCount(names[reader.GetString(0)], reader.GetString(1), reader.GetInt64(2) != 0, reader.GetInt64(3)));
            return counts;
        }));
    }

    public Task<IReadOnlyList<HourMessageCount>> CountMessagesPerHourAsync(DateTime from, DateTime to, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read<IReadOnlyList<HourMessageCount>>(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            // ts is Unix milliseconds, so integer division by an hour's milliseconds is the UTC hour.
            command.CommandText = """
                SELECT ts / 3600000 AS hour, COUNT(*) FROM messages
                WHERE ts >= $from AND ts < $to
                GROUP BY hour ORDER BY hour
                """;
            command.Parameters.AddWithValue("$from", ToMs(from));
            command.Parameters.AddWithValue("$to", ToMs(to));
            using SqliteDataReader reader = command.ExecuteReader();
            var counts = new List<HourMessageCount>();
            while (reader.Read())
                counts.Add(new HourMessageCount(FromMs(reader.GetInt64(0) * 3_600_000), reader.GetInt64(1)));
            return counts;
        }));
}
