using System.Net;

namespace RawSocketChat.Chat.RateLimits;

/// <summary>What the rate limiter decided about one incoming message.</summary>
public readonly record struct RateDecision(bool Allowed, long RetryAfterMs, bool Flooding);

/// <summary>
/// The in-process <see cref="IMessageRateLimiter"/>: flood protection for incoming chat messages, at two levels:
/// <list type="bullet">
/// <item>a token bucket per connection (<c>--rate</c> per second, bursts of <c>--burst</c>);</item>
/// <item>a token bucket per client IP shared by all its connections (<c>--ip-rate</c>, <c>--ip-burst</c>), so that
/// opening more sockets does not buy more messages.</item>
/// </list>
/// A message passes only when both buckets have a token. A refused message is answered with <c>rate_limited</c>;
/// a client that keeps sending regardless is closed with 1008. "Keeps sending" is measured by a score that grows
/// by one per refused message and drains at the allowed rate: a client sending at twice the rate is refused at the
/// rate and never gets closed, one at three times the rate reaches the threshold (rate × <c>--flood-window</c>)
/// after about the flood window, a blind flood much sooner.
/// </summary>
public sealed class MessageRateLimiter : IMessageRateLimiter
{
    private readonly double _rate;
    private readonly int _burst;
    private readonly double _ipRate;
    private readonly int _ipBurst;
    private readonly double _floodThreshold;
    private readonly Dictionary<IPAddress, IpEntry> _ips = new();
    private int _opensSinceSweep;

    public MessageRateLimiter(double rate, int burst, double ipRate, int ipBurst, TimeSpan floodWindow)
    {
        _rate = rate;
        _burst = burst;
        _ipRate = ipRate;
        _ipBurst = ipBurst;
        _floodThreshold = Math.Max(1, rate * floodWindow.TotalSeconds);
    }

    /// <summary>How many client IPs have state right now (for tests and metrics).</summary>
    public int TrackedAddresses
    {
        get { lock (_ips) return _ips.Count; }
    }

    /// <summary>A connection's share: its own bucket, its IP's bucket, and its flood score.</summary>
    public sealed class Allowance
    {
        internal Allowance(TokenBucket bucket, IpEntry ip)
        {
            Bucket = bucket;
            Ip = ip;
        }

        internal TokenBucket Bucket { get; }
        internal IpEntry Ip { get; }
        internal double FloodScore;
        internal long FloodUpdatedMs;
        internal bool Released;
    }

    internal sealed class IpEntry(IPAddress address, TokenBucket bucket)
    {
        public IPAddress Address { get; } = address;
        public TokenBucket Bucket { get; } = bucket;
        public int Connections;
    }

    public Allowance Open(IPAddress client, long nowMs)
    {
        lock (_ips)
        {
            if (++_opensSinceSweep >= 1024)
                SweepLocked(nowMs);
            if (!_ips.TryGetValue(client, out IpEntry? entry))
                _ips[client] = entry = new IpEntry(client, new TokenBucket(_ipRate, _ipBurst, nowMs));
            entry.Connections++;
            return new Allowance(new TokenBucket(_rate, _burst, nowMs), entry);
        }
    }

    public void Close(Allowance allowance, long nowMs)
    {
        lock (_ips)
        {
            if (allowance.Released)
                return;
            allowance.Released = true;
            IpEntry entry = allowance.Ip;
            // Forget an address only once its bucket has refilled: dropping a drained bucket would let a client
            // reset its allowance by reconnecting.
            if (--entry.Connections == 0 && IsFull(entry, nowMs))
                _ips.Remove(entry.Address);
        }
    }

    /// <summary>Takes one message's worth from both buckets, or refuses and scores the refusal.</summary>
    public RateDecision TryTake(Allowance allowance, long nowMs)
    {
        // The connection's own bucket and score are only touched by its receive loop; the address's bucket is
        // shared by its connections, so it has a lock of its own (the table's lock is not needed here).
        IpEntry ip = allowance.Ip;
        lock (ip)
        {
            bool mine = allowance.Bucket.CanTake(nowMs, out long myWait);
            bool ours = ip.Bucket.CanTake(nowMs, out long ipWait);
            if (mine && ours)
            {
                allowance.Bucket.TryTake(nowMs, out _);
                ip.Bucket.TryTake(nowMs, out _);
                return new RateDecision(true, 0, false);
            }

            double elapsedSeconds = Math.Max(0, nowMs - allowance.FloodUpdatedMs) / 1000.0;
            allowance.FloodScore = Math.Max(0, allowance.FloodScore - elapsedSeconds * _rate) + 1;
            allowance.FloodUpdatedMs = nowMs;
            return new RateDecision(false, Math.Max(myWait, ipWait), allowance.FloodScore >= _floodThreshold);
        }
    }

    /// <summary>Forgets addresses with no connection whose bucket is full again (they would start that way anyway).</summary>
    public void Sweep(long nowMs)
    {
        lock (_ips)
            SweepLocked(nowMs);
    }

    private static bool IsFull(IpEntry entry, long nowMs)
    {
        lock (entry)
            return entry.Bucket.IsFull(nowMs);
    }

    private void SweepLocked(long nowMs)
    {
        _opensSinceSweep = 0;
        List<IPAddress>? idle = null;
        foreach ((IPAddress address, IpEntry entry) in _ips)
            if (entry.Connections == 0 && IsFull(entry, nowMs))
                (idle ??= []).Add(address);
        if (idle is not null)
            foreach (IPAddress address in idle)
                _ips.Remove(address);
    }
}
