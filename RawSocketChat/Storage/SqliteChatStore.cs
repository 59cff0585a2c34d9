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
                results[i] = new AppendResult(m with { Timestamp = Truncate(m.Timestamp), EditedAt = null, DeletedAt = null, DeletedByModerator = null }, Duplicate: false);
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

    public Task<MessageRecord?> FindMessageAsync(string id, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(connection => FindMessage(connection, null, id)));

    public Task<MessageRecord?> EditMessageAsync(string id, string text, DateTime editedAt, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteTransaction transaction = connection.BeginTransaction();
            using SqliteCommand command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "UPDATE messages SET text = $text, edited_at = $at WHERE id = $id AND deleted_at IS NULL";
            command.Parameters.AddWithValue("$text", text);
            command.Parameters.AddWithValue("$at", ToMs(editedAt));
            command.Parameters.AddWithValue("$id", id);
            MessageRecord? edited = command.ExecuteNonQuery() == 1 ? FindMessage(connection, transaction, id) : null;
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
                UPDATE messages SET text = '', deleted_at = $at, deleted_by_moderator = $moderator
                WHERE id = $id AND deleted_at IS NULL
                """;
            command.Parameters.AddWithValue("$at", ToMs(deletedAt));
            command.Parameters.AddWithValue("$moderator", (object?)moderator ?? DBNull.Value);
            command.Parameters.AddWithValue("$id", id);
            MessageRecord? deleted = command.ExecuteNonQuery() == 1 ? FindMessage(connection, transaction, id) : null;
            transaction.Commit();
            return deleted;
        }));

    // ---- Moderation ----

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

    // ---- Statistics ----

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

    private const string MessageColumns = "id, room, user_name, color, text, ts, ref, guest, edited_at, deleted_at, deleted_by_moderator";

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
        DeletedByModerator: reader.IsDBNull(10) ? null : reader.GetString(10));

    private static MessageRecord? FindMessage(SqliteConnection connection, SqliteTransaction? transaction, string id)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {MessageColumns} FROM messages WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using SqliteDataReader reader = command.ExecuteReader();
        return reader.Read() ? ReadMessage(reader) : null;
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
