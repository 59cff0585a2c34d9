using System.Diagnostics;
using RawSocketChat.Bench.Client;

namespace RawSocketChat.Bench.Load;

/// <summary>
/// <c>broadcast</c>: S subscribers and 1 publisher join one room; the publisher sends at <c>--rate</c> messages/s
/// (0 = as fast as acks allow, with at most <c>--inflight</c> unacknowledged sends) and every subscriber times each
/// delivery against the publisher's timestamp in the text. At a fixed rate the timestamp is the intended send time,
/// so a stalled server cannot hide its queueing delay (no coordinated omission).
/// <para>
/// After the measured window the publisher stops and the run waits (up to <c>--drain</c>) for late deliveries;
/// every subscriber must then have every message sent in the window: <c>missing</c> counts the ones that never came.
/// </para>
/// </summary>
internal sealed class BroadcastWorkload(LoadOptions options) : Workload(options)
{
    private readonly string _runId = "b" + Random.Shared.Next(0x1000, 0xFFFF).ToString("x");
    private byte[] _runIdBytes = [];
    private RawClient[] _subscribers = [];
    private RawClient _publisher = null!;
    private long[] _received = [];
    private readonly List<Task> _loops = [];
    private Task _publishing = Task.CompletedTask;
    private SemaphoreSlim _window = null!;
    private volatile bool _publish = true;
    private long _nextSeq;
    private long _firstMeasured = long.MaxValue, _lastMeasured = long.MaxValue;
    private long _acks, _errors, _disconnected;

    public override int Connections => Options.Connections ?? 1000;
    private int Size => Options.Size ?? 64;
    private double Rate => Options.Rate ?? 0;
    private int Window => Options.InFlight ?? 256;
    private string Room => "room-" + _runId;

    public override async Task SetupAsync(CancellationToken cancellation)
    {
        _runIdBytes = System.Text.Encoding.ASCII.GetBytes(_runId);
        RawClient?[] all = await ConnectAllAsync(Connections + 1, ChatProtocol.Subprotocol, tolerateFailures: false, 64 * 1024, cancellation);
        _publisher = all[0]!;
        _subscribers = all.Skip(1).Select(c => c!).ToArray();
        _received = new long[_subscribers.Length];

        // The publisher registers and creates the room; subscribers log in as guests and join, a few at a time.
        await ChatProtocol.CreateRoomsAsync(_publisher, $"{_runId}p", [Room], cancellation);
        using var gate = new SemaphoreSlim(Options.ConnectConcurrency);
        await Task.WhenAll(all.Select(async (client, i) =>
        {
            await gate.WaitAsync(cancellation);
            try
            {
                if (i > 0)
                    await ChatProtocol.ExpectAsync(client!, ChatProtocol.Login(client!, $"{_runId}u{i}"), ChatEvent.Welcome, cancellation);
                await ChatProtocol.ExpectAsync(client!, ChatProtocol.Join(client!, Room), ChatEvent.Joined, cancellation);
            }
            finally
            {
                gate.Release();
            }
        }));
        _window = new SemaphoreSlim(Window);
    }

    public override void StartTraffic()
    {
        for (int i = 0; i < _subscribers.Length; i++)
        {
            int index = i;
            _loops.Add(Task.Run(() => SubscribeAsync(index)));
        }
        _loops.Add(Task.Run(PublisherReceiveAsync));
        _publishing = Task.Run(Rate > 0 ? PublishAtRateAsync : PublishAtMaxAsync);
    }

