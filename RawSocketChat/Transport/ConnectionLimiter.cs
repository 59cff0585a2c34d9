using System.Collections.Concurrent;
using System.Net;

namespace RawSocketChat.Transport;

/// <summary>
/// Caps on open WebSocket connections, in total and per client IP, checked before the upgrade so that a client
/// opening thousands of sockets gets 503 instead of our memory (RFC 6455 §10.4 leaves the limits to the server).
/// </summary>
public sealed class ConnectionLimiter(int maxConnections, int maxPerIp)
{
    private readonly ConcurrentDictionary<IPAddress, int> _perIp = new();
    private int _total;

    public int Total => Volatile.Read(ref _total);

    public int CountFor(IPAddress address) => _perIp.TryGetValue(address, out int n) ? n : 0;

    /// <summary>Takes a slot for <paramref name="address"/>, or returns false when either cap is reached.</summary>
    public bool TryAcquire(IPAddress address)
    {
        if (Interlocked.Increment(ref _total) > maxConnections)
        {
            Interlocked.Decrement(ref _total);
            return false;
        }
        while (true)
        {
            int current = _perIp.GetOrAdd(address, 0);
            if (current >= maxPerIp)
            {
                Interlocked.Decrement(ref _total);
                return false;
            }
            if (_perIp.TryUpdate(address, current + 1, current))
                return true;
        }
    }

    public void Release(IPAddress address)
    {
        Interlocked.Decrement(ref _total);
        while (true)
        {
            int current = _perIp[address];
            if (current == 1)
            {
                // Remove the entry entirely, so the table does not grow with every address ever seen.
                if (_perIp.TryRemove(new KeyValuePair<IPAddress, int>(address, 1)))
                    return;
            }
            else if (_perIp.TryUpdate(address, current - 1, current))
                return;
        }
    }
}
