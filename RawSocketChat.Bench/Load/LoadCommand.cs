using System.Diagnostics;
using System.Globalization;
using HdrHistogram;

namespace RawSocketChat.Bench.Load;

/// <summary>
/// <c>load &lt;workload&gt; --url ws://… [options]</c>: connect, warm up, measure for <c>--duration</c> seconds with a
/// live progress line, then print a summary (and <c>--json</c>). The generator's own CPU use is part of the result:
/// if it nears 100% of a core, the client, not the server, was the limit.
/// </summary>
internal static class LoadCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        LoadOptions options = LoadOptions.Parse(args);
        LoadResult result = await RunAsync(options);
        string summary = Summarize(result);
        if (options.Json)
        {
            if (options.JsonFile is { } file)
            {
                await File.WriteAllTextAsync(file, result.ToJson());
                Console.Write(summary);
            }
            else
            {
                Console.Error.Write(summary);
                Console.WriteLine(result.ToJson());
            }
        }
        else
        {
            Console.Write(summary);
        }
        return 0;
    }

    public static async Task<LoadResult> RunAsync(LoadOptions options)
    {
        int? serverPid = options.ServerPid ?? ProcessStats.FindListener(options.Url!.Port);
        Workload workload = options.Workload switch
        {
            "echo-latency" => new EchoWorkload(options, throughput: false),
            "echo-throughput" => new EchoWorkload(options, throughput: true),
            "broadcast" => new BroadcastWorkload(options),
            "chat" => new ChatWorkload(options),
            "idle" => new IdleWorkload(options, () => serverPid),
            _ => throw new UsageException($"unknown workload {options.Workload}"),
        };
        ProcessStats.RaiseFileLimit(workload.Connections + 4096);
        var result = new LoadResult
        {
            Workload = options.Workload,
            Target = options.Target,
            Url = options.Url!.ToString(),
            StartedUtc = DateTime.UtcNow,
            Connections = workload.Connections,
        };
        var progress = new Progress(options, workload);

        // 1. Connect (and log in) — bounded, so a server that does not answer cannot hang the run.
        using (var setupTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(60 + workload.Connections / 100.0)))
        {
            Task setup = workload.SetupAsync(setupTimeout.Token);
            while (!setup.IsCompleted)
            {
                progress.Setup();
                await Task.WhenAny(setup, Task.Delay(500));
            }
            try
            {
                await setup;
            }
            catch (OperationCanceledException)
            {
                workload.Close();
                throw new IOException($"setup timed out after {workload.Connected} connections");
            }
            catch
            {
                workload.Close();
                throw;
            }
        }

        try
        {
            // 2. Warm up: traffic flows, nothing is recorded.
            workload.StartTraffic();
            var warmup = Stopwatch.StartNew();
            while (warmup.Elapsed.TotalSeconds < options.Warmup)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(1, Math.Max(0.01, options.Warmup - warmup.Elapsed.TotalSeconds))));
                progress.Warmup(warmup.Elapsed.TotalSeconds);
            }

            // 3. Measure.
            workload.Measurement.ResetTotal();
            workload.Measurement.Start();
            workload.OnMeasureStart();
            TimeSpan clientCpu0 = Environment.CpuUsage.TotalTime;
            double? serverCpu0 = serverPid is { } p0 ? ProcessStats.CpuSeconds(p0) : null;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < options.Duration)
            {
                double left = options.Duration - clock.Elapsed.TotalSeconds;
                await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(left, 0.001, 1)));
                workload.OnTick();
                progress.Measure(clock.Elapsed.TotalSeconds);
            }
            workload.Measurement.Stop();
            double seconds = clock.Elapsed.TotalSeconds;
            TimeSpan clientCpu = Environment.CpuUsage.TotalTime - clientCpu0;
            double? serverCpu = serverPid is { } p1 && serverCpu0 is { } s0 && ProcessStats.CpuSeconds(p1) is { } s1 ? s1 - s0 : null;
            await workload.OnMeasureEndAsync();
            progress.Done();

            // 4. Drain and collect.
            result.DurationSeconds = seconds;
            Measurement m = workload.Measurement;
            await workload.FinishAsync(result, seconds);
            if (workload.HasTraffic)
            {
                HistogramBase latency = m.Total();
                result.Metrics["messages"] = m.Messages;
                result.Metrics["msgs_per_s"] = m.Messages / seconds;
                result.Metrics["mb_per_s"] = m.Bytes / seconds / 1e6;
                result.Metrics["p50_ms"] = PercentileMs(latency, 50);
                result.Metrics["p90_ms"] = PercentileMs(latency, 90);
                result.Metrics["p99_ms"] = PercentileMs(latency, 99);
                result.Metrics["p999_ms"] = PercentileMs(latency, 99.9);
                result.Metrics["max_ms"] = latency.TotalCount == 0 ? double.NaN : latency.GetMaxValue() / 1000.0;
                result.Metrics["latency_samples"] = latency.TotalCount;
            }
            result.Metrics["errors"] = m.Errors;
            result.Metrics["client_cpu_pct"] = 100 * clientCpu.TotalSeconds / seconds;
            if (serverCpu is { } sc)
                result.Metrics["server_cpu_pct"] = 100 * sc / seconds;
            if (serverPid is { } pid && ProcessStats.RssBytes(pid) is { } rss)
                result.Metrics["server_rss_mib"] = rss / 1048576.0;
            result.Notes["client_cpu"] = "percent of one core used by this generator during the window (it runs alone on its core in compare mode)";
        }
        finally
        {
            workload.Close();
        }
        return result;
    }

    /// <summary>A percentile in milliseconds; NaN when nothing was recorded (HdrHistogram throws on an empty histogram).</summary>
    internal static double PercentileMs(HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(percentile) / 1000.0;

    public static string Summarize(LoadResult r)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"{r.Workload}{(r.Target is null ? "" : " @ " + r.Target)}  {r.Url}  connections={r.Connections}  duration={r.DurationSeconds:0.0}s");
        foreach ((string name, double value) in r.Metrics)
            text.AppendLine(CultureInfo.InvariantCulture, $"  {name,-26} {Format(value)}");
        foreach ((string name, string value) in r.Notes)
            text.AppendLine($"  note {name}: {value}");
        return text.ToString();
    }

    internal static string Format(double value) => value switch
    {
        _ when double.IsNaN(value) => "-",
        _ when Math.Abs(value) >= 1000 => value.ToString("N0", CultureInfo.InvariantCulture),
        _ when Math.Abs(value) >= 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.###", CultureInfo.InvariantCulture),
    };

    /// <summary>The live line: one update a second on stderr, rewritten in place on a terminal.</summary>
    private sealed class Progress(LoadOptions options, Workload workload)
    {
        private readonly bool _terminal = !Console.IsErrorRedirected;
        private long _lastMessages;
        private double _lastSeconds;
        private TimeSpan _lastCpu = Environment.CpuUsage.TotalTime;
        private readonly Stopwatch _wall = Stopwatch.StartNew();

        public void Setup() => Write($"connecting {workload.Connected:N0}/{workload.Connections:N0}");

        public void Warmup(double seconds) => Write($"warm-up {seconds:0}/{options.Warmup:0}s  {workload.ProgressExtra}");

        public void Measure(double seconds)
        {
            Measurement m = workload.Measurement;
            HistogramBase interval = m.TakeInterval();
            long messages = m.Messages;
            double rate = (messages - _lastMessages) / Math.Max(seconds - _lastSeconds, 1e-3);
            _lastMessages = messages;
            _lastSeconds = seconds;
            TimeSpan cpu = Environment.CpuUsage.TotalTime;
            double cpuPct = 100 * (cpu - _lastCpu).TotalSeconds / Math.Max(_wall.Elapsed.TotalSeconds, 1e-3);
            _lastCpu = cpu;
            _wall.Restart();
            string latency = interval.TotalCount > 0
                ? $"p50 {interval.GetValueAtPercentile(50) / 1000.0:0.00} ms  p99 {interval.GetValueAtPercentile(99) / 1000.0:0.00} ms  "
                : "";
            string traffic = workload.HasTraffic ? $"msgs/s {rate:N0}  {latency}" : "";
            Write($"{seconds:0}/{options.Duration:0}s  {traffic}client CPU {cpuPct:0}%  errors {m.Errors}  {workload.ProgressExtra}");
        }

        public void Done()
        {
            if (_terminal && !options.Quiet)
                Console.Error.WriteLine();
        }

        private void Write(string line)
        {
            if (options.Quiet) return;
            line = $"[{options.Workload}] {line}";
            if (_terminal)
                Console.Error.Write("\r" + line + "\u001b[K"); // ANSI: erase the rest of the line
            else
                Console.Error.WriteLine(line);
        }
    }
}
