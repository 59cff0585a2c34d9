using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Deflate;

/// <summary>
/// Runs one of the Node scripts in <c>RawSocketChat.Tests/interop/</c> (ws-deflate.mjs, ws-tls.mjs) and returns the
/// JSON object it prints last. Node missing: skipped on a developer machine, failed on CI (see
/// <see cref="NodeWs.RequireNode"/>). The <c>ws</c> package is installed with <c>npm ci</c> when absent.
/// <para>A sibling of <see cref="NodeWs"/>, which is tied to ws-client.mjs; the two could share one runner.</para>
/// </summary>
internal static class NodeScripts
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    public static async Task<JsonElement> RunAsync(string script, params string[] arguments)
    {
        NodeWs.RequireNode();
        string folder = InteropFolder();
        await EnsureInstalledAsync(folder);

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(folder, script));
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);

        (int exitCode, string stdout, string stderr) = await RunAsync(start, TimeSpan.FromSeconds(60));
        string? line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (line is null)
            Assert.Fail($"{script} printed nothing (exit {exitCode}). stderr: {stderr}");
        JsonElement result = JsonDocument.Parse(line).RootElement.Clone();
        Assert.True(exitCode == 0 && result.GetProperty("ok").GetBoolean(), $"{script} failed (exit {exitCode}): {line} {stderr}");
        return result;
    }

    private static async Task EnsureInstalledAsync(string folder)
    {
        await InstallLock.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(folder, "node_modules", "ws", "package.json")))
                return;
            var npm = new ProcessStartInfo("npm", "ci --no-audit --no-fund")
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            (int exitCode, string stdout, string stderr) = await RunAsync(npm, TimeSpan.FromMinutes(3));
            Assert.True(exitCode == 0, $"npm ci in {folder} failed (exit {exitCode}):\n{stdout}\n{stderr}");
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static async Task<(int, string, string)> RunAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
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
            Assert.Fail($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string InteropFolder([CallerFilePath] string thisFile = "")
    {
        string folder = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile) ?? ".", "..", "interop"));
        if (!File.Exists(Path.Combine(folder, "package.json")))
            throw new DirectoryNotFoundException($"{folder} (with package.json) was not found");
        return folder;
    }
}
