using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;

namespace RawSocketChat.Transport;

/// <summary>
/// The inspector's "as if the client had sent it" for one inspected connection: whole frames, masked like a client's,
/// that the watcher hands in from its own thread and the connection's receive loop runs through the receiver between
/// two messages of the real client, parsed and acted on exactly like bytes from the socket. A connection that was not
/// asked to be inspected has none (null), so the receive loop pays one null check for the feature.
/// <para>
/// The loop may be waiting for the socket when frames arrive, so <see cref="Add"/> wakes it by cancelling its pending
/// read. <c>Abort</c> wakes it the same way; the loop tells the two apart by the protocol's state (<c>Closed</c> after
/// an abort or a lost peer, anything else after a wake from here), and after a wake from here it leaves what it had
/// read for the next read. A wake may find the frames already run (the loop took them before it read again); that costs one
/// empty turn of the loop.
/// </para>
/// </summary>
internal sealed class InjectedFrames
{
    private readonly ConcurrentQueue<byte[]> _waiting = new();
    private readonly PipeReader _input;
    private readonly FrameTap _tap;

    /// <param name="input">The connection's input, whose pending read <see cref="Add"/> cancels.</param>
    /// <param name="tap">The watcher's tap, which shows these frames as injected rather than received.</param>
    public InjectedFrames(PipeReader input, FrameTap tap)
    {
        _input = input;
        _tap = tap;
    }

    /// <summary>Whether frames wait for the receive loop.</summary>
    public bool AnyWaiting => !_waiting.IsEmpty;

    /// <summary>Queues frames from the watcher (any thread) and wakes the receive loop for them.</summary>
    public void Add(byte[] frames)
    {
        _waiting.Enqueue(frames);
        _input.CancelPendingRead();
    }

    /// <summary>The receive loop's next frames to run, in the order they were added, shown to the watcher first.</summary>
    public bool TryTake(out ReadOnlySequence<byte> frames)
    {
        if (!_waiting.TryDequeue(out byte[]? next))
        {
            frames = default;
            return false;
        }
        frames = new ReadOnlySequence<byte>(next);
        _tap.Received(frames, injected: true);
        return true;
    }
}
