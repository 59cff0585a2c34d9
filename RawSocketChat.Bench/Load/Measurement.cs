using System.Diagnostics;
using HdrHistogram;

namespace RawSocketChat.Bench.Load;

/// <summary>
/// What a run records, shared by all its connections: latencies in an HdrHistogram <see cref="Recorder"/> (safe to
/// record from any thread, read by interval for the progress line) and counters. Nothing is recorded during warm-up.
/// </summary>
internal sealed class Measurement
{
    /// <summary>Latencies are recorded in microseconds, from 1 µs to 10 minutes, with 3 significant digits.</summary>
    private const long HighestMicros = 600_000_000;
    private readonly Recorder _recorder = new(1, HighestMicros, 3, (id, low, high, digits) => new LongConcurrentHistogram(id, low, high, digits));
    private readonly LongHistogram _total = new(HighestMicros, 3);
    private readonly object _totalLock = new();
    private HistogramBase? _spare;

    private volatile bool _recording;
    private long _messages, _bytes, _errors;

    public bool Recording => _recording;
    public long Messages => Interlocked.Read(ref _messages);
    public long Bytes => Interlocked.Read(ref _bytes);
    public long Errors => Interlocked.Read(ref _errors);

    public void Start()
    {
        _recorder.Reset();
        Interlocked.Exchange(ref _messages, 0);
        Interlocked.Exchange(ref _bytes, 0);
        _recording = true;
    }

    public void Stop() => _recording = false;

    public void Message(int bytes)
    {
        if (!_recording) return;
        Interlocked.Increment(ref _messages);
        Interlocked.Add(ref _bytes, bytes);
    }

    public void Error() => Interlocked.Increment(ref _errors);

    /// <summary>Records the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void Latency(long startTimestamp, long now)
    {
        if (!_recording) return;
        long micros = (now - startTimestamp) * 1_000_000 / Stopwatch.Frequency;
        _recorder.RecordValue(Math.Clamp(micros, 1, HighestMicros));
    }

    /// <summary>
    /// Records a latency even outside the measured window: for deliveries of messages sent inside it that arrive late
    /// (they must count, or a server that falls behind would look faster).
    /// </summary>
    public void LatencyAlways(long startTimestamp, long now)
    {
        long micros = (now - startTimestamp) * 1_000_000 / Stopwatch.Frequency;
        _recorder.RecordValue(Math.Clamp(micros, 1, HighestMicros));
    }

    /// <summary>The latencies recorded since the last call, folded into the total; for the progress line.</summary>
    public HistogramBase TakeInterval()
    {
        lock (_totalLock)
        {
            HistogramBase interval = _spare is null ? _recorder.GetIntervalHistogram() : _recorder.GetIntervalHistogram(_spare);
            _total.Add(interval);
            _spare = interval;
            return interval;
        }
    }

    /// <summary>Every latency recorded since <see cref="Start"/>.</summary>
    public HistogramBase Total()
    {
        TakeInterval();
        lock (_totalLock) return _total.Copy();
    }

    public void ResetTotal()
    {
        lock (_totalLock)
        {
            _recorder.GetIntervalHistogram();
            _total.Reset();
        }
    }
}
