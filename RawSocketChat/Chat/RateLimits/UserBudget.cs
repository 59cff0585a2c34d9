namespace RawSocketChat.Chat.RateLimits;

/// <summary>
/// A token bucket per user key for one costly kind of command (search), shared by all of the user's connections, so
/// that opening more of them buys no more. A bucket that has refilled holds nothing worth keeping: <see cref="Sweep"/>
/// forgets it, which bounds the table by the users active within a refill time.
/// </summary>
public sealed class UserBudget(double ratePerSecond, int burst)
{
    private readonly Dictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>True when the user may go ahead now; otherwise how long until they may.</summary>
    public bool TryTake(string userKey, long nowMs, out long retryAfterMs)
    {
        lock (_buckets)
        {
            if (!_buckets.TryGetValue(userKey, out TokenBucket? bucket))
                _buckets.Add(userKey, bucket = new TokenBucket(ratePerSecond, burst, nowMs));
            return bucket.TryTake(nowMs, out retryAfterMs);
        }
    }

    public void Sweep(long nowMs)
    {
        lock (_buckets)
        {
            foreach ((string key, TokenBucket bucket) in _buckets)
                if (bucket.IsFull(nowMs))
                    _buckets.Remove(key);
        }
    }
}
