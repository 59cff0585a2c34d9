namespace RawSocketChat.Chat.RateLimits;

/// <summary>
/// The classic rate limiter: a bucket holds up to <c>capacity</c> tokens and gains <c>ratePerSecond</c> of them per
/// second; each action takes one, and an empty bucket refuses. It allows bursts up to the capacity and, over time,
/// exactly the rate. Time is passed in (milliseconds of a monotonic clock), so tests need no sleeping.
/// Not thread-safe: the owner serializes access.
/// </summary>
public sealed class TokenBucket
{
    private readonly double _perMs;
    private double _tokens;
    private long _lastMs;

    public TokenBucket(double ratePerSecond, double capacity, long nowMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        RatePerSecond = ratePerSecond;
        Capacity = capacity;
        _perMs = ratePerSecond / 1000;
        _tokens = capacity;
        _lastMs = nowMs;
    }

    public double RatePerSecond { get; }
    public double Capacity { get; }

    public double Available(long nowMs)
    {
        Refill(nowMs);
        return _tokens;
    }

    public bool IsFull(long nowMs) => Available(nowMs) >= Capacity;

    /// <summary>True when a token is there to take; otherwise how long until one will be.</summary>
    public bool CanTake(long nowMs, out long retryAfterMs)
    {
        Refill(nowMs);
        if (_tokens >= 1)
        {
            retryAfterMs = 0;
            return true;
        }
        // The epsilon keeps rounding noise (0.99999…) from adding a millisecond.
        retryAfterMs = Math.Max(1, (long)Math.Ceiling((1 - _tokens) / _perMs - 1e-6));
        return false;
    }

    /// <summary>Takes a token when there is one.</summary>
    public bool TryTake(long nowMs, out long retryAfterMs)
    {
        if (!CanTake(nowMs, out retryAfterMs))
            return false;
        _tokens -= 1;
        return true;
    }

    /// <summary>Takes a token if there is one, without refusing: for counting something that already happened.</summary>
    public void Drain(long nowMs)
    {
        Refill(nowMs);
        _tokens = Math.Max(0, _tokens - 1);
    }

    private void Refill(long nowMs)
    {
        long elapsed = nowMs - _lastMs;
        if (elapsed <= 0)
            return;
        _lastMs = nowMs;
        _tokens = Math.Min(Capacity, _tokens + elapsed * _perMs);
    }
}
