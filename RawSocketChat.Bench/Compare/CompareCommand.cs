using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using RawSocketChat.Bench.Load;

namespace RawSocketChat.Bench.Compare;

/// <summary>
/// <c>compare</c>: the side-by-side run. For each workload, for each round, each server in turn (A B C A B C …) is
/// started fresh as its own process pinned to CPU 0, the load generator runs as another process pinned to CPU 1,
/// and the server is stopped. Medians over the rounds go into a markdown table with, per metric, how RawSocketChat
/// compares with the better of the two in-box peers.
/// </summary>
internal static class CompareCommand
{
    private const string Help = """
        compare [options]
          --rounds N [3]                 rounds per workload (each round runs every target once, interleaved)
          --duration S [10] --warmup S [3]
          --workloads a,b,…              of: echo-latency, echo-throughput, broadcast-rate, broadcast-max, chat, idle
          --targets a,b,…                of: rawsocketchat, kestrel, managed [all three]
          --broadcast-subscribers N [1000] --broadcast-rate R [100]
          --chat-users N [1000] --chat-rooms R [10] --chat-rate R [1]
          --idle-connections N [10000]
          --server-dll PATH              RawSocketChat.dll to start [next to this program]
          --port-base P [19100]
          --out FILE                     also write the markdown report to FILE
          --results-dir DIR              keep every run's JSON there [a temporary folder]
          --no-pin                       do not use taskset (results then are not comparable with pinned ones)
        """;

    private sealed record Metric(string Key, string Label, bool HigherIsBetter, bool Informational = false);

