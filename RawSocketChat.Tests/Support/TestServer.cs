using System.Net;
using RawSocketChat.Diagnostics;
using RawSocketChat.Hosting;

namespace RawSocketChat.Tests.Support;

/// <summary>
/// The real server, started in-process on 127.0.0.1 with an ephemeral port, with its log captured so tests can
/// assert on it (for example that no unexpected exception was logged).
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly StringWriter _logText = new();
    private App? _app;

    private TestServer(ServerOptions options)
    {
        Options = options;
    }

    public ServerOptions Options { get; }

    /// <summary>
    /// The <c>--admin-secret</c> of every test server: registering a name listed in <c>--admin</c> needs it
    /// (<see cref="ChatClient.RegisterAsync(TestServer, string, string, string?)"/> sends it for such names).
    /// </summary>
    public const string AdminSecretForTests = "test-admin-secret";

    /// <summary>The page's address with the admin secret in its fragment, as the server's start-up log offers it.</summary>
    public string AdminPageUri => $"{HttpUri}#admin-secret={AdminSecretForTests}";
    public App App => _app ?? throw new InvalidOperationException("not started");
    /// <summary>The chat's clock; null for the system's.</summary>
    public TimeProvider? Time { get; private init; }
    public int Port { get; private set; }
    public Uri HttpUri => new($"http://127.0.0.1:{Port}/");
    public Uri WebSocketUri(string path = "/echo") => new($"ws://127.0.0.1:{Port}{path}");
    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>Everything the server logged so far.</summary>
    public string LogText
    {
        get { lock (_logText) return _logText.ToString(); }
    }

    /// <summary>
    /// Starts a server; <paramref name="configure"/> adjusts options (a temporary data file is preset), and
    /// <paramref name="time"/> is the chat's clock (the system's by default).
    /// </summary>
    public static async Task<TestServer> StartAsync(Action<ServerOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            LogLevel = LogLevel.Debug,
            Data = Path.Combine(Path.GetTempPath(), "rawsocketchat-tests", Guid.NewGuid().ToString("N"), "chat.db"),
            Pbkdf2Iterations = 1000,
            AdminSecret = AdminSecretForTests,
            ShutdownTimeout = TimeSpan.FromSeconds(3),
        };
        configure?.Invoke(options);
        var server = new TestServer(options) { Time = time };
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts (again, after <see cref="StopAsync"/>) with the same options and data, on the same port if it was known.</summary>
    public async Task StartAgainAsync()
    {
        if (_app is not null) throw new InvalidOperationException("already running");
        if (Port != 0) Options.Port = Port;
        _app = await App.StartAsync(Options, new Log(Options.LogLevel, new SynchronizedWriter(_logText)), Time);
        Port = _app.Server.LocalEndPoint.Port;
    }

    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.DisposeAsync();
        _app = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            string? dir = Path.GetDirectoryName(Options.Data);
            if (dir is not null && dir.Contains("rawsocketchat-tests") && Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
        catch (IOException) { }
    }

    private sealed class SynchronizedWriter(StringWriter inner) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;
        public override void Write(char value) { lock (inner) inner.Write(value); }
        public override void WriteLine(string? value) { lock (inner) inner.WriteLine(value); }
    }
}
