using System.Diagnostics;
using RawSocketChat.Bench.Client;

namespace RawSocketChat.Bench.Load;

/// <summary>
/// <c>chat</c>: N users spread over R rooms through <c>rawsocketchat.v1</c>, every user sending <c>--rate</c>
/// messages/s (phases spread evenly) and receiving everything said in its room. Measures the send → ack round trip,
/// the send → delivery latency at every other member, deliveries/s, errors (e.g. rate limited) and deliveries that
/// never arrived. Against RawSocketChat this goes through the real chat service, storage included.
/// </summary>
internal sealed class ChatWorkload(LoadOptions options) : Workload(options)
{
    private const int Ring = 4096;
    private readonly string _runId = "c" + Random.Shared.Next(0x1000, 0xFFFF).ToString("x");
    private byte[] _runIdBytes = [];
    private RawClient[] _users = [];
    private long[][] _sentAt = [];
    private long[] _nextSeq = [];
    private long[] _receivedMeasured = [];
    private int[] _roomSize = [];
    private readonly List<Task> _loops = [];
    private Task _sending = Task.CompletedTask;
    private volatile bool _send = true;
    private long _sentMeasured, _expectedDeliveries, _errors, _disconnected;

    /// <summary>Send → ack round trips.</summary>
    public Measurement Acks { get; } = new();

    public override int Connections => Options.Connections ?? 1000;
    private int Rooms => Math.Max(1, Math.Min(Options.Rooms, Connections));
    private double RatePerUser => Options.Rate is > 0 ? Options.Rate.Value : 1;
    private int Size => Options.Size ?? 64;
    private string RoomOf(int user) => $"{_runId}-r{user % Rooms}";

    public override async Task SetupAsync(CancellationToken cancellation)
    {
        _runIdBytes = System.Text.Encoding.ASCII.GetBytes(_runId);
        RawClient?[] all = await ConnectAllAsync(Connections, ChatProtocol.Subprotocol, tolerateFailures: false, 64 * 1024, cancellation);
        _users = all.Select(c => c!).ToArray();
        _sentAt = _users.Select(_ => new long[Ring]).ToArray();
        _nextSeq = new long[_users.Length];
        _receivedMeasured = new long[_users.Length];
        _roomSize = new int[Rooms];
        for (int i = 0; i < _users.Length; i++)
            _roomSize[i % Rooms]++;

        // User 0 registers and creates the rooms; everyone else is a guest.
        await ChatProtocol.CreateRoomsAsync(_users[0], $"{_runId}u0", Enumerable.Range(0, Rooms).Select(RoomOf), cancellation);
        using var gate = new SemaphoreSlim(Options.ConnectConcurrency);
        await Task.WhenAll(_users.Select(async (client, i) =>
        {
            await gate.WaitAsync(cancellation);
            try
            {
                if (i > 0)
                    await ChatProtocol.ExpectAsync(client, ChatProtocol.Login(client, $"{_runId}u{i}"), ChatEvent.Welcome, cancellation);
                await ChatProtocol.ExpectAsync(client, ChatProtocol.Join(client, RoomOf(i)), ChatEvent.Joined, cancellation);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    public override void StartTraffic()
    {
        for (int i = 0; i < _users.Length; i++)
        {
            int index = i;
            _loops.Add(Task.Run(() => ReceiveAsync(index)));
        }
        _sending = Task.Run(SendLoopAsync);
    }

    /// <summary>One scheduler for all users: every millisecond, each user whose next send time has come sends.</summary>
    private async Task SendLoopAsync()
    {
        long interval = (long)(Stopwatch.Frequency / RatePerUser);
        long start = Stopwatch.GetTimestamp();
        var next = new long[_users.Length];
        for (int i = 0; i < next.Length; i++)
            next[i] = start + interval * i / next.Length; // phases spread over one interval
        while (_send)
        {
            long now = Stopwatch.GetTimestamp();
            for (int i = 0; i < _users.Length && _send; i++)
            {
                if (next[i] > now || _users[i].IsClosed)
                    continue;
                long seq = _nextSeq[i]++;
                bool measured = Measurement.Recording;
                if (measured)
                {
                    Interlocked.Increment(ref _sentMeasured);
                    Interlocked.Add(ref _expectedDeliveries, _roomSize[i % Rooms] - 1);
                }
                Volatile.Write(ref _sentAt[i][seq % Ring], next[i]);
                try
                {
                    await _users[i].SendAsync(ChatProtocol.Send(_users[i], RoomOf(i), _runId, seq, next[i], i, measured, Size));
                }
                catch (Exception e) when (IsDisconnect(e))
                {
                    Interlocked.Increment(ref _errors);
                }
                next[i] += interval;
            }
            await Task.Delay(1);
        }
    }

    private async Task ReceiveAsync(int index)
    {
        RawClient client = _users[index];
        try
        {
            while (!Stopping)
            {
                while (client.TryReadFrame(out ServerFrame frame))
                {
                    ChatProtocol.Parsed message = ChatProtocol.Parse(client.Payload(frame), _runIdBytes);
                    long now = Stopwatch.GetTimestamp();
                    switch (message.Event)
                    {
                        case ChatEvent.Ack when message.Ref >= 0:
                            Acks.Latency(Volatile.Read(ref _sentAt[index][message.Ref % Ring]), now);
                            Acks.Message(0);
                            break;
                        case ChatEvent.Error:
                            Interlocked.Increment(ref _errors);
                            break;
                        case ChatEvent.Message when message.OurRun && message.Sender != index:
                            if (message.Measured)
                            {
                                _receivedMeasured[index]++;
                                Measurement.LatencyAlways(message.Timestamp, now);
                            }
                            Measurement.Message(frame.Length);
                            break;
                    }
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

    public override void OnMeasureStart() => Acks.Start();

    public override async Task OnMeasureEndAsync()
    {
        Acks.Stop();
        _send = false;
        await _sending;
    }

    public override string ProgressExtra => $"acks/s {Acks.Messages:N0}  errors {Interlocked.Read(ref _errors):N0}";

    public override async Task FinishAsync(LoadResult result, double seconds)
    {
        long expected = Interlocked.Read(ref _expectedDeliveries);
        var drain = Stopwatch.StartNew();
        while (drain.Elapsed.TotalSeconds < Options.Drain)
        {
            long total = _receivedMeasured.Sum();
            if (total >= expected) break;
            await Task.Delay(100);
        }

        HdrHistogram.HistogramBase acks = Acks.Total();
        result.Metrics["rooms"] = Rooms;
        result.Metrics["rate_per_user"] = RatePerUser;
        result.Metrics["sent"] = Interlocked.Read(ref _sentMeasured);
        result.Metrics["acks_per_s"] = Acks.Messages / seconds;
        result.Metrics["ack_p50_ms"] = LoadCommand.PercentileMs(acks, 50);
        result.Metrics["ack_p99_ms"] = LoadCommand.PercentileMs(acks, 99);
        result.Metrics["deliveries_expected"] = expected;
        result.Metrics["deliveries_per_s"] = Measurement.Messages / seconds;
        result.Metrics["missing"] = Math.Max(0, expected - _receivedMeasured.Sum());
        result.Metrics["chat_errors"] = Interlocked.Read(ref _errors);
        result.Metrics["users_disconnected"] = Interlocked.Read(ref _disconnected);
        result.Metrics["size_bytes"] = Size;
    }

    public override void Close()
    {
        Stopping = true;
        _send = false;
        foreach (RawClient client in _users)
            client.Close();
        Task.WhenAll(_loops).Wait(TimeSpan.FromSeconds(5));
    }
}
