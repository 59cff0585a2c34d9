using System.Net;
using RawSocketChat.Bench.Client;

namespace RawSocketChat.Bench.Load;

/// <summary>
/// One load pattern. The runner calls, in order: <see cref="SetupAsync"/> (connect, log in), <see cref="StartTraffic"/>,
/// then after the warm-up <see cref="OnMeasureStart"/>, after the duration <see cref="OnMeasureEndAsync"/>, then
/// <see cref="FinishAsync"/> (drain late messages, fill the result) and <see cref="Close"/>.
/// </summary>
internal abstract class Workload(LoadOptions options)
{
    protected LoadOptions Options { get; } = options;

    /// <summary>The main counters: messages (or deliveries) and their latency.</summary>
    public Measurement Measurement { get; } = new();

    /// <summary>Set when the traffic loops must end.</summary>
    protected volatile bool Stopping;

    public abstract int Connections { get; }

    /// <summary>Shown in the progress line while connecting.</summary>
    public int Connected => Volatile.Read(ref _connected);
    private int _connected;

    /// <summary>False for workloads (idle) whose result is not a message rate.</summary>
    public virtual bool HasTraffic => true;

    public abstract Task SetupAsync(CancellationToken cancellation);
    public abstract void StartTraffic();
    public virtual void OnMeasureStart() { }
    public virtual Task OnMeasureEndAsync() => Task.CompletedTask;
    public virtual void OnTick() { }
    public virtual string ProgressExtra => "";
    public abstract Task FinishAsync(LoadResult result, double seconds);
    public abstract void Close();

    /// <summary>The source address for connection <paramref name="index"/>: 127.0.0.1 … 127.0.0.K, round robin.</summary>
    protected IPAddress? SourceAddress(int index, int count)
    {
        int k = Options.SourceAddresses ?? 1;
        if (k <= 1) return null;
        return new IPAddress(new byte[] { 127, 0, 0, (byte)(1 + index % Math.Min(k, 254)) });
    }

    /// <summary>Opens <paramref name="count"/> connections, at most <c>--connect-concurrency</c> handshakes at a time.</summary>
    protected async Task<RawClient?[]> ConnectAllAsync(int count, string? subprotocol, bool tolerateFailures, int bufferSize, CancellationToken cancellation)
    {
        var clients = new RawClient?[count];
        using var gate = new SemaphoreSlim(Options.ConnectConcurrency);
        var tasks = new List<Task>(count);
        Exception? firstError = null;
        for (int i = 0; i < count; i++)
        {
            await gate.WaitAsync(cancellation);
            if (firstError is not null && !tolerateFailures)
                break;
            int index = i;
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    clients[index] = await RawClient.ConnectAsync(Options.Url!, subprotocol, SourceAddress(index, count), cancellation, bufferSize);
                    Interlocked.Increment(ref _connected);
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    Measurement.Error();
                    Interlocked.CompareExchange(ref firstError, e, null);
                }
                finally
                {
                    gate.Release();
                }
            }, cancellation));
        }
        await Task.WhenAll(tasks);
        if (firstError is not null && !tolerateFailures)
        {
            foreach (RawClient? client in clients) client?.Close();
            throw new IOException($"connecting failed after {Connected} connections: {firstError.Message}", firstError);
        }
        return clients;
    }

    protected static bool IsDisconnect(Exception e) =>
        e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or OperationCanceledException;
}
