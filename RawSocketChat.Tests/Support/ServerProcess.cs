using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace RawSocketChat.Tests.Support;

/// <summary>
/// The built server run as a child process: <c>dotnet RawSocketChat.dll</c> from the test output folder (the project
/// reference copies it there), on 127.0.0.1 with an ephemeral port. Unlike <see cref="TestServer"/>, it can be killed
/// with SIGKILL or stopped with SIGTERM like a real deployment, and its memory is its own: <see cref="RssBytes"/>
/// reads the kernel's resident set size for it, untouched by the test's own allocations.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IReadOnlyList<string> _args;
    private readonly bool _ownsDataFolder;

    private ServerProcess(Process process, string dataFile, IReadOnlyList<string> args, bool ownsDataFolder)
    {
        _process = process;
        DataFile = dataFile;
        _args = args;
        _ownsDataFolder = ownsDataFolder;
    }

    public int Pid => _process.Id;
    public int Port { get; private set; }
    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);
    public Uri WebSocketUri(string path = "/chat") => new($"ws://127.0.0.1:{Port}{path}");

    /// <summary>The SQLite file; <see cref="RestartAsync"/> starts a new process on the same one.</summary>
    public string DataFile { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the server wrote to stdout and stderr so far.</summary>
    public string LogText
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>
    /// Starts the server with <paramref name="args"/> after test defaults (loopback, port 0, cheap password hashing,
    /// a fresh data file in a temporary folder unless <paramref name="dataFile"/> is given) and returns once it
    /// listens. Later options win, so <paramref name="args"/> may override the defaults.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(IEnumerable<string>? args = null, string? dataFile = null)
    {
        RequireLinux();
        bool ownsFolder = dataFile is null;
        dataFile ??= Path.Combine(Path.GetTempPath(), "rawsocketchat-process-tests", Guid.NewGuid().ToString("N"), "chat.db");
        return await LaunchAsync(dataFile, args?.ToList() ?? [], ownsFolder);
    }

    /// <summary>
    /// Skips the calling <c>[SkippableFact]</c> on other systems: the measurements read /proc, SIGTERM goes through
    /// libc, and "other clients" connect from 127.0.0.2 and up, which only Linux routes to loopback by default.
    /// </summary>
    public static void RequireLinux() =>
        Skip.IfNot(OperatingSystem.IsLinux(), "the attack, durability and proxy tests need Linux (/proc, POSIX signals, 127.0.0.0/8 on loopback)");

    /// <summary>A new process on the same data file and options (after <see cref="Kill"/> or <see cref="Terminate"/>).</summary>
    public async Task<ServerProcess> RestartAsync()
    {
        if (!_process.HasExited)
            throw new InvalidOperationException("the server is still running");
        return await LaunchAsync(DataFile, _args, ownsFolder: false);
    }

    private static async Task<ServerProcess> LaunchAsync(string dataFile, IReadOnlyList<string> args, bool ownsFolder)
    {
        string folder = AppContext.BaseDirectory;
        string dll = Path.Combine(folder, "RawSocketChat.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException("RawSocketChat.dll is not next to the tests (it comes with the project reference)", dll);

        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = folder, // client.html is copied there too
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (string arg in (string[])["--host", "127.0.0.1", "--port", "0", "--log-level", "info", "--pbkdf2-iterations", "1000",
                     "--shutdown-timeout", "5s", "--data", dataFile, "--diagnostics", "on"])
            start.ArgumentList.Add(arg);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        // Options come from the command line only: a RAWSOCKETCHAT_* variable of the machine must not change a test.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("RAWSOCKETCHAT_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ServerProcess(process, dataFile, args, ownsFolder);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.Exited += (_, _) => server._listening.TrySetException(new InvalidOperationException("the server exited before it listened"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            server.Port = await server._listening.Task.WaitAsync(StartTimeout);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"the server did not start: {e.Message}. Its output:\n{server.LogText}", e);
        }
        return server;
    }

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
        if (!_listening.Task.IsCompleted && ListeningLine().Match(line) is { Success: true } m)
            _listening.TrySetResult(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"listening on https?://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();

    /// <summary>The dotnet host running these tests, so the server runs on the same runtime.</summary>
    private static string DotnetHost()
    {
        string? current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
            return current;
        string? fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk) ? fromSdk : "dotnet";
    }

    /// <summary>Resident set size (VmRSS in /proc/&lt;pid&gt;/status): the server's physical memory now.</summary>
    public long RssBytes
    {
        get
        {
            foreach (string line in File.ReadLines($"/proc/{Pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            throw new InvalidOperationException("VmRSS not found");
        }
    }

    /// <summary>
    /// What the server keeps: <c>GET /debug/memory</c> (<c>--diagnostics on</c>, which every test server has) runs a
    /// full blocking compacting collection in the server and reports its live managed heap. Unlike
    /// <see cref="RssBytes"/> this does not depend on how much garbage the GC's budget lets pile up between
    /// collections, which .NET sizes from the CPU's cache: a bound on it holds on every machine.
    /// </summary>
    public async Task<ServerMemory> MemoryAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string json = await http.GetStringAsync($"http://127.0.0.1:{Port}/debug/memory");
        using var document = System.Text.Json.JsonDocument.Parse(json);
        System.Text.Json.JsonElement root = document.RootElement;
        return new ServerMemory(root.GetProperty("liveHeapBytes").GetInt64(), root.GetProperty("committedBytes").GetInt64(),
            root.GetProperty("connectionsOpen").GetInt64(), root.GetProperty("connectionsReachable").GetInt64(), RssBytes);
    }

    /// <summary>
    /// Waits (up to 30 s) until exactly <paramref name="open"/> connections are open and no closed one is still
    /// reachable after a full collection, and returns that reading. A closed connection that never becomes
    /// collectable is a leak, and fails the test here.
    /// </summary>
    public async Task<ServerMemory> SettledMemoryAsync(int open)
    {
        ServerMemory last = default;
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            last = await MemoryAsync();
            if (last.ConnectionsOpen == open && last.ConnectionsReachable == open)
                return last;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"expected {open} connection(s) open and reachable, and no closed one still reachable (a leak); the server has {last}");
            await Task.Delay(100);
        }
    }

    /// <summary>Open file descriptors of the server (sockets included), from /proc/&lt;pid&gt;/fd.</summary>
    public int OpenFileDescriptors => Directory.GetFiles($"/proc/{Pid}/fd").Length;

    /// <summary>SIGKILL: the process ends at once, without a chance to flush or close anything — a crash.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
            _process.Kill(); // SIGKILL on Unix
    }

    /// <summary>SIGTERM: what systemd, Docker and Kubernetes send; the server shuts down gracefully.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, SIGTERM) != 0)
            throw new InvalidOperationException($"kill(SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits for the process to end and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Log lines at error level ("fail") or naming an unexpected error: there should be none.</summary>
    public IReadOnlyList<string> ErrorLines() =>
        LogText.Split('\n').Where(l => l.Contains(" fail ", StringComparison.Ordinal) || l.Contains("unexpected error", StringComparison.Ordinal)
            || l.Contains("Unhandled exception", StringComparison.Ordinal)).ToList();

    /// <summary>Fails the test if the server logged an error or died.</summary>
    public void AssertHealthy()
    {
        IReadOnlyList<string> errors = ErrorLines();
        Assert.True(errors.Count == 0, $"the server logged {errors.Count} error(s):\n{string.Join('\n', errors.Take(10))}");
        Assert.False(_process.HasExited, $"the server exited (code {(_process.HasExited ? _process.ExitCode : 0)})");
    }

    public int CountLog(string text)
    {
        string log = LogText;
        int count = 0;
        for (int i = log.IndexOf(text, StringComparison.Ordinal); i >= 0; i = log.IndexOf(text, i + text.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException) { }
        _process.Dispose();
        if (_ownsDataFolder)
            DeleteDataFolder();
    }

    /// <summary>Removes the temporary data folder (for tests that passed their own file and are done with it).</summary>
    public void DeleteDataFolder()
    {
        try
        {
            string? folder = Path.GetDirectoryName(DataFile);
            if (folder is not null && folder.Contains("rawsocketchat-process-tests", StringComparison.Ordinal) && Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
        catch (IOException) { }
    }

    private const int SIGTERM = 15;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}

/// <summary>
/// One reading of <see cref="ServerProcess.MemoryAsync"/>: the live managed heap and the GC's committed memory just
/// after a full collection; the WebSocket connections open, and those still reachable (open, or closed and leaked);
/// and the RSS read right after (a second, coarser figure that also sees native memory).
/// </summary>
public readonly record struct ServerMemory(long LiveHeapBytes, long CommittedBytes, long ConnectionsOpen, long ConnectionsReachable, long RssBytes)
{
    public override string ToString() =>
        $"live heap {Mib(LiveHeapBytes)}, GC committed {Mib(CommittedBytes)}, RSS {Mib(RssBytes)}, {ConnectionsOpen} connection(s) open, {ConnectionsReachable} reachable";

    public static string Mib(long bytes) => $"{bytes / 1048576.0:0.0} MiB";
}

/// <summary>
/// The attack, durability and proxy tests run one at a time: each loads the 2-core CI machine on purpose, and memory
/// and latency measurements of one must not include another.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeavyTests
{
    public const string Name = "Heavy: attacks, durability, proxy";
}
