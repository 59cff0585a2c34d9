using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace RawSocketChat.Bench.Compare;

/// <summary>A server under test: how to start it as a separate process on a given port.</summary>
internal sealed record Target(string Name, string Display, Func<int, string, string[]> Command)
{
    /// <summary>Starts the server pinned to <paramref name="cpu"/> (when taskset exists) and waits until it accepts.</summary>
    public async Task<RunningServer> StartAsync(int port, string workDirectory, int? cpu)
    {
        string[] command = Command(port, workDirectory);
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDirectory,
        };
        if (cpu is { } c)
        {
            // taskset execs the command, so the process id is the server's own and every thread it creates is pinned.
            start.FileName = "taskset";
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(c.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (string a in command) start.ArgumentList.Add(a);
        }
        else
        {
            start.FileName = command[0];
            foreach (string a in command.Skip(1)) start.ArgumentList.Add(a);
        }
        var process = Process.Start(start) ?? throw new IOException($"cannot start {Name}");
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new RunningServer(this, process, port, log);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
                throw new IOException($"{Name} exited with {process.ExitCode}: {server.Log}");
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        await server.DisposeAsync();
        throw new IOException($"{Name} did not listen on port {port} within 30 s");
    }
}

/// <summary>A started server process; disposing asks it to stop (SIGTERM) and kills it if it does not.</summary>
internal sealed class RunningServer(Target target, Process process, int port, System.Text.StringBuilder log) : IAsyncDisposable
{
    public Target Target => target;
    public int Port => port;
    public int Pid => process.Id;
    public string Log { get { lock (log) return log.ToString(); } }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            kill(process.Id, 15); // SIGTERM: graceful shutdown
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
        }
        process.Dispose();
    }
}
