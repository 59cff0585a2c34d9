using MongoDB.Driver;
using RawSocketChat.Storage.Mongo;

namespace RawSocketChat.Tests.Storage.Mongo;

/// <summary>
/// Which MongoDB the tests talk to, through the real driver:
/// <list type="bullet">
/// <item><c>RAWSOCKETCHAT_TEST_MONGODB</c>: a real MongoDB server (a replica set member or a standalone). Everything
/// runs, including the tests that need unique-index enforcement.</item>
/// <item><c>RAWSOCKETCHAT_TEST_CONGODB</c>: the wire-compatible in-memory server of <c>mongo-test/</c> that
/// <c>.ci/run</c> starts. It does not enforce unique indexes, so the tests marked
/// <c>[Trait("Requires", "RealMongoDB")]</c> are skipped against it, with that reason.</item>
/// <item>Neither: every MongoDB test is skipped, visibly — except on CI (<c>CI</c> set), where the in-memory server
/// is expected and its absence fails the tests.</item>
/// </list>
/// Each store test works in a database of its own (<c>rsc_test_…</c>) that it drops afterwards.
/// </summary>
public static class MongoTestServer
{
    public const string RealVariable = "RAWSOCKETCHAT_TEST_MONGODB";
    public const string InMemoryVariable = "RAWSOCKETCHAT_TEST_CONGODB";

    /// <summary>The trait on tests that only a real MongoDB can pass.</summary>
    public const string RequiresTrait = "Requires";
    public const string RealMongoDB = "RealMongoDB";

    public static string? RealConnectionString => Value(RealVariable);
    public static string? InMemoryConnectionString => Value(InMemoryVariable);

    /// <summary>The server to use (a real one if both are set), or null.</summary>
    public static string? ConnectionString => RealConnectionString ?? InMemoryConnectionString;

    public static bool IsReal => RealConnectionString is not null;

    /// <summary>Skips the calling test when no server is configured (fails on CI, where one is expected).</summary>
    public static string Require()
    {
        if (ConnectionString is { } connectionString)
            return connectionString;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Assert.Fail($"CI is set but neither {InMemoryVariable} nor {RealVariable} is: .ci/run starts the in-memory server " +
                "(node mongo-test/start.mjs) and exports its connection string; the MongoDB store must be tested on CI.");
        Skip.If(true, $"no MongoDB to test against: set {RealVariable} (a real server) or {InMemoryVariable} " +
            "(node mongo-test/start.mjs 0 ready; see docs/storage.md)");
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Skips the calling test unless a real MongoDB is configured: the in-memory server lacks what it checks.</summary>
    public static string RequireReal(string why)
    {
        string connectionString = Require();
        Skip.IfNot(IsReal, $"needs a real MongoDB ({RealVariable}): the in-memory test server {why}");
        return connectionString;
    }

    /// <summary>The connection string pointed at <paramref name="database"/>, keeping any credentials' auth database.</summary>
    public static string WithDatabase(string connectionString, string database)
    {
        var builder = new MongoUrlBuilder(connectionString);
        if (builder.Username is not null && builder.AuthenticationSource is null)
            builder.AuthenticationSource = builder.DatabaseName ?? "admin";
        builder.DatabaseName = database;
        return builder.ToString();
    }

    public static string NewDatabaseName() => "rsc_test_" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>Store options for a test database, with short timeouts.</summary>
    public static MongoStoreOptions Options(string connectionString, string database, TimeSpan? timeout = null) => new()
    {
        ConnectionString = WithDatabase(connectionString, database),
        Timeout = timeout ?? TimeSpan.FromSeconds(10),
    };

    /// <summary>Drops a test database; best effort (the server may be the one a test stopped).</summary>
    public static async Task DropAsync(string connectionString, string database)
    {
        var settings = MongoClientSettings.FromConnectionString(connectionString);
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(5);
        using var client = new MongoClient(settings);
        try
        {
            await client.DropDatabaseAsync(database);
        }
        catch (Exception e) when (MongoErrors.IsUnavailable(e))
        {
        }
    }

    private static string? Value(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
