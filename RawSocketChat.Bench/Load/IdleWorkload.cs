using System.Diagnostics;
using RawSocketChat.Bench.Client;

namespace RawSocketChat.Bench.Load;

/// <summary>
/// <c>idle</c>: opens N WebSocket connections to <c>/echo</c> and leaves them silent, then reads the server's resident
/// memory from /proc. The first 100 connections are opened before the baseline is taken, so code paths are already
/// jitted and pools primed; bytes per connection = (RSS after − RSS baseline) / (N − 100).
/// <para>
/// One source address gives about 28,000 ephemeral ports, so connections are spread over 127.0.0.1, .2, … (one
/// address per 25,000 unless <c>--source-addresses</c> says otherwise). The run should be shorter than the server's
/// ping interval, or it measures pings too.
/// </para>
/// </summary>
internal sealed class IdleWorkload(LoadOptions options, Func<int?> serverPid) : Workload(options)
{
    private const int Primer = 100;
    private RawClient?[] _clients = [];
    private long? _rssBaseline, _rssAfter, _kernelBaseline, _kernelAfter;
    private double _connectSeconds;
    private int _opened;

    public override int Connections => Options.Connections ?? 10_000;
    public override bool HasTraffic => false;

    public override async Task SetupAsync(CancellationToken cancellation)
    {
        Options.SourceAddresses ??= Math.Max(1, (Connections + 24_999) / 25_000);
        int? pid = serverPid();
        int primer = Math.Min(Primer, Connections / 10);
        RawClient?[] first = await ConnectAllAsync(primer, null, tolerateFailures: true, 256, cancellation);
        await Task.Delay(1000, cancellation);
        GC.Collect();
        _rssBaseline = pid is { } p ? ProcessStats.RssBytes(p) : null;
        _kernelBaseline = ProcessStats.KernelTcpMemoryBytes();

        var clock = Stopwatch.StartNew();
        RawClient?[] rest = await ConnectAllAsync(Connections - primer, null, tolerateFailures: true, 256, cancellation);
        _connectSeconds = clock.Elapsed.TotalSeconds;
        _clients = [.. first, .. rest];
        _opened = rest.Count(c => c is not null);
    }

    public override void StartTraffic() { }

    public override void OnTick()
    {
        // The last reading wins: the server has settled by the end of the window.
        if (serverPid() is { } pid)
            _rssAfter = ProcessStats.RssBytes(pid);
        _kernelAfter = ProcessStats.KernelTcpMemoryBytes();
    }

    public override string ProgressExtra => _rssAfter is { } rss ? $"server RSS {rss / 1048576.0:0.0} MiB" : "";

    public override Task FinishAsync(LoadResult result, double seconds)
    {
        OnTick();
        result.Metrics["opened"] = _opened + _clients.Take(Math.Min(Primer, Connections / 10)).Count(c => c is not null);
        result.Metrics["failed"] = Measurement.Errors;
        result.Metrics["connects_per_s"] = _opened / Math.Max(_connectSeconds, 1e-3);
        result.Metrics["source_addresses"] = Options.SourceAddresses ?? 1;
        if (_rssBaseline is { } before && _rssAfter is { } after && _opened > 0)
        {
            result.Metrics["rss_baseline_mib"] = before / 1048576.0;
            result.Metrics["rss_after_mib"] = after / 1048576.0;
            result.Metrics["bytes_per_conn"] = (after - before) / (double)_opened;
        }
        else
        {
            result.Notes["rss"] = "server process not found: pass --server-pid";
        }
        if (_kernelBaseline is { } kb && _kernelAfter is { } ka && _opened > 0)
            result.Metrics["kernel_tcp_bytes_per_conn"] = (ka - kb) / (double)_opened;
        return Task.CompletedTask;
    }

    public override void Close()
    {
        foreach (RawClient? client in _clients)
            client?.Close();
    }
}
