using Microsoft.Data.Sqlite;

namespace RawSocketChat.Storage;

/// <summary>
/// Reactions: one row per (message, emoji, user) in <c>reactions</c>, read back grouped onto their messages
/// (<c>AttachReactions</c>, which every query returning messages to the chat goes through). Each change is one write
/// transaction, and all writes go through the one writer connection, so the checks (the message is live, the emoji
/// limit) and the insert cannot interleave with another change.
/// </summary>
public sealed partial class SqliteChatStore
{
    public Task<ReactionOutcome> AddReactionAsync(string messageId, ReactionRecord reaction, int maxEmoji, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteTransaction transaction = connection.BeginTransaction();
            if (FindMessage(connection, transaction, messageId) is not { Deleted: false } message)
                return new ReactionOutcome(ReactionStatus.NoSuchMessage, null);
            (string user, long guest) = (Key(reaction.User), reaction.Guest ? 1 : 0);
            ReactionStatus status;
            if (ScalarLong(connection, transaction, "SELECT COUNT(*) FROM reactions WHERE message_id = $id AND emoji = $emoji AND user_key = $user AND guest = $guest",
                    ("$id", messageId), ("$emoji", reaction.Emoji), ("$user", user), ("$guest", guest)) > 0)
                status = ReactionStatus.Unchanged;
            else if (ScalarLong(connection, transaction, "SELECT COUNT(*) FROM reactions WHERE message_id = $id AND emoji = $emoji",
                         ("$id", messageId), ("$emoji", reaction.Emoji)) == 0
                     && ScalarLong(connection, transaction, "SELECT COUNT(DISTINCT emoji) FROM reactions WHERE message_id = $id", ("$id", messageId)) >= maxEmoji)
                status = ReactionStatus.TooManyEmoji;
            else
            {
                using SqliteCommand insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = """
                    INSERT INTO reactions(message_id, emoji, user_key, guest, user_name, ts)
                    VALUES ($id, $emoji, $user, $guest, $name, $ts)
                    """;
                insert.Parameters.AddWithValue("$id", messageId);
                insert.Parameters.AddWithValue("$emoji", reaction.Emoji);
                insert.Parameters.AddWithValue("$user", user);
                insert.Parameters.AddWithValue("$guest", guest);
                insert.Parameters.AddWithValue("$name", reaction.User);
                insert.Parameters.AddWithValue("$ts", ToMs(reaction.At));
                insert.ExecuteNonQuery();
                status = ReactionStatus.Changed;
            }
            MessageRecord after = Complete(connection, transaction, [message])[0];
            transaction.Commit();
            return new ReactionOutcome(status, after);
        }));

    public Task<ReactionOutcome> RemoveReactionAsync(string messageId, string emoji, string user, bool guest, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteTransaction transaction = connection.BeginTransaction();
            if (FindMessage(connection, transaction, messageId) is not { Deleted: false } message)
                return new ReactionOutcome(ReactionStatus.NoSuchMessage, null);
            using SqliteCommand delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM reactions WHERE message_id = $id AND emoji = $emoji AND user_key = $user AND guest = $guest";
            delete.Parameters.AddWithValue("$id", messageId);
            delete.Parameters.AddWithValue("$emoji", emoji);
            delete.Parameters.AddWithValue("$user", Key(user));
            delete.Parameters.AddWithValue("$guest", guest ? 1 : 0);
            ReactionStatus status = delete.ExecuteNonQuery() == 1 ? ReactionStatus.Changed : ReactionStatus.Unchanged;
            MessageRecord after = Complete(connection, transaction, [message])[0];
            transaction.Commit();
            return new ReactionOutcome(status, after);
        }));

    /// <summary>
    /// The messages with their reactions, in one query for all of them (a history page is one round trip more, not
    /// one per message). Tombstones have none: deleting a message deletes them.
    /// </summary>
    private static IReadOnlyList<MessageRecord> AttachReactions(SqliteConnection connection, SqliteTransaction? transaction, IReadOnlyList<MessageRecord> messages)
    {
        if (messages.Count == 0)
            return messages;
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        var names = new string[messages.Count];
        for (int i = 0; i < messages.Count; i++)
        {
            names[i] = "$m" + i;
            command.Parameters.AddWithValue(names[i], messages[i].Id);
        }
        command.CommandText = $"SELECT message_id, emoji, user_name FROM reactions WHERE message_id IN ({string.Join(',', names)}) ORDER BY message_id, rowid";
        var byMessage = new Dictionary<string, List<(string, string)>>(StringComparer.Ordinal);
        using (SqliteDataReader reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                string id = reader.GetString(0);
                if (!byMessage.TryGetValue(id, out List<(string, string)>? rows))
                    byMessage.Add(id, rows = []);
                rows.Add((reader.GetString(1), reader.GetString(2)));
            }
        }
        if (byMessage.Count == 0)
            return messages;
        var result = new MessageRecord[messages.Count];
        for (int i = 0; i < messages.Count; i++)
            result[i] = byMessage.TryGetValue(messages[i].Id, out List<(string, string)>? rows) ? messages[i] with { Reactions = MessageReactions.Group(rows) } : messages[i];
        return result;
    }

    private static long ScalarLong(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach ((string name, object value) in parameters)
            command.Parameters.AddWithValue(name, value);
        return (long)command.ExecuteScalar()!;
    }
}
