using System.Net;

namespace RawSocketChat.Chat.Accounts;

/// <summary>
/// The budget of failed logins per account and per client address. One of the chat's seams: today
/// <see cref="LoginThrottle"/>, one process's buckets; in a cluster, shared, or a guesser would get a fresh budget
/// on every node.
/// </summary>
public interface ILoginThrottle
{
    /// <summary>True when an attempt may be made; otherwise how long to wait.</summary>
    bool IsAllowed(string? accountKey, IPAddress client, long nowMs, out long retryAfterMs);

    void RecordFailure(string? accountKey, IPAddress client, long nowMs);

    /// <summary>A successful login forgets the account's failures.</summary>
    void RecordSuccess(string accountKey);

    /// <summary>Forgets what no longer matters (housekeeping, every few minutes).</summary>
    void Sweep(long nowMs);
}
