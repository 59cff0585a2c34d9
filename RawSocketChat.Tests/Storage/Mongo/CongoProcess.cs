using System.Diagnostics;
using System.Runtime.CompilerServices;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Storage.Mongo;

/// <summary>
/// A private instance of the in-memory test server (<c>mongo-test/start.mjs</c>) for the tests that take MongoDB away
/// mid-run: they cannot stop the shared one that <c>.ci/run</c> started. The server keeps nothing when stopped, so a
/// restart on the same port is an empty MongoDB at the same address — enough to show that the driver reconnects.
/// Node missing: skipped on a developer machine, failed on CI. <c>npm ci</c> runs in <c>mongo-test/</c> when its
/// packages are not installed yet.
/// </summary>
internal sealed class CongoProcess : IAsyncDisposable
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private readonly string _folder;
    private readonly string _readyFile = Path.Combine(Path.GetTempPath(), $"congodb-{Guid.NewGuid():N}.ready");
    private Process? _process;

    private CongoProcess(string folder, int port)
    {
        _folder = folder;
        Port = port;
    }

    public int Port { get; private set; }

    public string ConnectionString => $"mongodb://127.0.0.1:{Port}/?directConnection=true";

    public static async Task<CongoProcess> StartAsync()
    {
        NodeWs.RequireNode();
        string folder = Folder();
        await EnsureInstalledAsync(folder);
        var congo = new CongoProcess(folder, 0);
        await congo.StartAgainAsync();
        return congo;
    }

    /// <summary>Starts the server (again), on the port it had before if it had one.</summary>
    public async Task StartAgainAsync()
    {
        if (_process is not null)
            throw new InvalidOperationException("already running");
        File.Delete(_readyFile);
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(_folder, "start.mjs"));
        start.ArgumentList.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(_readyFile);
        Process process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (!File.Exists(_readyFile))
        {
            if (process.HasExited)
                Assert.Fail($"mongo-test/start.mjs exited with {process.ExitCode} before it was ready");
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
                Assert.Fail("mongo-test/start.mjs was not ready within 30 s");
            await Task.Delay(50);
        }
        string[] line = (await File.ReadAllTextAsync(_readyFile)).Trim().Split(' ');
        Port = int.Parse(line[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Kills the server at once, as a crash would (SIGKILL): connections drop without a goodbye.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
            return;
        _process = null;
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        await process.WaitForExitAsync();
        process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        File.Delete(_readyFile);
    }

    private static async Task EnsureInstalledAsync(string folder)
    {
        await InstallLock.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(folder, "node_modules", "@push.rocks", "smartmongo", "package.json")))
                return;
            var npm = new ProcessStartInfo("npm", "ci --no-audit --no-fund")
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using Process process = Process.Start(npm) ?? throw new InvalidOperationException("npm did not start");
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"npm ci in mongo-test failed ({process.ExitCode}): {await stdout} {await stderr}");
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static string Folder([CallerFilePath] string thisFile = "")
    {
        string fromSource = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile) ?? ".", "..", "..", "..", "mongo-test"));
        if (File.Exists(Path.Combine(fromSource, "start.mjs")))
            return fromSource;
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "mongo-test");
                if (File.Exists(Path.Combine(candidate, "start.mjs")))
                    return candidate;
            }
        }
        throw new InvalidOperationException("mongo-test/start.mjs not found");
    }
}
