using Microsoft.Data.Sqlite;

namespace RawSocketChat.Storage;

/// <summary>
/// Messages: the batched append with its idempotent refs, history pages, and edits and deletes (a deleted message
/// stays as a tombstone). <c>MessageColumns</c> and <c>ReadMessage</c>, at the end, are what every query that returns
/// messages selects and reads; what goes back to the chat carries its reactions (<c>AttachReactions</c>, in
/// <c>SqliteChatStore.Reactions.cs</c>).
/// </summary>
public sealed partial class SqliteChatStore
{
    public Task<IReadOnlyList<AppendResult>> AppendMessagesAsync(IReadOnlyList<MessageRecord> messages, CancellationToken cancellationToken = default)
    {
        if (messages.Count == 0)
            return Task.FromResult<IReadOnlyList<AppendResult>>([]);
        return Task.FromResult(Write<IReadOnlyList<AppendResult>>(connection =>
        {
            var results = new AppendResult[messages.Count];
            using SqliteTransaction transaction = connection.BeginTransaction();

            using SqliteCommand find = connection.CreateCommand();
            find.Transaction = transaction;
            find.CommandText = $"SELECT {MessageColumns} FROM messages WHERE user_key = $user AND guest = $guest AND ref = $ref";
            SqliteParameter findUser = find.Parameters.Add("$user", SqliteType.Text);
            SqliteParameter findGuest = find.Parameters.Add("$guest", SqliteType.Integer);
            SqliteParameter findRef = find.Parameters.Add("$ref", SqliteType.Text);

            using SqliteCommand insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO messages(id, room_key, room, user_key, user_name, guest, color, text, ts, ref, reply_to, mentions, search_row)
                VALUES ($id, $room_key, $room, $user_key, $user_name, $guest, $color, $text, $ts, $ref, $reply_to, $mentions,
                        (SELECT COALESCE(MAX(search_row), 0) + 1 FROM messages))
                """;
            SqliteParameter id = insert.Parameters.Add("$id", SqliteType.Text);
            SqliteParameter roomKey = insert.Parameters.Add("$room_key", SqliteType.Text);
            SqliteParameter room = insert.Parameters.Add("$room", SqliteType.Text);
            SqliteParameter userKey = insert.Parameters.Add("$user_key", SqliteType.Text);
            SqliteParameter userName = insert.Parameters.Add("$user_name", SqliteType.Text);
            SqliteParameter guest = insert.Parameters.Add("$guest", SqliteType.Integer);
            SqliteParameter color = insert.Parameters.Add("$color", SqliteType.Text);
            SqliteParameter text = insert.Parameters.Add("$text", SqliteType.Text);
            SqliteParameter ts = insert.Parameters.Add("$ts", SqliteType.Integer);
            SqliteParameter reference = insert.Parameters.Add("$ref", SqliteType.Text);
            SqliteParameter replyTo = insert.Parameters.Add("$reply_to", SqliteType.Text);
            SqliteParameter mentions = insert.Parameters.Add("$mentions", SqliteType.Text);

            for (int i = 0; i < messages.Count; i++)
            {
                MessageRecord m = messages[i];
                if (m.Ref is not null)
                {
                    findUser.Value = Key(m.User);
                    findGuest.Value = m.Guest ? 1 : 0;
                    findRef.Value = m.Ref;
                    using SqliteDataReader reader = find.ExecuteReader();
                    if (reader.Read())
                    {
                        MessageRecord stored = ReadMessage(reader);
                        reader.Close();
                        results[i] = new AppendResult(AttachParents(connection, transaction, [stored])[0], Duplicate: true);
                        continue;
                    }
                }
                id.Value = m.Id;
                roomKey.Value = Key(m.Room);
                room.Value = m.Room;
                userKey.Value = Key(m.User);
                userName.Value = m.User;
                guest.Value = m.Guest ? 1 : 0;
                color.Value = m.Color;
                text.Value = m.Text;
                ts.Value = ToMs(m.Timestamp);
                reference.Value = (object?)m.Ref ?? DBNull.Value;
                replyTo.Value = (object?)m.ReplyTo ?? DBNull.Value;
                mentions.Value = (object?)EncodeMentions(m.Mentions) ?? DBNull.Value;
                insert.ExecuteNonQuery();
                WriteMentionRows(connection, transaction, m.Id, m.Room, m.Mentions);
                results[i] = new AppendResult(m with { Timestamp = Truncate(m.Timestamp), EditedAt = null, DeletedAt = null, DeletedByModerator = null, Reactions = null }, Duplicate: false);
            }
            transaction.Commit();
            return results;
        }));
    }

    public Task<IReadOnlyList<MessageRecord>> GetMessagesAsync(string room, string? beforeId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Task.FromResult(Read<IReadOnlyList<MessageRecord>>(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = beforeId is null
                ? $"SELECT {MessageColumns} FROM messages WHERE room_key = $room ORDER BY id DESC LIMIT $limit"
                : $"SELECT {MessageColumns} FROM messages WHERE room_key = $room AND id < $before ORDER BY id DESC LIMIT $limit";
            command.Parameters.AddWithValue("$room", Key(room));
            command.Parameters.AddWithValue("$limit", limit);
            if (beforeId is not null)
                command.Parameters.AddWithValue("$before", beforeId);
            using SqliteDataReader reader = command.ExecuteReader();
            var page = new List<MessageRecord>(Math.Min(limit, 256));
            while (reader.Read())
                page.Add(ReadMessage(reader));
            page.Reverse(); // newest-first from the index, oldest-first for the caller
            reader.Close();
            return Complete(connection, null, page);
        }));
    }

    public Task<string?> GetLatestMessageIdAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT MAX(id) FROM messages";
            return command.ExecuteScalar() as string;
        }));

    public Task<MessageRecord?> FindMessageAsync(string id, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(connection => FindMessage(connection, null, id) is { } message ? Complete(connection, null, [message])[0] : null));

    public Task<MessageRecord?> EditMessageAsync(string id, string text, DateTime editedAt, MessageMentions? mentions = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteTransaction transaction = connection.BeginTransaction();
            using SqliteCommand command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "UPDATE messages SET text = $text, edited_at = $at, mentions = $mentions WHERE id = $id AND deleted_at IS NULL";
            command.Parameters.AddWithValue("$text", text);
            command.Parameters.AddWithValue("$mentions", (object?)EncodeMentions(mentions) ?? DBNull.Value);
            command.Parameters.AddWithValue("$at", ToMs(editedAt));
            command.Parameters.AddWithValue("$id", id);
            MessageRecord? edited = null;
            if (command.ExecuteNonQuery() == 1)
            {
                edited = Complete(connection, transaction, [FindMessage(connection, transaction, id)!])[0];
                DeleteMentionRows(connection, transaction, id);
                WriteMentionRows(connection, transaction, id, edited.Room, mentions);
            }
            transaction.Commit();
            return edited;
        }));

    public Task<MessageRecord?> DeleteMessageAsync(string id, DateTime deletedAt, string? moderator = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteTransaction transaction = connection.BeginTransaction();
            using SqliteCommand command = connection.CreateCommand();
            command.Transaction = transaction;
            // The text goes for good: a tombstone keeps the id (and the ref, for idempotent retries), not the words.
            command.CommandText = """
                UPDATE messages SET text = '', deleted_at = $at, deleted_by_moderator = $moderator, mentions = NULL
                WHERE id = $id AND deleted_at IS NULL
                """;
            command.Parameters.AddWithValue("$at", ToMs(deletedAt));
            command.Parameters.AddWithValue("$moderator", (object?)moderator ?? DBNull.Value);
            command.Parameters.AddWithValue("$id", id);
            MessageRecord? deleted = null;
            if (command.ExecuteNonQuery() == 1)
            {
                // Its reactions go with it: a tombstone shows nothing anyone said about the message.
                using SqliteCommand reactions = connection.CreateCommand();
                reactions.Transaction = transaction;
                reactions.CommandText = "DELETE FROM reactions WHERE message_id = $id";
                reactions.Parameters.AddWithValue("$id", id);
                reactions.ExecuteNonQuery();
                DeleteMentionRows(connection, transaction, id);
                deleted = Complete(connection, transaction, [FindMessage(connection, transaction, id)!])[0];
            }
            transaction.Commit();
            return deleted;
        }));

    private const string MessageColumns = "id, room, user_name, color, text, ts, ref, guest, edited_at, deleted_at, deleted_by_moderator, reply_to, mentions";

    private static MessageRecord ReadMessage(SqliteDataReader reader) => new(
        Id: reader.GetString(0),
        Room: reader.GetString(1),
        User: reader.GetString(2),
        Color: reader.GetString(3),
        Text: reader.GetString(4),
        Timestamp: FromMs(reader.GetInt64(5)),
        Ref: reader.IsDBNull(6) ? null : reader.GetString(6),
        Guest: reader.GetInt64(7) != 0,
        EditedAt: reader.IsDBNull(8) ? null : FromMs(reader.GetInt64(8)),
        DeletedAt: reader.IsDBNull(9) ? null : FromMs(reader.GetInt64(9)),
        DeletedByModerator: reader.IsDBNull(10) ? null : reader.GetString(10),
        ReplyTo: reader.IsDBNull(11) ? null : reader.GetString(11),
        Mentions: reader.IsDBNull(12) ? null : DecodeMentions(reader.GetString(12)));

    /// <summary>The token of <c>@room</c> in the mentions column and in <c>message_mentions</c>: no name can be it.</summary>
    private const string RoomMention = "@room";

    private static string? EncodeMentions(MessageMentions? mentions) =>
        mentions is null ? null : string.Join(' ', (mentions.Room ? [RoomMention] : Array.Empty<string>()).Concat(mentions.Users));

    private static MessageMentions DecodeMentions(string encoded)
    {
        string[] parts = encoded.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        bool room = parts.Length > 0 && parts[0] == RoomMention;
        return new MessageMentions(room ? parts[1..] : parts, room);
    }

    private static void WriteMentionRows(SqliteConnection connection, SqliteTransaction transaction, string id, string room, MessageMentions? mentions)
    {
        if (mentions is null)
            return;
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR IGNORE INTO message_mentions(user_key, room_key, message_id) VALUES ($user, $room, $id)";
        SqliteParameter user = command.Parameters.Add("$user", SqliteType.Text);
        command.Parameters.AddWithValue("$room", Key(room));
        command.Parameters.AddWithValue("$id", id);
        foreach (string key in (mentions.Room ? [RoomMention] : Array.Empty<string>()).Concat(mentions.Users.Select(Key)))
        {
            user.Value = key;
            command.ExecuteNonQuery();
        }
    }

    private static void DeleteMentionRows(SqliteConnection connection, SqliteTransaction transaction, string id)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM message_mentions WHERE message_id = $id";
        command.Parameters.AddWithValue("$id", id);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Reads the parents of the replies among <paramref name="messages"/> in one query and attaches each as it is now;
    /// a message that is not a reply is returned as it is.
    /// </summary>
    private static IReadOnlyList<MessageRecord> AttachParents(SqliteConnection connection, SqliteTransaction? transaction, IReadOnlyList<MessageRecord> messages)
    {
        string[] parentIds = messages.Where(m => m.ReplyTo is not null).Select(m => m.ReplyTo!).Distinct(StringComparer.Ordinal).ToArray();
        if (parentIds.Length == 0)
            return messages;
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        for (int i = 0; i < parentIds.Length; i++)
            command.Parameters.AddWithValue("$p" + i, parentIds[i]);
        command.CommandText = $"SELECT id, user_name, text, deleted_at FROM messages WHERE id IN ({string.Join(',', parentIds.Select((_, i) => "$p" + i))})";
        var parents = new Dictionary<string, ReplyParent>(StringComparer.Ordinal);
        using (SqliteDataReader reader = command.ExecuteReader())
        {
            while (reader.Read())
                parents[reader.GetString(0)] = new ReplyParent(reader.GetString(0), reader.GetString(1), reader.GetString(2), !reader.IsDBNull(3));
        }
        return messages.Select(m => m.ReplyTo is { } parent ? m with { Parent = parents.GetValueOrDefault(parent) } : m).ToArray();
    }

    /// <summary>What every read that returns messages to the chat goes through: their reactions and parents.</summary>
    private static IReadOnlyList<MessageRecord> Complete(SqliteConnection connection, SqliteTransaction? transaction, IReadOnlyList<MessageRecord> messages) =>
        AttachParents(connection, transaction, AttachReactions(connection, transaction, messages));

    private static MessageRecord? FindMessage(SqliteConnection connection, SqliteTransaction? transaction, string id)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {MessageColumns} FROM messages WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using SqliteDataReader reader = command.ExecuteReader();
        return reader.Read() ? ReadMessage(reader) : null;
    }
}