    private async Task SubscribeAsync(int index)
    {
        RawClient client = _subscribers[index];
        try
        {
            while (!Stopping)
            {
                while (client.TryReadFrame(out ServerFrame frame))
                {
                    ChatProtocol.Parsed message = ChatProtocol.Parse(client.Payload(frame), _runIdBytes);
                    if (message.Event != ChatEvent.Message || !message.OurRun)
                        continue;
                    long now = Stopwatch.GetTimestamp();
                    if (message.Seq >= Volatile.Read(ref _firstMeasured) && message.Seq <= Volatile.Read(ref _lastMeasured))
                    {
                        _received[index]++;
                        Measurement.LatencyAlways(message.Timestamp, now);
                    }
                    Measurement.Message(frame.Length);
                }
                if (!await client.FillAsync())
                    break;
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
        }
        if (!Stopping)
            Interlocked.Increment(ref _disconnected);
    }

    private async Task PublisherReceiveAsync()
    {
        try
        {
            while (!Stopping)
            {
                while (_publisher.TryReadFrame(out ServerFrame frame))
                {
                    ChatProtocol.Parsed message = ChatProtocol.Parse(_publisher.Payload(frame), _runIdBytes);
                    if (message.Event is ChatEvent.Ack or ChatEvent.Error)
                    {
                        Interlocked.Increment(ref message.Event == ChatEvent.Ack ? ref _acks : ref _errors);
                        _window.Release();
                    }
                }
                if (!await _publisher.FillAsync())
                    break;
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
        }
    }

    private async Task PublishOneAsync(long timestamp)
    {
        long seq = _nextSeq;
        bool measured = seq >= Volatile.Read(ref _firstMeasured);
        await _publisher.SendAsync(ChatProtocol.Send(_publisher, Room, _runId, seq, timestamp, 0, measured, Size));
        _nextSeq = seq + 1;
    }

    private async Task PublishAtRateAsync()
    {
        long interval = (long)(Stopwatch.Frequency / Rate);
        long next = Stopwatch.GetTimestamp();
        try
        {
            while (_publish)
            {
                long now = Stopwatch.GetTimestamp();
                // Send every message whose time has come, each stamped with the time it should have left.
                while (next <= now && _publish)
                {
                    await PublishOneAsync(next);
                    next += interval;
                }
                await Task.Delay(1);
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            Interlocked.Increment(ref _errors);
        }
    }

    private async Task PublishAtMaxAsync()
    {
        try
        {
            while (_publish)
            {
                if (!await _window.WaitAsync(100))
                    continue;
                if (!_publish) break;
                await PublishOneAsync(Stopwatch.GetTimestamp());
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            Interlocked.Increment(ref _errors);
        }
    }

    public override void OnMeasureStart() => Volatile.Write(ref _firstMeasured, _nextSeq);

    public override async Task OnMeasureEndAsync()
    {
        _publish = false;
        await _publishing;
        Volatile.Write(ref _lastMeasured, _nextSeq - 1);
    }

    public override string ProgressExtra => $"published {Volatile.Read(ref _nextSeq):N0}  acks {Interlocked.Read(ref _acks):N0}";

    public override async Task FinishAsync(LoadResult result, double seconds)
    {
        long first = Volatile.Read(ref _firstMeasured), last = Volatile.Read(ref _lastMeasured);
        long perSubscriber = Math.Max(0, last - first + 1);
        long expected = perSubscriber * _subscribers.Length;

        // Wait for late deliveries: until everything arrived or --drain passed. (Stopping early when nothing moves
        // would call "missing" what an overloaded server still had queued.)
        var drain = Stopwatch.StartNew();
        while (drain.Elapsed.TotalSeconds < Options.Drain)
        {
            long total = _received.Sum();
            if (total >= expected) break;
            await Task.Delay(100);
        }

        long missing = _received.Sum(r => Math.Max(0, perSubscriber - r));
        result.Metrics["published"] = perSubscriber;
        result.Metrics["publish_per_s"] = perSubscriber / seconds;
        result.Metrics["subscribers"] = _subscribers.Length;
        result.Metrics["deliveries_expected"] = expected;
        result.Metrics["deliveries_per_s"] = Measurement.Messages / seconds;
        result.Metrics["missing"] = missing;
        result.Metrics["publisher_errors"] = Interlocked.Read(ref _errors);
        result.Metrics["subscribers_disconnected"] = Interlocked.Read(ref _disconnected);
        result.Metrics["drain_s"] = drain.Elapsed.TotalSeconds;
        result.Metrics["size_bytes"] = Size;
        result.Notes["publisher"] = Rate > 0 ? $"fixed rate {Rate} msg/s" : $"max rate, window of {Window} unacknowledged sends";
    }

    public override void Close()
    {
        Stopping = true;
        _publish = false;
        _publisher?.Close();
        foreach (RawClient client in _subscribers)
            client.Close();
        Task.WhenAll(_loops).Wait(TimeSpan.FromSeconds(5));
    }
}
