using System.Net;

namespace RawSocketChat.Chat.RateLimits;

/// <summary>
/// The message budget of each connection and each client address. One of the chat's seams: today
/// <see cref="MessageRateLimiter"/>, one process's buckets; in a cluster, the per-address bucket must be shared, or a
/// client could multiply its budget by spreading its connections over the nodes. A connection's flood score stays
/// with the connection, on the node that holds it.
/// </summary>
public interface IMessageRateLimiter
{
    /// <summary>A new connection's share, counted against its address.</summary>
    MessageRateLimiter.Allowance Open(IPAddress client, long nowMs);

    /// <summary>The connection is gone; its address keeps what it spent.</summary>
    void Close(MessageRateLimiter.Allowance allowance, long nowMs);

    /// <summary>Takes one message's worth, or refuses (and says whether the client is flooding).</summary>
    RateDecision TryTake(MessageRateLimiter.Allowance allowance, long nowMs);

    /// <summary>Forgets what no longer matters (housekeeping, every few minutes).</summary>
    void Sweep(long nowMs);
}
