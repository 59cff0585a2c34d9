using System.Net;
using RawSocketChat.Chat.Accounts;
using RawSocketChat.Chat.RateLimits;

namespace RawSocketChat.Tests.Chat;

public sealed class TokenBucketTests
{
    [Fact]
    public void Allows_a_burst_then_exactly_the_rate()
    {
        var bucket = new TokenBucket(ratePerSecond: 5, capacity: 10, nowMs: 0);
        for (int i = 0; i < 10; i++)
            Assert.True(bucket.TryTake(0, out _));
        Assert.False(bucket.TryTake(0, out long wait));
        Assert.Equal(200, wait);
        Assert.False(bucket.TryTake(199, out wait));
        Assert.Equal(1, wait);
        Assert.True(bucket.TryTake(200, out _));

        // Over a minute of steady pressure: the rate, no more.
        int allowed = 0;
        for (long t = 200; t <= 60_200; t += 10)
            if (bucket.TryTake(t, out _)) allowed++;
        Assert.InRange(allowed, 299, 301);
    }

    [Fact]
    public void Never_holds_more_than_its_capacity_and_ignores_time_going_backwards()
    {
        var bucket = new TokenBucket(5, 10, 0);
        Assert.Equal(10, bucket.Available(1_000_000));
        Assert.True(bucket.IsFull(1_000_000));
        bucket.TryTake(1_000_000, out _);
        Assert.Equal(9, bucket.Available(500)); // a clock that went back adds nothing
        bucket.Drain(1_000_000);
        Assert.Equal(8, bucket.Available(1_000_000), 3);
    }
}

public sealed class MessageRateLimiterTests
{
    private static readonly IPAddress Ip = IPAddress.Parse("203.0.113.7");

    [Fact]
    public void A_connection_over_its_rate_is_refused_with_a_retry_hint()
    {
        var limiter = new MessageRateLimiter(rate: 5, burst: 10, ipRate: 100, ipBurst: 100, TimeSpan.FromSeconds(10));
        MessageRateLimiter.Allowance a = limiter.Open(Ip, 0);
        for (int i = 0; i < 10; i++)
            Assert.True(limiter.TryTake(a, 0).Allowed);
        RateDecision refused = limiter.TryTake(a, 0);
        Assert.False(refused.Allowed);
        Assert.Equal(200, refused.RetryAfterMs);
        Assert.False(refused.Flooding);
    }

    [Fact]
    public void Connections_from_one_address_share_its_allowance_others_do_not()
    {
        var limiter = new MessageRateLimiter(rate: 100, burst: 100, ipRate: 1, ipBurst: 10, TimeSpan.FromSeconds(10));
        var sockets = Enumerable.Range(0, 5).Select(_ => limiter.Open(Ip, 0)).ToList();
        int allowed = sockets.Sum(s => Enumerable.Range(0, 10).Count(_ => limiter.TryTake(s, 0).Allowed));
        Assert.Equal(10, allowed);

        MessageRateLimiter.Allowance elsewhere = limiter.Open(IPAddress.Parse("198.51.100.1"), 0);
        Assert.True(limiter.TryTake(elsewhere, 0).Allowed);
    }

    [Theory]
    [InlineData(3.0, true)]   // three times the rate: closed after about the flood window
    [InlineData(10.0, true)]
    [InlineData(2.0, false)]  // twice the rate: refused half the time, but never closed
    [InlineData(1.0, false)]
    public void Only_a_sustained_flood_is_reported(double timesTheRate, bool closes)
    {
        const double rate = 5;
        var limiter = new MessageRateLimiter(rate, burst: 10, ipRate: 1000, ipBurst: 1000, TimeSpan.FromSeconds(10));
        MessageRateLimiter.Allowance a = limiter.Open(Ip, 0);
        double intervalMs = 1000 / (rate * timesTheRate);
        long? floodedAt = null;
        for (double t = 0; t < 60_000 && floodedAt is null; t += intervalMs)
            if (limiter.TryTake(a, (long)t).Flooding)
                floodedAt = (long)t;
        if (closes)
        {
            Assert.NotNull(floodedAt);
            if (timesTheRate == 3.0)
                Assert.InRange(floodedAt.Value, 8_000, 14_000);
        }
        else
            Assert.Null(floodedAt);
    }

    [Fact]
    public void Addresses_are_forgotten_only_when_idle_and_refilled()
    {
        var limiter = new MessageRateLimiter(rate: 5, burst: 10, ipRate: 1, ipBurst: 2, TimeSpan.FromSeconds(10));
        MessageRateLimiter.Allowance a = limiter.Open(Ip, 0);
        limiter.TryTake(a, 0);
        limiter.TryTake(a, 0);
        limiter.Close(a, 0);
        Assert.Equal(1, limiter.TrackedAddresses); // drained: reconnecting must not reset it
        MessageRateLimiter.Allowance again = limiter.Open(Ip, 0);
        Assert.False(limiter.TryTake(again, 0).Allowed);
        limiter.Close(again, 0);
        limiter.Close(again, 0); // idempotent
        limiter.Sweep(10_000);
        Assert.Equal(0, limiter.TrackedAddresses);
    }
}

public sealed class LoginThrottleTests
{
    private static readonly IPAddress Ip = IPAddress.Parse("203.0.113.9");

    [Fact]
    public void An_account_is_locked_after_five_failures_and_unlocks_one_attempt_per_minute()
    {
        var throttle = new LoginThrottle();
        for (int i = 0; i < 5; i++)
        {
            Assert.True(throttle.IsAllowed("alice", Ip, 0, out _));
            throttle.RecordFailure("alice", Ip, 0);
        }
        Assert.False(throttle.IsAllowed("alice", IPAddress.Parse("198.51.100.1"), 0, out long wait));
        Assert.InRange(wait, 59_000, 60_000);
        Assert.True(throttle.IsAllowed("bob", IPAddress.Parse("198.51.100.1"), 0, out _));
        Assert.True(throttle.IsAllowed("alice", Ip, 60_000, out _));
    }

    [Fact]
    public void An_address_guessing_many_accounts_is_locked_after_twenty_failures()
    {
        var throttle = new LoginThrottle();
        for (int i = 0; i < 20; i++)
            throttle.RecordFailure($"user{i}", Ip, 0);
        Assert.False(throttle.IsAllowed("someone-new", Ip, 0, out long wait));
        Assert.InRange(wait, 14_000, 15_000);
        Assert.True(throttle.IsAllowed("someone-new", IPAddress.Parse("198.51.100.1"), 0, out _));
    }

    [Fact]
    public void Success_clears_the_accounts_failures()
    {
        var throttle = new LoginThrottle();
        for (int i = 0; i < 4; i++)
            throttle.RecordFailure("alice", Ip, 0);
        throttle.RecordSuccess("alice");
        for (int i = 0; i < 4; i++)
            throttle.RecordFailure("alice", Ip, 0);
        Assert.True(throttle.IsAllowed("alice", Ip, 0, out _));
    }
}
