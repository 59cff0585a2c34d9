namespace RawSocketChat.Diagnostics;

/// <summary>
/// A counter that many threads add to at once without fighting over one cache line: each processor adds to its own
/// cell (64 bytes apart), and reading sums the cells. Adding is one uncontended <see cref="Interlocked.Add(ref long, long)"/>
/// and allocates nothing, which is what a per-frame counter on the send and receive paths needs.
/// </summary>
public sealed class StripedCounter
{
    private const int Stride = 8; // longs per cell: 64 bytes, one cache line
    private readonly long[] _cells;
    private readonly int _mask;

    public StripedCounter()
    {
        int cells = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount, 1, 64));
        _mask = cells - 1;
        _cells = new long[cells * Stride];
    }

    public void Add(long value) =>
        Interlocked.Add(ref _cells[(Thread.GetCurrentProcessorId() & _mask) * Stride], value);

    public void Increment() => Add(1);

    /// <summary>The total so far (cells read one by one: adds that race with the read land in this or the next read).</summary>
    public long Value
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _cells.Length; i += Stride)
                sum += Volatile.Read(ref _cells[i]);
            return sum;
        }
    }
}
