using System.Globalization;
using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>
/// How to reach MongoDB and how durable a write must be before it returns (<c>--mongo</c>,
/// <c>--mongo-write-concern</c>, <c>--mongo-timeout</c>).
/// </summary>
public sealed record MongoStoreOptions
{
    /// <summary>The database used when the connection string names none.</summary>
    public const string DefaultDatabase = "rawsocketchat";

    /// <summary>The default <see cref="WriteConcern"/>, as <c>--mongo-write-concern</c> spells it (<see cref="ParseWriteConcern"/>).</summary>
    public const string DefaultWriteConcern = "majority";

    /// <summary>The default <see cref="Timeout"/>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary><c>mongodb://</c> or <c>mongodb+srv://</c>; the path names the database (default <see cref="DefaultDatabase"/>).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>
    /// Acknowledgement every write waits for: <c>majority</c> (default) or a number of members. Always with the
    /// journal (<c>j: true</c>), because the chat's <c>ack</c> promises the message survives a crash.
    /// </summary>
    public WriteConcern WriteConcern { get; init; } = new WriteConcern(DefaultWriteConcern, journal: true);

    /// <summary>
    /// How long start-up waits for the server, and how long an operation waits for a usable server (the driver's
    /// server-selection timeout) before it fails with <see cref="StoreUnavailableException"/>.
    /// </summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>
    /// Whether the TTL indexes (sessions, bans, mutes) are created. Always in production; the conformance suite turns
    /// them off against a real server, whose TTL monitor would otherwise delete its fixed-date fixtures mid-test once
    /// the wall clock passes them. Reads check expiry themselves, so the store's answers do not depend on TTL.
    /// </summary>
    internal bool CreateTtlIndexes { get; init; } = true;

    /// <summary>
    /// Checks a connection string as <c>--mongo</c> is read, so a typo is reported before start-up. The message
    /// never repeats the password.
    /// </summary>
    public static MongoUrl ParseConnectionString(string value)
    {
        try
        {
            return MongoUrl.Create(value);
        }
        catch (Exception e) when (e is MongoConfigurationException or FormatException or ArgumentException)
        {
            throw new ArgumentException($"not a MongoDB connection string ({e.GetType().Name})");
        }
    }

    /// <summary><c>majority</c> or a member count 1–50, always journaled.</summary>
    public static WriteConcern ParseWriteConcern(string value)
    {
        value = value.Trim();
        if (value.Equals("majority", StringComparison.OrdinalIgnoreCase))
            return new WriteConcern("majority", journal: true);
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int members) && members is >= 1 and <= 50)
            return new WriteConcern(members, journal: true);
        throw new ArgumentException("must be 'majority' or a number of members from 1 to 50 (writes always wait for the journal)");
    }

    /// <summary>The form shown by <c>--help</c> and in logs: <c>majority</c> or the member count.</summary>
    public static string FormatWriteConcern(WriteConcern concern) => concern.W switch
    {
        WriteConcern.WCount count => count.Value.ToString(CultureInfo.InvariantCulture),
        WriteConcern.WMode mode => mode.Value,
        _ => concern.ToString(),
    };

    /// <summary>
    /// The connection string without its password — <c>mongodb://user:***@host:port/db?options</c> — and otherwise as
    /// given, for log lines and error messages. Plain text work, so it also redacts a string the driver cannot parse.
    /// </summary>
    public static string Redact(string connectionString)
    {
        int scheme = connectionString.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
            return connectionString;
        int start = scheme + 3;
        // The user information ends at the last '@' before the path ('@', ':' and '/' in a password must be %-encoded).
        int slash = connectionString.IndexOf('/', start);
        int end = slash < 0 ? connectionString.Length : slash;
        int at = end > start ? connectionString.LastIndexOf('@', end - 1, end - start) : -1;
        if (at < 0)
            return connectionString;
        int colon = connectionString.IndexOf(':', start, at - start);
        return colon < 0 ? connectionString : connectionString[..(colon + 1)] + "***" + connectionString[at..];
    }

    /// <summary>The database named by the connection string, or <see cref="DefaultDatabase"/>.</summary>
    public string DatabaseName => MongoUrl.Create(ConnectionString).DatabaseName is { Length: > 0 } name ? name : DefaultDatabase;
}
