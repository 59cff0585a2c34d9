using RawSocketChat.Storage;
using RawSocketChat.Storage.Mongo;

namespace RawSocketChat.Tests.Storage.Mongo;

/// <summary>
/// The store conformance suite against MongoDB through the official driver: the in-memory server on CI, a real
/// MongoDB when <c>RAWSOCKETCHAT_TEST_MONGODB</c> names one (see <see cref="MongoTestServer"/>). Every test gets a
/// fresh database, dropped afterwards; reopening opens a new client on the same database.
/// </summary>
public sealed class MongoStoreConformanceTests : StoreConformanceTests
{
    private string? _connectionString;
    private readonly string _database = MongoTestServer.NewDatabaseName();

    protected override async Task<IChatStore> CreateStoreAsync()
    {
        _connectionString = MongoTestServer.Require();
        return await MongoChatStore.OpenAsync(Options());
    }

    /// <summary>
    /// Without TTL indexes: the suite's fixtures have fixed dates, and a real server's TTL monitor would delete those
    /// already past while a test runs. The store never relies on TTL for its answers (MongoStoreTests checks the
    /// indexes exist by default).
    /// </summary>
    private MongoStoreOptions Options() => MongoTestServer.Options(_connectionString!, _database) with { CreateTtlIndexes = false };

    protected override bool CanReopen => true;

    protected override async Task<IChatStore> ReopenAsync(IChatStore closed) =>
        await MongoChatStore.OpenAsync(Options());

    protected override async Task CleanupAsync()
    {
        if (_connectionString is not null)
            await MongoTestServer.DropAsync(_connectionString, _database);
    }
}
