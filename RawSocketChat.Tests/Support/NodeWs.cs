using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace RawSocketChat.Tests.Support;

/// <summary>
/// Runs <c>RawSocketChat.Tests/node-interop/ws-client.mjs</c>, a client built on Node's <c>ws</c> package, and returns the
/// JSON object it prints. <c>ws</c> is installed once with <c>npm ci</c> from the committed package-lock.json, only
/// when node_modules does not already hold the locked version.
/// <para>
/// Without <c>node</c> on PATH the calling test is skipped with a message, unless the environment variable
/// <c>CI</c> is set: then a missing Node is a broken build machine and the test fails.
/// </para>
/// </summary>
public static class NodeWs
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static bool _installed;

    /// <summary>Skips the current <c>[SkippableFact]</c> when Node is missing on a developer machine; fails on CI.</summary>
    public static void RequireNode()
    {
        if (FindOnPath("node") is not null)
            return;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Assert.Fail("node is not on PATH, and CI is set: the interop tests must run on CI. Install Node.js (18 or later).");
        Skip.If(true, "node is not on PATH: the Node 'ws' interop tests were skipped. Install Node.js (18 or later) to run them.");
    }

    /// <summary>Runs one scenario of ws-client.mjs against <paramref name="url"/>; fails the test unless it reports ok.</summary>
    public static Task<JsonElement> RunAsync(Uri url, string scenario) =>
        RunScriptAsync("ws-client.mjs", TimeSpan.FromSeconds(30), url.ToString(), scenario);

    /// <summary>
    /// Runs a script of the node-interop folder (installing its locked packages first if needed) and returns the JSON
    /// object it prints last; fails the test unless that object says <c>"ok": true</c>.
    /// </summary>
    public static async Task<JsonElement> RunScriptAsync(string script, TimeSpan timeout, params string[] arguments)
    {
        RequireNode();
        string folder = InteropFolder();
        await EnsureInstalledAsync(folder);

        (int exitCode, string stdout, string stderr) = await RunProcessAsync(
            FindOnPath("node")!, folder, timeout, [Path.Combine(folder, script), .. arguments]);

        string label = $"{script} {string.Join(' ', arguments)}";
        string? line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (line is null)
            Assert.Fail($"{label} printed nothing (exit {exitCode}). stderr: {stderr}");
        JsonElement result = JsonDocument.Parse(line).RootElement.Clone();
        Assert.True(exitCode == 0 && result.GetProperty("ok").GetBoolean(), $"{label} failed (exit {exitCode}): {line} {stderr}");
        return result;
    }

    /// <summary>
    /// The interop folder in the source tree. Tests run from an output folder that can be anywhere (--artifacts-path),
    /// so the path is taken from this source file's location at compile time, with a search upwards as a fallback.
    /// </summary>
    private static string InteropFolder([CallerFilePath] string thisFile = "")
    {
        string fromSource = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile) ?? ".", "..", "node-interop"));
        if (File.Exists(Path.Combine(fromSource, "package.json")))
            return fromSource;
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "RawSocketChat.Tests", "node-interop");
                if (File.Exists(Path.Combine(candidate, "package.json")))
                    return candidate;
            }
        }
        throw new DirectoryNotFoundException("RawSocketChat.Tests/node-interop (with package.json) was not found");
    }

    private static async Task EnsureInstalledAsync(string folder)
    {
        await InstallLock.WaitAsync();
        try
        {
            if (_installed || IsInstalled(folder))
            {
                _installed = true;
                return;
            }
            string npm = FindOnPath(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
                ?? throw new InvalidOperationException("node is on PATH but npm is not: cannot install the 'ws' package");
            (int exitCode, string stdout, string stderr) = await RunProcessAsync(npm, folder, TimeSpan.FromMinutes(3), "ci", "--no-audit", "--no-fund");
            Assert.True(exitCode == 0, $"npm ci in {folder} failed (exit {exitCode}):\n{stdout}\n{stderr}");
            Assert.True(IsInstalled(folder), $"npm ci in {folder} succeeded but node_modules/ws is not the locked version");
            _installed = true;
        }
        finally
        {
            InstallLock.Release();
        }
    }

    /// <summary>True when node_modules holds the exact ws version package-lock.json asks for: no network needed.</summary>
    private static bool IsInstalled(string folder)
    {
        string installed = Path.Combine(folder, "node_modules", "ws", "package.json");
        string lockFile = Path.Combine(folder, "package-lock.json");
        if (!File.Exists(installed) || !File.Exists(lockFile))
            return false;
        try
        {
            using JsonDocument have = JsonDocument.Parse(File.ReadAllText(installed));
            using JsonDocument want = JsonDocument.Parse(File.ReadAllText(lockFile));
            string? haveVersion = have.RootElement.GetProperty("version").GetString();
            string? wantVersion = want.RootElement.GetProperty("packages").GetProperty("node_modules/ws").GetProperty("version").GetString();
            return haveVersion is not null && haveVersion == wantVersion;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string? FindOnPath(string program)
    {
        string[] names = OperatingSystem.IsWindows() && !program.EndsWith(".cmd", StringComparison.Ordinal) ? [program + ".exe", program] : [program];
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string name in names)
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunProcessAsync(string fileName, string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
