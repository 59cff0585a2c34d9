using Microsoft.Data.Sqlite;

namespace RawSocketChat.Storage;

/// <summary>
/// Read positions and unread counts: <c>read_positions</c> holds where each user has read up to in each room, and
/// the counts are read off two indexes with a LIMIT, so a room with a million unread messages costs what the cap
/// allows and no more — <c>messages(room_key, id)</c> for the messages, <c>message_mentions(user_key, room_key,
/// message_id)</c> for the mentions.
/// </summary>
public sealed partial class SqliteChatStore
{
    public Task<string> MarkReadAsync(string user, string room, string messageId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            // Forward only: MAX of what is stored and what is offered (ids sort as text).
            command.CommandText = """
                INSERT INTO read_positions(user_key, room_key, message_id) VALUES ($user, $room, $id)
                ON CONFLICT(user_key, room_key) DO UPDATE SET message_id = MAX(message_id, excluded.message_id)
                RETURNING message_id
                """;
            command.Parameters.AddWithValue("$user", Key(user));
            command.Parameters.AddWithValue("$room", Key(room));
            command.Parameters.AddWithValue("$id", messageId);
            return (string)command.ExecuteScalar()!;
        }));

    public Task<IReadOnlyList<ReadPosition>> GetReadPositionsAsync(string user, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read<IReadOnlyList<ReadPosition>>(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT room_key, message_id FROM read_positions WHERE user_key = $user ORDER BY room_key";
            command.Parameters.AddWithValue("$user", Key(user));
            using SqliteDataReader reader = command.ExecuteReader();
            var positions = new List<ReadPosition>();
            while (reader.Read())
                positions.Add(new ReadPosition(reader.GetString(0), reader.GetString(1)));
            return positions;
        }));

    public Task<UnreadCount> CountUnreadAsync(string user, string room, string? afterId, int cap, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            // One's own messages are read by definition; only a registered author can be the user (guests are never
            // stored as readers), hence guest = 0. Deleted ones are not waiting for anybody.
            command.CommandText = """
                SELECT
                  (SELECT COUNT(*) FROM (SELECT 1 FROM messages
                     WHERE room_key = $room AND id > $after AND deleted_at IS NULL AND NOT (user_key = $user AND guest = 0) LIMIT $cap)),
                  (SELECT COUNT(*) FROM (SELECT 1 FROM message_mentions mm JOIN messages m ON m.id = mm.message_id
                     WHERE mm.user_key IN ($user, '@room') AND mm.room_key = $room AND mm.message_id > $after
                       AND NOT (m.user_key = $user AND m.guest = 0) LIMIT $cap))
                """;
            command.Parameters.AddWithValue("$user", Key(user));
            command.Parameters.AddWithValue("$room", Key(room));
            command.Parameters.AddWithValue("$after", afterId ?? "");
            command.Parameters.AddWithValue("$cap", cap);
            using SqliteDataReader reader = command.ExecuteReader();
            reader.Read();
            return new UnreadCount((int)reader.GetInt64(0), (int)reader.GetInt64(1));
        }));
}
