using System.Buffers;

using RawSocketChat.Protocol;

namespace RawSocketChat.Transport;

/// <summary>
/// The bytes a connection has queued for its socket, held in two pooled buffers used in turn. Senders append frames
/// to the <em>queued</em> one (this is an <see cref="IBufferWriter{T}"/>, so <c>FrameWriter</c> writes straight
/// into it) while the send loop writes the other one to the socket. When that write completes, the loop calls
/// <see cref="Take"/>: the buffers swap roles, and everything queued during the write leaves in the next one.
/// A busy connection thus makes one system call per batch rather than per message, and no byte is copied between
/// the frame encoder and the socket.
/// <para>
/// When the loop finds nothing queued it calls <see cref="Release"/> before it waits, so an idle connection holds
/// no send memory at all: the arrays go back to the shared pool and are rented again on the next send.
/// </para>
/// <para>
/// Not thread-safe: the connection calls every member under its send lock. The segment <see cref="Take"/> returns
/// belongs to the send loop, outside the lock, until the loop's next call of Take or Release.
/// </para>
/// </summary>
internal sealed class SendBuffer : IBufferWriter<byte>
{
    // Small on purpose: a broadcast to a room of thousands rents one per member at once, and most chat frames are a
    // few hundred bytes. The array grows twofold when a burst needs more.
    private const int MinimumSize = 1024;

    private PooledBufferWriter _queued = new(MinimumSize);
    private PooledBufferWriter _spare = new(MinimumSize); // written by the loop's last write; queued again at the next Take

    /// <summary>Bytes queued and not yet taken by the send loop.</summary>
    public int QueuedLength => _queued.WrittenCount;

    public Span<byte> GetSpan(int sizeHint = 0) => _queued.GetSpan(sizeHint);

    public Memory<byte> GetMemory(int sizeHint = 0) => _queued.GetMemory(sizeHint);

    public void Advance(int count) => _queued.Advance(count);

    /// <summary>
    /// Hands everything queued to the send loop and starts a new batch in the buffer the loop wrote last (whose write
    /// has completed, since the loop only calls this between writes). Empty when nothing is queued.
    /// </summary>
    public ArraySegment<byte> Take()
    {
        if (_queued.WrittenCount == 0)
            return ArraySegment<byte>.Empty;
        (_queued, _spare) = (_spare, _queued);
        _queued.Clear();
        return _spare.WrittenSegment;
    }

    /// <summary>Returns both arrays to the pool. Only when nothing is queued and no write is in progress.</summary>
    public void Release()
    {
        _queued.Dispose();
        _spare.Dispose();
    }
}
