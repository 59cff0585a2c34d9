using System.Diagnostics;

namespace RawSocketChat.Diagnostics;

/// <summary>
/// Durations counted into fixed buckets (Prometheus histogram semantics: each bucket counts the observations up to
/// its bound; the exposition makes them cumulative). Observing is a bucket search over a dozen bounds and two
/// interlocked adds; nothing is allocated.
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Upper bounds in seconds, from half a millisecond (a page-cache read) to 2.5 s (a very sick disk).</summary>
    public static readonly double[] DefaultBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private readonly double[] _bounds;
    private readonly long[] _counts; // one per bound, then the +Inf bucket
    private long _sumTicks;

    public LatencyHistogram(double[]? bounds = null)
    {
        _bounds = bounds ?? DefaultBounds;
        for (int i = 1; i < _bounds.Length; i++)
            if (!(_bounds[i] > _bounds[i - 1]))
                throw new ArgumentException("bucket bounds must increase", nameof(bounds));
        _counts = new long[_bounds.Length + 1];
    }

    public IReadOnlyList<double> Bounds => _bounds;

    /// <summary>Records one duration, in <see cref="Stopwatch"/> ticks.</summary>
    public void ObserveTicks(long ticks)
    {
        ticks = Math.Max(0, ticks);
        double seconds = (double)ticks / Stopwatch.Frequency;
        int i = 0;
        while (i < _bounds.Length && seconds > _bounds[i])
            i++;
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sumTicks, ticks);
    }

    /// <summary>Records the time since <paramref name="startTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public void ObserveSince(long startTimestamp) => ObserveTicks(Stopwatch.GetTimestamp() - startTimestamp);

    /// <summary>
    /// The cumulative counts per bound (the last is +Inf, which equals the count), and the sum in seconds. The count
    /// is the sum of the buckets read, so the +Inf bucket and the count always agree within one snapshot.
    /// </summary>
    public (long[] Cumulative, double SumSeconds) Snapshot()
    {
        var cumulative = new long[_counts.Length];
        long running = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            running += Volatile.Read(ref _counts[i]);
            cumulative[i] = running;
        }
        return (cumulative, (double)Interlocked.Read(ref _sumTicks) / Stopwatch.Frequency);
    }
}
