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
/// <para>
/// <b>Files.</b> This file is the connection: opening the database (pragmas, migrations), the one writer and the
/// readers (<c>Write</c>, <c>Read</c>), disposal, and the conversions every query uses. Each area of
/// <see cref="IChatStore"/> has a file of its own, with its queries and the helpers only it uses:
/// <c>SqliteChatStore.Accounts.cs</c> (users, sessions), <c>.Rooms.cs</c> (rooms, memberships), <c>.Messages.cs</c>,
/// <c>.Reactions.cs</c>, <c>.Reading.cs</c> (read positions), <c>.Search.cs</c>, <c>.Moderation.cs</c> (bans, mutes, the log) and <c>.Stats.cs</c>. A new area
/// is a new file, and its tables a new step of <see cref="SqliteMigrations"/>. <see cref="Mongo.MongoChatStore"/> is
/// cut the same way.
/// </para>
/// </summary>
public sealed partial class SqliteChatStore : IChatStore
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
            // What the search index is fed (migration 10's triggers): only the writer writes messages, so only it needs it.
            _writer.CreateFunction("search_words", (string text) => SearchText.Index(text), isDeterministic: true);
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
