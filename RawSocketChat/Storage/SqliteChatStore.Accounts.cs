using Microsoft.Data.Sqlite;

namespace RawSocketChat.Storage;

/// <summary>
/// Accounts: registered users and their sessions (only the SHA-256 of a session token is stored). Sessions are here
/// rather than in a file of their own because each belongs to a user: it is stored under the user's key and read
/// joined to the user's row, for the spelling of the name.
/// </summary>
public sealed partial class SqliteChatStore
{
    // ---- Users ----

    public Task<bool> CreateUserAsync(UserRecord user, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO users(name_key, name, password_hash, color, role, created_at)
                SELECT $key, $name, $hash, $color, $role, $created
                WHERE NOT EXISTS (SELECT 1 FROM retired_names WHERE name_key = $key)
                ON CONFLICT(name_key) DO NOTHING
                """;
            command.Parameters.AddWithValue("$key", Key(user.Name));
            command.Parameters.AddWithValue("$name", user.Name);
            command.Parameters.AddWithValue("$hash", user.PasswordHash);
            command.Parameters.AddWithValue("$color", user.Color);
            command.Parameters.AddWithValue("$role", user.Role.ToWire());
            command.Parameters.AddWithValue("$created", ToMs(user.CreatedAt));
            return command.ExecuteNonQuery() == 1;
        }));

    public Task<UserRecord?> FindUserAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT name, password_hash, color, role, created_at FROM users WHERE name_key = $key";
            command.Parameters.AddWithValue("$key", Key(name));
            using SqliteDataReader reader = command.ExecuteReader();
            return reader.Read()
                ? new UserRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), RoleNames.Parse(reader.GetString(3)), FromMs(reader.GetInt64(4)))
                : null;
        }));

    public Task<AccountDeletion?> DeleteUserAsync(string name, DateTime deletedAt, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write<AccountDeletion?>(connection =>
        {
            using SqliteTransaction transaction = connection.BeginTransaction();
            string? spelling = ScalarOnUser(connection, transaction, "SELECT name FROM users WHERE name_key = $key", name) as string;
            if (spelling is null)
                return null;
            // The account's messages first, while their rows still say whose they are: reactions and mention rows go
            // with them, then each becomes an author's tombstone (the search index follows the text, by its trigger).
            // "room_key IN rooms" lets the (room_key, user_key, guest) index find them room by room: no scan of every
            // message for a rare operation, and no index of its own that every append would pay for.
            const string Mine = "room_key IN (SELECT name_key FROM rooms) AND user_key = $key AND guest = 0 AND deleted_at IS NULL";
            const string Own = "SELECT id FROM messages WHERE " + Mine;
            ExecuteOnUser(connection, transaction, $"DELETE FROM reactions WHERE message_id IN ({Own})", name);
            ExecuteOnUser(connection, transaction, $"DELETE FROM message_mentions WHERE message_id IN ({Own})", name);
            int messages = ExecuteOnUser(connection, transaction, $"UPDATE messages SET text = '', deleted_at = $at, mentions = NULL WHERE {Mine}", name, deletedAt);
            ExecuteOnUser(connection, transaction, "DELETE FROM reactions WHERE user_key = $key AND guest = 0", name);
            ExecuteOnUser(connection, transaction, "DELETE FROM read_positions WHERE user_key = $key", name);
            ExecuteOnUser(connection, transaction, "INSERT OR IGNORE INTO retired_names(name_key, name, retired_at) VALUES ($key, $name, $at)", name, deletedAt, spelling);
            // Sessions and memberships go with the row (ON DELETE CASCADE).
            ExecuteOnUser(connection, transaction, "DELETE FROM users WHERE name_key = $key", name);
            transaction.Commit();
            return new AccountDeletion(messages);
        }));

    public Task<bool> IsNameRetiredAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(connection => ScalarOnUser(connection, null, "SELECT 1 FROM retired_names WHERE name_key = $key", name) is not null));

    /// <summary>One statement on the user <paramref name="name"/> (<c>$key</c>; <c>$at</c> and <c>$name</c> when given); rows changed.</summary>
    private static int ExecuteOnUser(SqliteConnection connection, SqliteTransaction transaction, string sql, string name, DateTime? at = null, string? spelling = null)
    {
        using SqliteCommand command = CommandOnUser(connection, transaction, sql, name, at, spelling);
        return command.ExecuteNonQuery();
    }

    private static object? ScalarOnUser(SqliteConnection connection, SqliteTransaction? transaction, string sql, string name)
    {
        using SqliteCommand command = CommandOnUser(connection, transaction, sql, name, null, null);
        return command.ExecuteScalar();
    }

    private static SqliteCommand CommandOnUser(SqliteConnection connection, SqliteTransaction? transaction, string sql, string name, DateTime? at, string? spelling)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$key", Key(name));
        if (at is { } time)
            command.Parameters.AddWithValue("$at", ToMs(time));
        if (spelling is not null)
            command.Parameters.AddWithValue("$name", spelling);
        return command;
    }

    public Task<bool> SetUserRoleAsync(string name, Role role, CancellationToken cancellationToken = default) => SetUserColumn(name, "role", role.ToWire());

    public Task<bool> SetUserColorAsync(string name, string color, CancellationToken cancellationToken = default) => SetUserColumn(name, "color", color);

    public Task<bool> SetUserNameSpellingAsync(string name, string spelling, CancellationToken cancellationToken = default) => SetUserColumn(name, "name", spelling);

    public Task<bool> SetPasswordHashAsync(string name, string passwordHash, CancellationToken cancellationToken = default) =>
        SetUserColumn(name, "password_hash", passwordHash);

    /// <summary>Sets one column of a user's row; false when there is no such user. The column is ours, never input.</summary>
    private Task<bool> SetUserColumn(string name, string column, string value) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = $"UPDATE users SET {column} = $value WHERE name_key = $key";
            command.Parameters.AddWithValue("$value", value);
            command.Parameters.AddWithValue("$key", Key(name));
            return command.ExecuteNonQuery() == 1;
        }));

    // ---- Sessions ----

    public Task CreateSessionAsync(SessionRecord session, CancellationToken cancellationToken = default)
    {
        Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO sessions(token_hash, user_key, created_at, expires_at)
                VALUES ($hash, $user, $created, $expires)
                """;
            command.Parameters.AddWithValue("$hash", session.TokenHash);
            command.Parameters.AddWithValue("$user", Key(session.UserName));
            command.Parameters.AddWithValue("$created", ToMs(session.CreatedAt));
            command.Parameters.AddWithValue("$expires", ToMs(session.ExpiresAt));
            return command.ExecuteNonQuery();
        });
        return Task.CompletedTask;
    }

    public Task<SessionRecord?> FindSessionAsync(byte[] tokenHash, DateTime now, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """
                SELECT u.name, s.created_at, s.expires_at
                FROM sessions s JOIN users u ON u.name_key = s.user_key
                WHERE s.token_hash = $hash AND s.expires_at > $now
                """;
            command.Parameters.AddWithValue("$hash", tokenHash);
            command.Parameters.AddWithValue("$now", ToMs(now));
            using SqliteDataReader reader = command.ExecuteReader();
            return reader.Read()
                ? new SessionRecord(tokenHash, reader.GetString(0), FromMs(reader.GetInt64(1)), FromMs(reader.GetInt64(2)))
                : null;
        }));

    public Task<bool> DeleteSessionAsync(byte[] tokenHash, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "DELETE FROM sessions WHERE token_hash = $hash";
            command.Parameters.AddWithValue("$hash", tokenHash);
            return command.ExecuteNonQuery() == 1;
        }));

    public Task<int> DeleteUserSessionsAsync(string name, byte[]? keepTokenHash, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "DELETE FROM sessions WHERE user_key = $key AND token_hash IS NOT $keep";
            command.Parameters.AddWithValue("$key", Key(name));
            command.Parameters.AddWithValue("$keep", (object?)keepTokenHash ?? DBNull.Value);
            return command.ExecuteNonQuery();
        }));

    public Task<int> DeleteExpiredSessionsAsync(DateTime now, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "DELETE FROM sessions WHERE expires_at <= $now";
            command.Parameters.AddWithValue("$now", ToMs(now));
            return command.ExecuteNonQuery();
        }));
}
