using System.Buffers;

namespace RawSocketChat.Transport;

/// <summary>
/// The bytes a connection has queued for its socket, held in two pooled arrays used in turn. Senders append frames
/// to the <em>queued</em> array (this is an <see cref="IBufferWriter{T}"/>, so <c>FrameWriter</c> writes straight
/// into it) while the send loop writes the other one to the socket. When that write completes, the loop calls
/// <see cref="Take"/>: the arrays swap roles, and everything queued during the write leaves in the next one.
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

    private byte[]? _queued;
    private int _queuedLength;
    private byte[]? _spare; // written by the loop's last write; becomes the queued array at the next Take

    /// <summary>Bytes queued and not yet taken by the send loop.</summary>
    public int QueuedLength => _queuedLength;

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return _queued.AsSpan(_queuedLength);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return _queued.AsMemory(_queuedLength);
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_queued is null || count > _queued.Length - _queuedLength)
            throw new InvalidOperationException("Advanced past the span returned by GetSpan.");
        _queuedLength += count;
    }

    /// <summary>
    /// Hands everything queued to the send loop and starts a new batch in the array the loop wrote last (whose write
    /// has completed, since the loop only calls this between writes). Empty when nothing is queued.
    /// </summary>
    public ArraySegment<byte> Take()
    {
        if (_queuedLength == 0)
            return ArraySegment<byte>.Empty;
        var batch = new ArraySegment<byte>(_queued!, 0, _queuedLength);
        _queued = _spare;
        _spare = batch.Array;
        _queuedLength = 0;
        return batch;
    }

    /// <summary>Returns both arrays to the pool. Only when nothing is queued and no write is in progress.</summary>
    public void Release()
    {
        _queuedLength = 0;
        Return(ref _queued);
        Return(ref _spare);
    }

    private void EnsureCapacity(int sizeHint)
    {
        int needed = _queuedLength + Math.Max(sizeHint, 1);
        if (_queued is not null && _queued.Length >= needed)
            return;

        int size = Math.Max(needed, Math.Max(MinimumSize, 2 * (_queued?.Length ?? 0)));
        byte[] bigger = ArrayPool<byte>.Shared.Rent(size);
        if (_queued is not null)
        {
            _queued.AsSpan(0, _queuedLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_queued);
        }
        _queued = bigger;
    }

    private static void Return(ref byte[]? array)
    {
        if (array is not null)
            ArrayPool<byte>.Shared.Return(array);
        array = null;
    }
}
