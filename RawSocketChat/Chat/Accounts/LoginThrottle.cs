using System.Net;
using RawSocketChat.Chat.RateLimits;

namespace RawSocketChat.Chat.Accounts;

/// <summary>
/// The in-process <see cref="ILoginThrottle"/>: slows down password guessing. Failed logins are counted in two token buckets: one per account (5 failures, then
/// one more attempt per minute) and one per client IP (20 failures, then one per 15 s). While either is empty, every
/// login to that account or from that IP is refused with <c>rate_limited</c> before the password is even checked —
/// so a correct guess cannot be confirmed either. A successful login forgets the account's failures.
/// <para>
/// Counting per account stops a botnet guessing one password from many IPs; per IP, one client guessing many
/// accounts. Both tables forget entries whose bucket is full again, so their size tracks recent failures only.
/// </para>
/// </summary>
public sealed class LoginThrottle(int accountAttempts = 5, TimeSpan? accountRefill = null, int ipAttempts = 20, TimeSpan? ipRefill = null) : ILoginThrottle
{
    private readonly double _accountRate = 1 / (accountRefill ?? TimeSpan.FromMinutes(1)).TotalSeconds;
    private readonly double _ipRate = 1 / (ipRefill ?? TimeSpan.FromSeconds(15)).TotalSeconds;
    private readonly Dictionary<string, TokenBucket> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, TokenBucket> _ips = new();
    private readonly object _lock = new();

    /// <summary>True when an attempt may be made; otherwise how long to wait.</summary>
    public bool IsAllowed(string? accountKey, IPAddress client, long nowMs, out long retryAfterMs)
    {
        lock (_lock)
        {
            retryAfterMs = 0;
            bool allowed = true;
            if (accountKey is not null && _accounts.TryGetValue(accountKey, out TokenBucket? account) && !account.CanTake(nowMs, out long wait))
            {
                allowed = false;
                retryAfterMs = wait;
            }
            if (_ips.TryGetValue(client, out TokenBucket? ip) && !ip.CanTake(nowMs, out long ipWait))
            {
                allowed = false;
                retryAfterMs = Math.Max(retryAfterMs, ipWait);
            }
            return allowed;
        }
    }

    public void RecordFailure(string? accountKey, IPAddress client, long nowMs)
    {
        lock (_lock)
        {
            if (_accounts.Count + _ips.Count > 100_000)
                SweepLocked(nowMs);
            if (accountKey is not null)
            {
                if (!_accounts.TryGetValue(accountKey, out TokenBucket? account))
                    _accounts[accountKey] = account = new TokenBucket(_accountRate, accountAttempts, nowMs);
                account.Drain(nowMs);
            }
            if (!_ips.TryGetValue(client, out TokenBucket? ip))
                _ips[client] = ip = new TokenBucket(_ipRate, ipAttempts, nowMs);
            ip.Drain(nowMs);
        }
    }

    public void RecordSuccess(string accountKey)
    {
        lock (_lock)
            _accounts.Remove(accountKey);
    }

    public void Sweep(long nowMs)
    {
        lock (_lock)
            SweepLocked(nowMs);
    }

    private void SweepLocked(long nowMs)
    {
        foreach (string key in _accounts.Where(e => e.Value.IsFull(nowMs)).Select(e => e.Key).ToList())
            _accounts.Remove(key);
        foreach (IPAddress key in _ips.Where(e => e.Value.IsFull(nowMs)).Select(e => e.Key).ToList())
            _ips.Remove(key);
    }
}
