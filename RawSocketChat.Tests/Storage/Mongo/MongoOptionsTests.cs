using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MongoDB.Driver;
using RawSocketChat.Diagnostics;
using RawSocketChat.Hosting;
using RawSocketChat.Storage;
using RawSocketChat.Storage.Mongo;

namespace RawSocketChat.Tests.Storage.Mongo;

/// <summary>Offline: <c>--mongo</c> and its companions, and a clear start-up failure when MongoDB cannot be reached.</summary>
public sealed class MongoOptionsTests
{
    private static ServerOptions? Parse(Func<string, string?> environment, out string? error, params string[] args) =>
        ServerOptions.Parse(args, environment, out _, out error);

    [Fact]
    public void The_embedded_store_stays_the_default_and_mongo_is_chosen_by_option_or_environment()
    {
        ServerOptions defaults = Parse(_ => null, out _)!;
        Assert.Equal("", defaults.Mongo);
        Assert.Equal("majority", defaults.MongoWriteConcern);
        Assert.Equal(TimeSpan.FromSeconds(10), defaults.MongoTimeout);

        ServerOptions fromArgs = Parse(_ => null, out _, "--mongo", "mongodb://db1:27017,db2:27017/chat?replicaSet=rs0", "--mongo-write-concern", "2",
            "--mongo-timeout", "3s")!;
        Assert.Equal("mongodb://db1:27017,db2:27017/chat?replicaSet=rs0", fromArgs.Mongo);
        Assert.Equal("2", fromArgs.MongoWriteConcern);
        Assert.Equal(TimeSpan.FromSeconds(3), fromArgs.MongoTimeout);

        ServerOptions fromEnvironment = Parse(name => name == "RAWSOCKETCHAT_MONGO" ? "mongodb://localhost/rawsocketchat" : null, out _)!;
        Assert.Equal("mongodb://localhost/rawsocketchat", fromEnvironment.Mongo);
        Assert.Contains("--mongo ", ServerOptions.HelpText());
        Assert.Contains("RAWSOCKETCHAT_MONGO_WRITE_CONCERN", ServerOptions.HelpText());
    }

    [Theory]
    [InlineData("--mongo", "http://localhost")]
    [InlineData("--mongo", "mongodb://")]
    [InlineData("--mongo-write-concern", "0")]
    [InlineData("--mongo-write-concern", "all")]
    [InlineData("--mongo-timeout", "0s")]
    public void Bad_values_are_refused_naming_the_option(string option, string value)
    {
        Assert.Null(Parse(_ => null, out string? error, option, value));
        Assert.Contains(option, error);
    }

    [Fact]
    public void The_error_for_a_bad_connection_string_does_not_explain_with_the_password()
    {
        var error = Assert.Throws<ArgumentException>(() => MongoStoreOptions.ParseConnectionString("mongodb://alice:s3cret@host:notaport/db"));
        Assert.DoesNotContain("s3cret", error.Message);
    }

    [Fact]
    public void Writes_always_wait_for_the_journal()
    {
        WriteConcern majority = MongoStoreOptions.ParseWriteConcern("majority");
        Assert.Equal(new WriteConcern("majority", journal: true), majority);
        Assert.Equal("majority", MongoStoreOptions.FormatWriteConcern(majority));
        Assert.Equal(new WriteConcern(3, journal: true), MongoStoreOptions.ParseWriteConcern(" 3 "));
        Assert.Equal(new WriteConcern("majority", journal: true), new MongoStoreOptions { ConnectionString = "mongodb://h" }.WriteConcern);
    }

    [Theory]
    [InlineData("mongodb://alice:s3cret@db:27017/chat?authSource=admin", "mongodb://alice:***@db:27017/chat?authSource=admin")]
    [InlineData("mongodb://db:27017/chat", "mongodb://db:27017/chat")]
    [InlineData("mongodb://alice@db/chat", "mongodb://alice@db/chat")]
    [InlineData("mongodb+srv://bob:p%40ss%2Fw0rd@cluster0.example.net/?retryWrites=true", "mongodb+srv://bob:***@cluster0.example.net/?retryWrites=true")]
    [InlineData("mongodb://h1,h2:27018", "mongodb://h1,h2:27018")]
    [InlineData("not a uri://alice:s3cret@db", "not a uri://alice:***@db")]
    public void Connection_strings_in_logs_and_errors_have_no_password(string connectionString, string shown)
    {
        Assert.Equal(shown, MongoStoreOptions.Redact(connectionString));
    }

    [Fact]
    public void The_database_is_the_one_the_connection_string_names_or_rawsocketchat()
    {
        Assert.Equal("chat", new MongoStoreOptions { ConnectionString = "mongodb://db/chat" }.DatabaseName);
        Assert.Equal("rawsocketchat", new MongoStoreOptions { ConnectionString = "mongodb://db/?directConnection=true" }.DatabaseName);
    }

    [Fact]
    public async Task Start_up_fails_within_the_timeout_naming_the_server_without_its_password()
    {
        int port = FreePort(); // nothing listens there
        var options = new MongoStoreOptions
        {
            ConnectionString = $"mongodb://alice:s3cret@127.0.0.1:{port}/chat?directConnection=true",
            Timeout = TimeSpan.FromSeconds(1),
        };
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => MongoChatStore.OpenAsync(options));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(8));
        Assert.Contains($"mongodb://alice:***@127.0.0.1:{port}/chat", error.Message);
        Assert.Contains("within 1s", error.Message);
        Assert.DoesNotContain("s3cret", error.Message);
        Assert.DoesNotContain("s3cret", error.ToString());
    }

    [Fact]
    public async Task The_server_does_not_start_when_mongodb_is_unreachable()
    {
        int port = FreePort();
        var options = new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            Mongo = $"mongodb://127.0.0.1:{port}/chat?directConnection=true",
            MongoTimeout = TimeSpan.FromSeconds(1),
            LogLevel = RawSocketChat.Diagnostics.LogLevel.None,
        };
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => App.StartAsync(options, new Log(options.LogLevel, TextWriter.Null)));
        Assert.Contains($"127.0.0.1:{port}", error.Message);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
