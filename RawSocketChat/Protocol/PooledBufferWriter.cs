using System.Buffers;

namespace RawSocketChat.Protocol;

/// <summary>
/// A growable <see cref="IBufferWriter{T}"/> over an array rented from <see cref="ArrayPool{T}.Shared"/> when first
/// written to, grown at least twofold, and returned by <see cref="Dispose"/> (after which it may be written again).
/// Scratch space for one compressed message, whose length must be known before its frame header is written; and
/// each half of the transport's send buffer (<c>Transport/SendBuffer</c>).
/// </summary>
internal sealed class PooledBufferWriter(int minimumSize) : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer = [];
    private int _written;

    public int WrittenCount => _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ArraySegment<byte> WrittenSegment => new(_buffer, 0, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _written)
            throw new InvalidOperationException("Advanced past the span returned by GetSpan.");
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Forgets what was written and keeps the array for the next bytes.</summary>
    public void Clear() => _written = 0;

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
            return;
        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(_buffer.Length * 2, minimumSize), _written + needed));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        if (_buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    public void Dispose()
    {
        if (_buffer.Length == 0)
            return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _written = 0;
    }
}