    private sealed record WorkloadSpec(string Name, string Description, string[] LoadArguments, Metric[] Metrics);

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = 3, portBase = 19100, broadcastSubscribers = 1000, chatUsers = 1000, chatRooms = 10, idleConnections = 10_000;
        double duration = 10, warmup = 3, broadcastRate = 100, chatRate = 1;
        string[] workloads = ["echo-latency", "echo-throughput", "broadcast-rate", "broadcast-max", "chat", "idle"];
        string[] targets = ["rawsocketchat", "kestrel", "managed"];
        string? outFile = null, resultsDir = null;
        string serverDll = Path.Combine(AppContext.BaseDirectory, "RawSocketChat.dll");
        bool pin = true;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{name} needs a value");
            switch (name)
            {
                case "--rounds": rounds = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--duration": duration = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--workloads": workloads = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--targets": targets = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--broadcast-subscribers": broadcastSubscribers = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--broadcast-rate": broadcastRate = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--chat-users": chatUsers = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--chat-rooms": chatRooms = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--chat-rate": chatRate = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--idle-connections": idleConnections = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--server-dll": serverDll = Path.GetFullPath(Value()); break;
                case "--port-base": portBase = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--out": outFile = Value(); break;
                case "--results-dir": resultsDir = Value(); break;
                case "--no-pin": pin = false; break;
                case "--help": throw new UsageException(Help);
                default: throw new UsageException($"unknown compare option '{name}'\n\n{Help}");
            }
        }
        if (rounds < 1 || rounds > 50) throw new UsageException("--rounds must be 1..50");
        if (!File.Exists(serverDll)) throw new UsageException($"server not found at {serverDll} (build RawSocketChat, or pass --server-dll)");

        string benchDll = typeof(CompareCommand).Assembly.Location;
        resultsDir ??= Path.Combine(Path.GetTempPath(), "rawsocketchat-compare-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(resultsDir);

        bool canPin = pin && Environment.ProcessorCount >= 2 && File.Exists("/usr/bin/taskset");
        if (pin && !canPin)
            Console.Error.WriteLine("warning: cannot pin (needs 2 CPUs and taskset); running unpinned");
        if (canPin)
            PinSelf(1);
        // Every server and generator inherits this limit: 10,000+ connections need as many descriptors on each side.
        ProcessStats.RaiseFileLimit(Math.Max(idleConnections, Math.Max(broadcastSubscribers, chatUsers)) * 2L + 10_000);

        // The broadcast workloads measure fan-out, so RawSocketChat's store goes to tmpfs there (every commit is
        // fsynced, and on a shared disk that dominates). The chat workload keeps it on disk: the embedded default.
        string? tmpfs = Directory.Exists("/dev/shm") ? Path.Combine("/dev/shm", "rawsocketchat-bench-" + Environment.ProcessId) : null;
        if (tmpfs is not null)
            Directory.CreateDirectory(tmpfs);
        string currentWorkload = "";
        var allTargets = new Dictionary<string, Target>
        {
            ["rawsocketchat"] = new("rawsocketchat", "RawSocketChat", (port, dir) =>
            [
                "dotnet", serverDll, "--port", Str(port), "--log-level", "warn",
                "--max-connections", "10000000", "--max-connections-per-ip", "10000000",
                "--rate", "1000000", "--burst", "1000000", "--ip-rate", "1000000", "--ip-burst", "1000000",
                "--ping-interval", "10m", "--idle-timeout", "20m",
                "--data", currentWorkload.StartsWith("broadcast", StringComparison.Ordinal) && tmpfs is not null
                    ? Path.Combine(tmpfs, $"{Path.GetFileName(dir)}.db")
                    : Path.Combine(dir, "chat.db"),
            ]),
            ["kestrel"] = new("kestrel", "Kestrel + WebSockets middleware", (port, _) => ["dotnet", benchDll, "peer", "kestrel", "--port", Str(port)]),
            ["managed"] = new("managed", "ManagedWebSocket over TcpListener", (port, _) => ["dotnet", benchDll, "peer", "managed", "--port", Str(port)]),
        };
        List<Target> chosen = targets.Select(t => allTargets.TryGetValue(t, out Target? target) ? target : throw new UsageException($"unknown target '{t}'")).ToList();

        Metric clientCpu = new("client_cpu_pct", "generator CPU % (of its core)", false, Informational: true);
        Metric serverCpu = new("server_cpu_pct", "server CPU % (of its core)", false, Informational: true);
        // At a fixed offered rate, deliveries/s only says whether the server kept up (a server that fell behind and
        // catches up in the window even shows more than was offered): latency and `missing` are what compare.
        Metric offeredDeliveries = new("deliveries_per_s", "deliveries/s (fixed offered rate)", true, Informational: true);
        var allSpecs = new Dictionary<string, WorkloadSpec>
        {
            ["echo-latency"] = new("echo-latency", "100 connections, 32 B text, 1 in flight each",
                ["echo-latency", "--connections", "100", "--size", "32"],
                [new("msgs_per_s", "msgs/s", true), new("p50_ms", "p50 ms", false), new("p99_ms", "p99 ms", false), new("p999_ms", "p99.9 ms", false), serverCpu, clientCpu]),
            ["echo-throughput"] = new("echo-throughput", "50 connections × 16 in flight × 128 B",
                ["echo-throughput", "--connections", "50", "--inflight", "16", "--size", "128"],
                [new("msgs_per_s", "msgs/s", true), new("mb_per_s", "MB/s", true), new("p99_ms", "p99 ms", false), serverCpu, clientCpu]),
            ["broadcast-rate"] = new("broadcast-rate", $"{broadcastSubscribers:N0} subscribers, 1 publisher at {broadcastRate} msg/s",
                ["broadcast", "--connections", Str(broadcastSubscribers), "--rate", Str(broadcastRate)],
                [offeredDeliveries, new("p50_ms", "p50 ms", false), new("p99_ms", "p99 ms", false), new("missing", "missing", false), serverCpu, clientCpu]),
            ["broadcast-max"] = new("broadcast-max", $"{broadcastSubscribers:N0} subscribers, 1 publisher at max rate (256 unacked)",
                ["broadcast", "--connections", Str(broadcastSubscribers), "--rate", "0"],
                [new("deliveries_per_s", "deliveries/s", true), new("p50_ms", "p50 ms", false), new("p99_ms", "p99 ms", false), new("missing", "missing", false), serverCpu, clientCpu]),
            ["chat"] = new("chat", $"{chatUsers:N0} users in {chatRooms} rooms, {chatRate} msg/s each",
                ["chat", "--connections", Str(chatUsers), "--rooms", Str(chatRooms), "--rate", Str(chatRate)],
                [offeredDeliveries, new("ack_p50_ms", "ack p50 ms", false), new("ack_p99_ms", "ack p99 ms", false),
                 new("p50_ms", "delivery p50 ms", false), new("p99_ms", "delivery p99 ms", false), new("missing", "missing", false), new("chat_errors", "errors", false), serverCpu, clientCpu]),
            ["idle"] = new("idle", $"{idleConnections:N0} idle connections",
                ["idle", "--connections", Str(idleConnections)],
                [new("bytes_per_conn", "server bytes/connection (RSS)", false), new("opened", "opened", true, Informational: true)]),
        };
        List<WorkloadSpec> specs = workloads.Select(w => allSpecs.TryGetValue(w, out WorkloadSpec? s) ? s : throw new UsageException($"unknown workload '{w}'")).ToList();

        var results = new Dictionary<(string Workload, string Target), List<LoadResult>>();
        var failures = new List<string>();
        int port = portBase;
        var total = Stopwatch.StartNew();
        string loadAtStart = LoadAverage();
        foreach (WorkloadSpec spec in specs)
        {
            currentWorkload = spec.Name;
            for (int round = 1; round <= rounds; round++)
            {
                foreach (Target target in chosen)
                {
                    port++;
                    string label = $"{spec.Name} round {round}/{rounds} {target.Name}";
                    Console.Error.Write($"[{total.Elapsed:hh\\:mm\\:ss}] {label} … ");
                    string workDir = Path.Combine(resultsDir, $"{spec.Name}-{round}-{target.Name}");
                    Directory.CreateDirectory(workDir);
                    string jsonFile = Path.Combine(workDir, "result.json");
                    try
                    {
                        await using (RunningServer server = await target.StartAsync(port, workDir, canPin ? 0 : null))
                        {
                            string[] load = [.. spec.LoadArguments, "--url", $"ws://127.0.0.1:{port}/", "--duration", Str(duration),
                                "--warmup", Str(warmup), "--server-pid", Str(server.Pid), "--target", target.Name, "--quiet", "--json", jsonFile];
                            (int exit, string output) = await RunGeneratorAsync(benchDll, load, canPin ? 1 : null,
                                TimeSpan.FromSeconds(duration + warmup + 240));
                            await File.WriteAllTextAsync(Path.Combine(workDir, "generator.log"), output);
                            await File.WriteAllTextAsync(Path.Combine(workDir, "server.log"), server.Log);
                            if (exit != 0 || !File.Exists(jsonFile))
                                throw new IOException($"generator exit {exit}: {LastLines(output, 3)}");
                        }
                        LoadResult result = LoadResult.FromJson(await File.ReadAllTextAsync(jsonFile));
                        if (!results.TryGetValue((spec.Name, target.Name), out List<LoadResult>? list))
                            results[(spec.Name, target.Name)] = list = [];
                        list.Add(result);
                        Metric first = spec.Metrics[0];
                        Console.Error.WriteLine($"{first.Label} {LoadCommand.Format(result.Metrics.GetValueOrDefault(first.Key, double.NaN))}");
                    }
                    catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException)
                    {
                        failures.Add($"{label}: {e.Message}");
                        Console.Error.WriteLine($"failed: {e.Message}");
                    }
                }
            }
        }

        if (tmpfs is not null && Directory.Exists(tmpfs))
            Directory.Delete(tmpfs, recursive: true);

        string report = Report(specs, chosen, results, failures, rounds, duration, warmup, canPin, args, total.Elapsed, loadAtStart);
        Console.WriteLine(report);
        if (outFile is not null)
            await File.WriteAllTextAsync(outFile, report);
        Console.Error.WriteLine($"every run's JSON and logs: {resultsDir}");
        return 0;
    }

    private static string Str(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static string LastLines(string text, int count) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(count)).Trim();

    private static async Task<(int Exit, string Output)> RunGeneratorAsync(string benchDll, string[] load, int? cpu, TimeSpan timeout)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true };
        if (cpu is { } c)
        {
            start.FileName = "taskset";
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(Str(c));
            start.ArgumentList.Add("dotnet");
        }
        else
        {
            start.FileName = "dotnet";
        }
        start.ArgumentList.Add(benchDll);
        start.ArgumentList.Add("load");
        foreach (string a in load) start.ArgumentList.Add(a);
        using Process process = Process.Start(start) ?? throw new IOException("cannot start the load generator");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
            return (-1, "timed out\n" + await stdout + await stderr);
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Pins every thread of this process (the orchestrator) to <paramref name="cpu"/>, next to the generator.</summary>
    private static void PinSelf(int cpu)
    {
        using Process? taskset = Process.Start(new ProcessStartInfo("taskset", ["-a", "-cp", Str(cpu), Str(Environment.ProcessId)])
        {
            RedirectStandardOutput = true,
        });
        taskset?.WaitForExit();
    }

    private static string Report(List<WorkloadSpec> specs, List<Target> targets, Dictionary<(string, string), List<LoadResult>> results,
        List<string> failures, int rounds, double duration, double warmup, bool pinned, string[] args, TimeSpan elapsed, string loadAtStart)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"### Side by side — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {MachineDescription()}; load average (1, 5, 15 min) {loadAtStart} at the start, {LoadAverage()} at the end — anything above what the run itself adds (about 2 on 2 cores) is other work on the machine");
        md.AppendLine(CultureInfo.InvariantCulture, $"- .NET: {RuntimeInformation.FrameworkDescription} (SDK {DotnetSdkVersion()}), {RuntimeInformation.OSDescription}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- {(pinned ? "Each server pinned to CPU 0, the generator to CPU 1 (taskset)" : "NOT pinned")}; {rounds} interleaved rounds; {warmup} s warm-up + {duration} s measured per run; each run starts a fresh server process. Total {elapsed:hh\\:mm\\:ss}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Command: `compare {string.Join(' ', args)}`");
        md.AppendLine("- RawSocketChat runs with its SQLite store on (WAL, fsync per commit); for the broadcast workloads the file is on tmpfs (/dev/shm), for chat on disk. The peers store nothing.");
        md.AppendLine("- Cells are medians over the rounds. **vs best peer**: RawSocketChat's median against the better peer's, as a factor where > 1 means RawSocketChat is ahead (higher throughput, or lower latency / memory).");
        md.AppendLine();
        md.Append("| workload | metric |");
        foreach (Target t in targets) md.Append(CultureInfo.InvariantCulture, $" {t.Display} |");
        bool hasOurs = targets.Any(t => t.Name == "rawsocketchat") && targets.Count > 1;
        if (hasOurs) md.Append(" vs best peer |");
        md.AppendLine();
        md.Append("|---|---|");
        foreach (Target _ in targets) md.Append("---:|");
        if (hasOurs) md.Append("---:|");
        md.AppendLine();

        foreach (WorkloadSpec spec in specs)
        {
            bool firstRow = true;
            foreach (Metric metric in spec.Metrics)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {(firstRow ? $"**{spec.Name}**<br>{spec.Description}" : "")} | {metric.Label} |");
                firstRow = false;
                var medians = new Dictionary<string, double>();
                foreach (Target t in targets)
                {
                    double median = Median(results.GetValueOrDefault((spec.Name, t.Name))?.Select(r => r.Metrics.GetValueOrDefault(metric.Key, double.NaN)));
                    medians[t.Name] = median;
                    md.Append(CultureInfo.InvariantCulture, $" {(double.IsNaN(median) ? "n/a" : LoadCommand.Format(median))} |");
                }
                if (hasOurs)
                    md.Append(CultureInfo.InvariantCulture, $" {(metric.Informational ? "" : Versus(metric, medians))} |");
                md.AppendLine();
            }
        }

        if (failures.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Runs that failed (excluded from the medians):");
            foreach (string f in failures) md.AppendLine($"- {f}");
        }
        md.AppendLine();
        md.AppendLine("Rounds (first metric of each workload, in run order):");
        md.AppendLine();
        foreach (WorkloadSpec spec in specs)
        {
            Metric m = spec.Metrics[0];
            var parts = targets.Select(t => $"{t.Name} " + string.Join(" / ",
                (results.GetValueOrDefault((spec.Name, t.Name)) ?? []).Select(r => LoadCommand.Format(r.Metrics.GetValueOrDefault(m.Key, double.NaN)))));
            md.AppendLine($"- {spec.Name} ({m.Label}): {string.Join("; ", parts)}");
        }
        return md.ToString();
    }

    private static string Versus(Metric metric, Dictionary<string, double> medians)
    {
        double ours = medians.GetValueOrDefault("rawsocketchat", double.NaN);
        double[] peers = medians.Where(kv => kv.Key != "rawsocketchat" && !double.IsNaN(kv.Value)).Select(kv => kv.Value).ToArray();
        if (double.IsNaN(ours) || peers.Length == 0) return "n/a";
        double best = metric.HigherIsBetter ? peers.Max() : peers.Min();
        if (ours == best) return "equal";
        if (metric.HigherIsBetter ? best == 0 : ours == 0) return "ahead";
        if (metric.HigherIsBetter ? ours == 0 : best == 0) return "behind";
        double factor = metric.HigherIsBetter ? ours / best : best / ours;
        return factor >= 1 ? $"{factor:0.00}× ahead" : $"{factor:0.00}× (behind)";
    }

    private static double Median(IEnumerable<double>? values)
    {
        double[] sorted = (values ?? []).Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    internal static string MachineDescription()
    {
        string model = "unknown CPU";
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) model = line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        double memoryGiB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return $"{model}, {Environment.ProcessorCount} logical CPUs, {memoryGiB:0} GiB";
    }

    /// <summary>The first three fields of /proc/loadavg, or "unknown".</summary>
    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string DotnetSdkVersion()
    {
        try
        {
            using Process? p = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true });
            string version = p?.StandardOutput.ReadToEnd().Trim() ?? "?";
            p?.WaitForExit();
            return version;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }
}
