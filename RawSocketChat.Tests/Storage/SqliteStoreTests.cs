using Microsoft.Data.Sqlite;
using RawSocketChat.Storage;

namespace RawSocketChat.Tests.Storage;

/// <summary>The conformance suite against a SQLite file, plus what only the file store promises (WAL, migrations).</summary>
public sealed class SqliteFileStoreTests : StoreConformanceTests
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "rawsocketchat-tests", Guid.NewGuid().ToString("N"));

    private string DatabasePath => Path.Combine(_folder, "nested", "chat.db");

    protected override Task<IChatStore> CreateStoreAsync() => Task.FromResult<IChatStore>(SqliteChatStore.OpenFile(DatabasePath));

    protected override bool CanReopen => true;

    protected override Task<IChatStore> ReopenAsync(IChatStore closed) => CreateStoreAsync();

    protected override Task CleanupAsync()
    {
        try
        {
            if (Directory.Exists(_folder))
                Directory.Delete(_folder, recursive: true);
        }
        catch (IOException) { }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_file_is_created_with_its_folder_in_wal_mode_with_every_migration_applied_once()
    {
        Assert.True(File.Exists(DatabasePath));
        var store = (SqliteChatStore)Store;
        Assert.Equal(SqliteMigrationsVersions(), store.AppliedMigrations);

        await using (var reader = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            reader.Open();
            using SqliteCommand mode = reader.CreateCommand();
            mode.CommandText = "PRAGMA journal_mode";
            Assert.Equal("wal", (string)mode.ExecuteScalar()!);
            using SqliteCommand versions = reader.CreateCommand();
            versions.CommandText = "SELECT COUNT(*) FROM schema_migrations";
            Assert.Equal((long)SqliteMigrationsVersions().Count, (long)versions.ExecuteScalar()!);
        }

        await Store.DisposeAsync();
        var reopened = SqliteChatStore.OpenFile(DatabasePath);
        Assert.Empty(reopened.AppliedMigrations);
        await reopened.DisposeAsync();
        // The suite's teardown disposes Store again: disposal must be idempotent.
    }

    [Fact]
    public async Task A_database_from_a_newer_server_is_refused()
    {
        await Store.DisposeAsync();
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_migrations(version, name, applied_at) VALUES (999, 'future', 0)";
            command.ExecuteNonQuery();
        }
        var error = Assert.Throws<InvalidOperationException>(() => SqliteChatStore.OpenFile(DatabasePath));
        Assert.Contains("999", error.Message);
    }

    /// <summary>
    /// A file made by the server before version 3 (schema 1 and 2, tombstones of both kinds, the audit log) opens, is
    /// migrated, and its tombstones then say who deleted them: the log's moderator where the log has the delete.
    /// </summary>
    [Fact]
    public async Task A_version_2_database_is_migrated_and_its_tombstones_learn_from_the_log_who_deleted_them()
    {
        string path = Path.Combine(_folder, "v2.db");
        Directory.CreateDirectory(_folder);
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            Run(connection, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
            foreach (SqliteMigrations.Migration migration in SqliteMigrations.All.Where(m => m.Version <= 2))
            {
                Run(connection, migration.Sql);
                Run(connection, $"INSERT INTO schema_migrations(version, name, applied_at) VALUES ({migration.Version}, '{migration.Name}', 0)");
            }
            // What the version 2 server wrote: a live message, an author's tombstone, a moderator's with its log entry.
            Run(connection, """
                INSERT INTO messages(id, room_key, room, user_key, user_name, guest, color, text, ts, ref, edited_at, deleted_at) VALUES
                    ('6b0954a000000000000000a1', 'lobby', 'lobby', 'alice', 'alice', 0, '#000000', 'still here', 1000, NULL, NULL, NULL),
                    ('6b0954a000000000000000a2', 'lobby', 'lobby', 'alice', 'alice', 0, '#000000', '', 2000, 'r1', NULL, 5000),
                    ('6b0954a000000000000000a3', 'lobby', 'lobby', 'bob', 'bob', 1, '#000000', '', 3000, NULL, NULL, 6000);
                INSERT INTO moderation_log(id, ts, action, actor, target, room, message_id) VALUES
                    ('6b0954a000000000000000b1', 6000, 'delete', 'mod', 'bob', 'lobby', '6b0954a000000000000000a3'),
                    ('6b0954a000000000000000b2', 7000, 'kick', 'mod', 'bob', 'lobby', NULL);
                """);
        }

        await using (var migrated = SqliteChatStore.OpenFile(path))
        {
            Assert.Equal(SqliteMigrationsVersions().Where(v => v > 2), migrated.AppliedMigrations);
            IReadOnlyList<MessageRecord> page = await migrated.GetMessagesAsync("lobby", null, 10);
            Assert.Equal([(false, null), (true, null), (true, "mod")], page.Select(m => (m.Deleted, m.DeletedByModerator)));
            Assert.Equal("still here", page[0].Text);
            Assert.Equal("r1", page[1].Ref);
            // Migration 10 indexed what was there, and what comes after lands behind it in the index's order.
            SearchQuery here = SearchQuery.Parse("here", 8, out _)!;
            Assert.Equal(["still here"], (await migrated.SearchMessagesAsync(here, ["lobby"], null, null, 10)).Select(m => m.Text));
            await migrated.AppendMessagesAsync([new MessageRecord("6b0954a000000000000000c1", "lobby", "alice", "#000000", "here too", DateTime.UtcNow)]);
            Assert.Equal(["here too", "still here"], (await migrated.SearchMessagesAsync(here, ["lobby"], null, null, 10)).Select(m => m.Text));
        }
    }

    private static void Run(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static IReadOnlyList<int> SqliteMigrationsVersions() => SqliteMigrations.All.Select(m => m.Version).ToList();
}

/// <summary>The conformance suite against a private in-memory SQLite database.</summary>
public sealed class SqliteInMemoryStoreTests : StoreConformanceTests
{
    protected override Task<IChatStore> CreateStoreAsync() => Task.FromResult<IChatStore>(SqliteChatStore.OpenInMemory());

    [Fact]
    public async Task Two_in_memory_stores_are_independent()
    {
        await using SqliteChatStore other = SqliteChatStore.OpenInMemory();
        await Store.CreateRoomAsync(new RoomRecord("lobby", null, T0));
        Assert.Empty(await other.ListRoomsAsync());
    }
}
