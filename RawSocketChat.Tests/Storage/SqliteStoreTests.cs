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
