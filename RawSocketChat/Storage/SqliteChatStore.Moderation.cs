using Microsoft.Data.Sqlite;

namespace RawSocketChat.Storage;

/// <summary>
/// Moderation: bans and mutes, which have the same shape in two tables and share one set of helpers (at the end), and
/// the moderation log, appended to and paged like history.
/// </summary>
public sealed partial class SqliteChatStore
{
    public Task SetBanAsync(BanRecord ban, CancellationToken cancellationToken = default)
    {
        Write(connection => Upsert(connection, "bans", ban.Name, ban.By, ban.Reason, ban.CreatedAt, ban.ExpiresAt));
        return Task.CompletedTask;
    }

    public Task<bool> RemoveBanAsync(string name, DateTime now, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection => Remove(connection, "bans", name, now)));

    public Task<IReadOnlyList<BanRecord>> ListBansAsync(DateTime now, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<BanRecord>>(Read(connection => ListActive(connection, "bans", now,
            r => new BanRecord(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), FromMs(r.GetInt64(3)),
                r.IsDBNull(4) ? null : FromMs(r.GetInt64(4))))));

    public Task SetMuteAsync(MuteRecord mute, CancellationToken cancellationToken = default)
    {
        Write(connection => Upsert(connection, "mutes", mute.Name, mute.By, mute.Reason, mute.CreatedAt, mute.ExpiresAt));
        return Task.CompletedTask;
    }

    public Task<bool> RemoveMuteAsync(string name, DateTime now, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection => Remove(connection, "mutes", name, now)));

    public Task<IReadOnlyList<MuteRecord>> ListMutesAsync(DateTime now, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<MuteRecord>>(Read(connection => ListActive(connection, "mutes", now,
            r => new MuteRecord(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), FromMs(r.GetInt64(3)), FromMs(r.GetInt64(4))))));

    public Task AppendModerationAsync(ModerationRecord entry, CancellationToken cancellationToken = default)
    {
        Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO moderation_log(id, ts, action, actor, target, room, message_id, expires_at, reason)
                VALUES ($id, $ts, $action, $actor, $target, $room, $message, $expires, $reason)
                """;
            command.Parameters.AddWithValue("$id", entry.Id);
            command.Parameters.AddWithValue("$ts", ToMs(entry.Timestamp));
            command.Parameters.AddWithValue("$action", entry.Action);
            command.Parameters.AddWithValue("$actor", entry.Actor);
            command.Parameters.AddWithValue("$target", entry.Target);
            command.Parameters.AddWithValue("$room", (object?)entry.Room ?? DBNull.Value);
            command.Parameters.AddWithValue("$message", (object?)entry.MessageId ?? DBNull.Value);
            command.Parameters.AddWithValue("$expires", entry.ExpiresAt is { } expires ? ToMs(expires) : DBNull.Value);
            command.Parameters.AddWithValue("$reason", (object?)entry.Reason ?? DBNull.Value);
            return command.ExecuteNonQuery();
        });
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ModerationRecord>> GetModerationLogAsync(string? beforeId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Task.FromResult(Read<IReadOnlyList<ModerationRecord>>(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            const string columns = "id, ts, action, actor, target, room, message_id, expires_at, reason";
            command.CommandText = beforeId is null
                ? $"SELECT {columns} FROM moderation_log ORDER BY id DESC LIMIT $limit"
                : $"SELECT {columns} FROM moderation_log WHERE id < $before ORDER BY id DESC LIMIT $limit";
            command.Parameters.AddWithValue("$limit", limit);
            if (beforeId is not null)
                command.Parameters.AddWithValue("$before", beforeId);
            using SqliteDataReader reader = command.ExecuteReader();
            var page = new List<ModerationRecord>(Math.Min(limit, 256));
            while (reader.Read())
                page.Add(new ModerationRecord(
                    Id: reader.GetString(0),
                    Timestamp: FromMs(reader.GetInt64(1)),
                    Action: reader.GetString(2),
                    Actor: reader.GetString(3),
                    Target: reader.GetString(4),
                    Room: reader.IsDBNull(5) ? null : reader.GetString(5),
                    MessageId: reader.IsDBNull(6) ? null : reader.GetString(6),
                    ExpiresAt: reader.IsDBNull(7) ? null : FromMs(reader.GetInt64(7)),
                    Reason: reader.IsDBNull(8) ? null : reader.GetString(8)));
            page.Reverse();
            return page;
        }));
    }

    // Bans and mutes have the same shape; the table names are constants of this class, never input.

    private static int Upsert(SqliteConnection connection, string table, string name, string by, string? reason, DateTime createdAt, DateTime? expiresAt)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO {table}(name_key, name, by_name, reason, created_at, expires_at)
            VALUES ($key, $name, $by, $reason, $created, $expires)
            ON CONFLICT(name_key) DO UPDATE SET name = excluded.name, by_name = excluded.by_name, reason = excluded.reason,
                created_at = excluded.created_at, expires_at = excluded.expires_at
            """;
        command.Parameters.AddWithValue("$key", Key(name));
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$by", by);
        command.Parameters.AddWithValue("$reason", (object?)reason ?? DBNull.Value);
        command.Parameters.AddWithValue("$created", ToMs(createdAt));
        command.Parameters.AddWithValue("$expires", expiresAt is { } expires ? ToMs(expires) : DBNull.Value);
        return command.ExecuteNonQuery();
    }

    private static bool Remove(SqliteConnection connection, string table, string name, DateTime now)
    {
        using SqliteCommand command = connection.CreateCommand();
        // An expired row is removed too, but does not count: it was no longer in force.
        command.CommandText = $"DELETE FROM {table} WHERE name_key = $key RETURNING expires_at IS NULL OR expires_at > $now";
        command.Parameters.AddWithValue("$key", Key(name));
        command.Parameters.AddWithValue("$now", ToMs(now));
        using SqliteDataReader reader = command.ExecuteReader();
        return reader.Read() && reader.GetInt64(0) != 0;
    }

    private static List<T> ListActive<T>(SqliteConnection connection, string table, DateTime now, Func<SqliteDataReader, T> read)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT name, by_name, reason, created_at, expires_at FROM {table}
            WHERE expires_at IS NULL OR expires_at > $now ORDER BY name_key
            """;
        command.Parameters.AddWithValue("$now", ToMs(now));
        using SqliteDataReader reader = command.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
            list.Add(read(reader));
        return list;
    }
}
