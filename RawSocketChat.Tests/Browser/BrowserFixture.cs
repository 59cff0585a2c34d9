using Microsoft.Playwright;
using RawSocketChat.Diagnostics;
using RawSocketChat.Hosting;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// One headless Chromium for all browser tests, driven by Playwright. The browser is Debian's (<c>/usr/bin/chromium</c>,
/// installed by <c>.ci/run</c> with apt), not one that Playwright downloads: set <c>CHROMIUM_PATH</c> to use another.
/// Without a Chromium the tests skip with the reason — unless <c>CI</c> is set, where they fail.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

    public IPlaywright? Playwright { get; private set; }
    public IBrowser? Browser { get; private set; }
    public string? Unavailable { get; private set; }

    public static bool OnCi => Environment.GetEnvironmentVariable("CI") is { Length: > 0 } ci && !ci.Equals("false", StringComparison.OrdinalIgnoreCase);

    public static string? FindChromium()
    {
        if (Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured)
            return File.Exists(configured) ? configured : null;
        return Candidates.FirstOrDefault(File.Exists);
    }

    public async Task InitializeAsync()
    {
        string? chromium = FindChromium();
        if (chromium is null)
        {
            Unavailable = "no Chromium found (looked for CHROMIUM_PATH, " + string.Join(", ", Candidates) + "); install it with `apt-get install -y chromium`";
            return;
        }
        try
        {
            Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
            Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Timeout = 60_000,
                // The machine has no internet: keep Chromium from trying to reach Google's services.
                Args =
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage",
                ],
            });
        }
        catch (Exception e)
        {
            Unavailable = $"Chromium at {chromium} did not start: {e.Message}";
        }
        Assertions.SetDefaultExpectTimeout(20_000); // generous: CI runs the other suites on the same 2 cores
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.CloseAsync();
        Playwright?.Dispose();
    }

    /// <summary>Skips (locally) or fails (on CI) when there is no browser to test with.</summary>
    public IBrowser RequireBrowser()
    {
        if (Browser is not null)
            return Browser;
        if (OnCi)
            Assert.Fail($"CI is set, so the browser tests must run, but {Unavailable}");
        Skip.If(true, $"Browser tests skipped: {Unavailable}");
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>
    /// The repository root: the folder holding chat.sln, found by walking up from the test binaries — or, when they
    /// were built elsewhere (<c>--artifacts-path</c>), from this source file's compile-time path.
    /// </summary>
    public static string RepoRoot => s_repoRoot.Value;

    public static string ClientHtml => Path.Combine(RepoRoot, "client.html");

    private static readonly Lazy<string> s_repoRoot = new(() =>
    {
        foreach (string? start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(SourceFile()) })
        {
            for (DirectoryInfo? dir = start is null ? null : new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "chat.sln")))
                    return dir.FullName;
            }
        }
        throw new InvalidOperationException($"chat.sln not found above {AppContext.BaseDirectory} or {SourceFile()}");
    });

    private static string SourceFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

    /// <summary>
    /// A server that serves the repository's client.html at GET /. The rate limits are raised: every browser context
    /// of a test shares 127.0.0.1, whose per-address budget would otherwise be shared by all of them.
    /// </summary>
    public static Task<TestServer> StartServerAsync(Action<ServerOptions>? configure = null) =>
        TestServer.StartAsync(o =>
        {
            o.ClientHtml = ClientHtml;
            o.Rate = 50;
            o.Burst = 100;
            o.IpRate = 500;
            o.IpBurst = 1000;
            o.LogLevel = LogLevel.Info;
            configure?.Invoke(o);
        });
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
