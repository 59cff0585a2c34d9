namespace RawSocketChat.Diagnostics;

/// <summary>
/// Weak references to every WebSocket connection the server opened, kept only with <c>--diagnostics on</c>. After a
/// full collection, a connection that has closed but is still reachable is a leak: something (a room's member list,
/// a timer, a cache) still holds it, and through it the chat session and whatever buffers it has. Counting objects
/// is exact where counting bytes is not: the shared array pool keeps returned buffers for reuse, by an amount that
/// varies with timing and core count, but a closed connection is either collectable or not.
/// </summary>
public sealed class ConnectionTracker
{
    private readonly List<WeakReference> _connections = [];

    public void Track(object connection)
    {
        lock (_connections)
            _connections.Add(new WeakReference(connection));
    }

    /// <summary>Connections not yet collected (call after a full blocking collection); forgets the collected ones.</summary>
    public int CountReachable()
    {
        lock (_connections)
        {
            _connections.RemoveAll(w => !w.IsAlive);
            return _connections.Count;
        }
    }
}
