namespace RawSocketChat.Transport;

/// <summary>
/// A scope in which sends made on this thread queue their frames as usual but wake each connection's send loop once,
/// at the end (<see cref="WebSocketConnection.BatchSends"/> opens one). A caller that sends many messages to many
/// connections in one go — the chat publishing a committed batch to a room of a thousand — thus gives each
/// connection one write holding all of them, instead of waking its loop with the first message and racing it to the
/// socket. Fewer, larger writes cost the server fewer system calls and every client fewer wake-ups.
/// <para>
/// The scope is a ref struct, so it cannot span an <c>await</c>: it belongs to the thread, and the code inside must be
/// synchronous. That is what lets its state be thread-static, with no lock and nothing allocated per scope: a depth
/// (scopes nest, and only the outermost one wakes anybody) and the list of connections whose wake is deferred.
/// </para>
/// <para>
/// Dispose it exactly once.
/// </para>
/// </summary>
public ref struct SendBatch
{
    /// <summary>
    /// Past this many queued bytes a connection's loop starts writing at once, batch or not: on a server with cores
    /// to spare it drains while the rest is queued, so a big batch does not push a healthy member toward
    /// <c>MaxSendBufferBytes</c>.
    /// </summary>
    private const int WakeLimit = 64 * 1024;

    [ThreadStatic] private static int t_depth;
    [ThreadStatic] private static List<WebSocketConnection>? t_deferred;

    internal static SendBatch Begin()
    {
        t_depth++;
        return new SendBatch();
    }

    /// <summary>
    /// Called by a connection, under its send lock, for each frame it queued: true when its loop's wake waits for the
    /// end of this thread's batch. <paramref name="listed"/> is the connection's own mark, guarded by the same lock,
    /// that it is already on some thread's list, so that a connection sent a thousand messages is woken once.
    /// </summary>
    internal static bool TryDeferWake(WebSocketConnection connection, ref bool listed, int queuedLength)
    {
        if (t_depth == 0 || queuedLength >= WakeLimit)
            return false;
        if (!listed)
        {
            listed = true;
            (t_deferred ??= []).Add(connection);
        }
        return true;
    }

    /// <summary>Ends the scope; the outermost one wakes every connection it deferred.</summary>
    public readonly void Dispose()
    {
        if (--t_depth > 0 || t_deferred is not { Count: > 0 } deferred)
            return;
        foreach (WebSocketConnection connection in deferred)
            connection.WakeDeferredSendLoop();
        deferred.Clear(); // the list stays with the thread, for its next batch
    }
}
