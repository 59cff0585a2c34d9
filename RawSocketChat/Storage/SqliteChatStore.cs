using Microsoft.Data.Sqlite;

namespace RawSocketChat.Storage;

/// <summary>
/// The embedded store: one SQLite file (<c>--data</c>), created with its schema on first run.
/// <para>
/// <b>Durability.</b> The file is in WAL mode with <c>synchronous=FULL</c>: every commit is fsynced before it
/// returns, so a message that was acknowledged survives a crash or a power cut. NORMAL would be safe against a
/// process crash only, and our promise is "acked means stored". The cost, one fsync per commit, is paid once per
/// batch of messages (<see cref="MessageWriter"/>), not once per message.
/// </para>
/// <para>
/// <b>Connections.</b> All writes go through one connection, one at a time — SQLite allows a single writer anyway,
/// and queueing in our process is cheaper than retrying on SQLITE_BUSY. Reads open pooled connections of their own,
/// which WAL lets run while a write is in progress. An in-memory database (tests, <see cref="OpenInMemory"/>) is one
/// shared-cache connection kept open for the store's lifetime, used for reads too.
/// </para>
/// <para>
/// Microsoft.Data.Sqlite has no real asynchronous I/O, so the methods complete synchronously; callers that must not
/// wait on the disk (the socket loops) hand message writes to <see cref="MessageWriter"/>.
/// </para>
/// </summary>
public sealed class SqliteChatStore : IChatStore
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly object _writeLock = new();
    private readonly bool _readsOnWriter;
    private bool _disposed;

    private SqliteChatStore(string connectionString, bool inMemory)
    {
        _connectionString = connectionString;
        _readsOnWriter = inMemory;
        _writer = new SqliteConnection(connectionString);
        try
        {
            _writer.Open();
            if (!inMemory)
            {
                // WAL: readers do not block the writer nor the writer readers; the setting is kept in the file.
                string mode = Scalar<string>(_writer, "PRAGMA journal_mode=WAL");
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"cannot switch the database to WAL mode (got '{mode}')");
            }
            Execute(_writer, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
            AppliedMigrations = SqliteMigrations.Apply(_writer);
        }
        catch
        {
            _writer.Dispose();
            SqliteConnection.ClearPool(_writer);
            throw;
        }
    }

    /// <summary>The schema versions this open applied (empty when the database was already current).</summary>
    public IReadOnlyList<int> AppliedMigrations { get; }

    /// <summary>Opens (creating when missing) the database file and its folder.</summary>
    public static SqliteChatStore OpenFile(string path)
    {
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder))
            Directory.CreateDirectory(folder);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30, // seconds a command waits on a lock (SQLITE_BUSY) before failing
        };
        return new SqliteChatStore(builder.ToString(), inMemory: false);
    }

    /// <summary>A private in-memory database that lives as long as the store (nothing survives disposal).</summary>
    public static SqliteChatStore OpenInMemory(string? name = null)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = name ?? "rawsocketchat-" + Guid.NewGuid().ToString("N"),
            Mode = SqliteOpenMode.Memory,
            Cache = SqliteCacheMode.Shared,
            Pooling = false,
        };
        return new SqliteChatStore(builder.ToString(), inMemory: true);
    }

    // ---- Users ----

    public Task<bool> CreateUserAsync(UserRecord user, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO users(name_key, name, password_hash, color, role, created_at)
                VALUES ($key, $name, $hash, $color, $role, $created)
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

    public Task<bool> SetUserRoleAsync(string name, Role role, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "UPDATE users SET role = $role WHERE name_key = $key";
            command.Parameters.AddWithValue("$role", role.ToWire());
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

    public Task<int> DeleteExpiredSessionsAsync(DateTime now, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "DELETE FROM sessions WHERE expires_at <= $now";
            command.Parameters.AddWithValue("$now", ToMs(now));
            return command.ExecuteNonQuery();
        }));

    // ---- Rooms ----

    public Task<bool> CreateRoomAsync(RoomRecord room, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO rooms(name_key, name, created_by, created_at) VALUES ($key, $name, $by, $created)
                ON CONFLICT(name_key) DO NOTHING
                """;
            command.Parameters.AddWithValue("$key", Key(room.Name));
            command.Parameters.AddWithValue("$name", room.Name);
            command.Parameters.AddWithValue("$by", (object?)room.CreatedBy ?? DBNull.Value);
            command.Parameters.AddWithValue("$created", ToMs(room.CreatedAt));
            return command.ExecuteNonQuery() == 1;
        }));

    public Task<RoomRecord?> FindRoomAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT name, created_by, created_at FROM rooms WHERE name_key = $key";
            command.Parameters.AddWithValue("$key", Key(name));
            using SqliteDataReader reader = command.ExecuteReader();
            return reader.Read() ? ReadRoom(reader) : null;
        }));

    public Task<IReadOnlyList<RoomRecord>> ListRoomsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Read<IReadOnlyList<RoomRecord>>(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT name, created_by, created_at FROM rooms ORDER BY name_key";
            using SqliteDataReader reader = command.ExecuteReader();
            var rooms = new List<RoomRecord>();
            while (reader.Read())
                rooms.Add(ReadRoom(reader));
            return rooms;
        }));

    public Task<bool> AddRoomMemberAsync(string room, string user, DateTime joinedAt, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO room_members(room_key, user_key, joined_at) VALUES ($room, $user, $at)
                ON CONFLICT(room_key, user_key) DO NOTHING
                """;
            command.Parameters.AddWithValue("$room", Key(room));
            command.Parameters.AddWithValue("$user", Key(user));
            command.Parameters.AddWithValue("$at", ToMs(joinedAt));
            return command.ExecuteNonQuery() == 1;
        }));

    public Task<bool> RemoveRoomMemberAsync(string room, string user, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "DELETE FROM room_members WHERE room_key = $room AND user_key = $user";
            command.Parameters.AddWithValue("$room", Key(room));
            command.Parameters.AddWithValue("$user", Key(user));
            return command.ExecuteNonQuery() == 1;
        }));

    public Task<IReadOnlyList<RoomMemberRecord>> ListRoomMembersAsync(string room, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read<IReadOnlyList<RoomMemberRecord>>(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """
                SELECT u.name, u.color, u.role
                FROM room_members m JOIN users u ON u.name_key = m.user_key
                WHERE m.room_key = $room
                ORDER BY u.name_key
                """;
            command.Parameters.AddWithValue("$room", Key(room));
            using SqliteDataReader reader = command.ExecuteReader();
            var members = new List<RoomMemberRecord>();
            while (reader.Read())
                members.Add(new RoomMemberRecord(reader.GetString(0), reader.GetString(1), RoleNames.Parse(reader.GetString(2))));
            return members;
        }));

    // ---- Messages ----

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
                INSERT INTO messages(id, room_key, room, user_key, user_name, guest, color, text, ts, ref)
                VALUES ($id, $room_key, $room, $user_key, $user_name, $guest, $color, $text, $ts, $ref)
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
                        results[i] = new AppendResult(ReadMessage(reader), Duplicate: true);
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
                insert.ExecuteNonQuery();
                results[i] = new AppendResult(m with { Timestamp = Truncate(m.Timestamp) }, Duplicate: false);
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
            return page;
        }));
    }

    public Task<string?> GetLatestMessageIdAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT MAX(id) FROM messages";
            return command.ExecuteScalar() as string;
        }));

    public ValueTask DisposeAsync()
    {
        lock (_writeLock)
        {
            if (_disposed)
                return ValueTask.CompletedTask;
            _disposed = true;
            if (!_readsOnWriter)
            {
                // Fold the WAL back into the main file, so a stopped server leaves one self-contained file.
                try { Execute(_writer, "PRAGMA wal_checkpoint(TRUNCATE)"); }
                catch (SqliteException) { }
            }
            _writer.Dispose();
            // Pooled reader connections keep the file open; release them so the file can be moved or deleted.
            SqliteConnection.ClearPool(_writer);
        }
        return ValueTask.CompletedTask;
    }

    // ---- Plumbing ----

    private const string MessageColumns = "id, room, user_name, color, text, ts, ref, guest";

    private static MessageRecord ReadMessage(SqliteDataReader reader) => new(
        Id: reader.GetString(0),
        Room: reader.GetString(1),
        User: reader.GetString(2),
        Color: reader.GetString(3),
        Text: reader.GetString(4),
        Timestamp: FromMs(reader.GetInt64(5)),
        Ref: reader.IsDBNull(6) ? null : reader.GetString(6),
        Guest: reader.GetInt64(7) != 0);

    private static RoomRecord ReadRoom(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), FromMs(reader.GetInt64(2)));

    private T Write<T>(Func<SqliteConnection, T> work)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return work(_writer);
        }
    }

    private T Read<T>(Func<SqliteConnection, T> work)
    {
        if (_readsOnWriter)
            return Write(work);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return work(connection);
    }

    /// <summary>Names are ASCII by the name rules, so lower-casing them is the whole of "ignoring case".</summary>
    private static string Key(string name) => name.ToLowerInvariant();

    private static long ToMs(DateTime time) =>
        new DateTimeOffset(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime()).ToUnixTimeMilliseconds();

    private static DateTime FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;

    private static DateTime Truncate(DateTime time) => FromMs(ToMs(time));

    private static T Scalar<T>(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
