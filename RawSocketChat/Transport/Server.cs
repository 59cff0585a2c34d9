using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using RawSocketChat.Diagnostics;
using RawSocketChat.Http;
using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;

namespace RawSocketChat.Transport;

/// <summary>
/// The TCP side: accepts connections on one port, runs the opening handshake on each, and hands upgraded ones to
/// <see cref="WebSocketConnection"/>. One timer drives every connection's heartbeat. No HTTP or WebSocket library
/// is involved: a <see cref="TcpListener"/>, a <see cref="NetworkStream"/> and pipes. With <c>--tls-cert</c>, an
/// <see cref="SslStream"/> sits between the network stream and the pipe (<see cref="TlsTunnel"/>), and the same port
/// serves https:// and wss://.
/// <para>
/// This class is the life of a connection on the port, from the accept to the last byte: the deadline, the order of
/// the steps, the caps, the registry of open connections and the shutdown. The HTTP spoken before the upgrade is
/// <see cref="HttpExchange"/>'s, the TLS <see cref="TlsTunnel"/>'s.
/// </para>
/// </summary>
public sealed class Server : IAsyncDisposable
{
    /// <summary>
    /// How a connection's socket is read: 4 KiB reads, and zero-byte reads first, so that an idle connection waits for
    /// data without holding a buffer (the Kestrel idea). The receive-path benchmark reads the same way.
    /// </summary>
    internal static readonly StreamPipeReaderOptions InputPipeOptions =
        new(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true);

    private readonly ServerSettings _config;
    private readonly Router _router;
    private readonly HttpExchange _http;
    private readonly Log _log;
    private readonly OriginPolicy _origins;
    private readonly ProxyList _proxies;
    private readonly ConnectionSettings _settings;
    private readonly ConnectionLimiter _limiter;
    private readonly ServerMetrics? _metrics;
    private readonly ConnectionTracker? _tracker;
    private readonly IFrameTapSource? _inspector;
    private readonly TcpListener _listener;
    private readonly TlsTunnel? _tls;
    // Cancelled when shutdown begins: stops accepting and drops handshakes in progress.
    private readonly CancellationTokenSource _stopping = new();
    // Cancelled when shutdown ends: stops the heartbeat, which enforces close timeouts until then.
    private readonly CancellationTokenSource _stopped = new();
    private readonly ConcurrentDictionary<long, WebSocketConnection> _open = new();
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private Task? _acceptLoop, _heartbeatLoop;
    private long _nextId;
    private int _stopCalled;
    private int _sockets;

    public Server(ServerSettings settings, Router router, Log log, ServerMetrics? metrics = null, ConnectionTracker? tracker = null,
        IFrameTapSource? inspector = null)
    {
        _inspector = inspector;
        _metrics = metrics;
        _tracker = tracker;
        _config = settings;
        _router = router;
        _log = log;
        _http = new HttpExchange(router, settings.MaxHeaderBytes, log, metrics);
        _origins = new OriginPolicy(settings.AllowedOrigins);
        _proxies = ProxyList.Parse(settings.TrustedProxies);
        _limiter = new ConnectionLimiter(settings.MaxConnections, settings.MaxConnectionsPerIp);
        _settings = settings.Connection with
        {
            Metrics = metrics,
            Deflate = MessageInflater.IsSupported ? settings.Connection.Deflate : null,
        };
        if (settings.Connection.Deflate is not null && !MessageInflater.IsSupported)
            _log.Warn("permessage-deflate is off: the app switch System.IO.Compression.UseStrictValidation prevents inflating frame by frame");
        // Loaded before listening, so a wrong path or a key that does not match stops the start with the reason.
        _tls = settings.TlsEnabled ? new TlsTunnel(TlsCertificates.Load(settings.TlsCert, settings.TlsKey), _http, log, _settings.CloseTimeout) : null;
        IPAddress address = settings.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(settings.Host);
        _listener = new TcpListener(address, settings.Port);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Open WebSocket connections right now.</summary>
    public int OpenConnections => _open.Count;

    public IEnumerable<WebSocketConnection> Connections => _open.Values;

    public void Start()
    {
        _listener.Server.NoDelay = true;
        _listener.Start(backlog: 1024);
        _log.Info(_tls is null
            ? $"listening on http://{LocalEndPoint} (ws://{LocalEndPoint}/)"
            : $"listening on https://{LocalEndPoint} (wss://{LocalEndPoint}/) certificate=\"{_tls.Certificate.Subject}\" expires={_tls.Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}");
        _acceptLoop = AcceptLoopAsync();
        _heartbeatLoop = HeartbeatLoopAsync();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException) when (_stopping.IsCancellationRequested) { break; }
            catch (SocketException e)
            {
                // Running out of file descriptors must not end the server: log, breathe, keep accepting.
                _log.Warn($"accept failed error={e.SocketErrorCode}");
                await Task.Delay(50);
                continue;
            }

            long id = Interlocked.Increment(ref _nextId);
            Task task = HandleSocketAsync(id, socket);
            _running[id] = task;
            _ = task.ContinueWith(static (_, state) =>
            {
                var (running, key) = ((ConcurrentDictionary<long, Task>, long))state!;
                running.TryRemove(key, out Task? _);
            }, (_running, id), TaskScheduler.Default);
        }
    }

    private async Task HandleSocketAsync(long id, Socket socket)
    {
        await Task.Yield(); // leave the accept loop at once
        Interlocked.Increment(ref _sockets);
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        socket.NoDelay = true;
        var network = new NetworkStream(socket, ownsSocket: true);
        Stream stream = network;
        PipeReader? input = null;
        // The handshake deadline (slowloris) runs from the accept: it covers the TLS handshake and the request head
        // (RFC 6455 §10.4 [6455-10.4-handshake-timeout]).
        var handshakeDeadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        handshakeDeadline.CancelAfter(_config.HandshakeTimeout);
        try
        {
            if (_tls is not null)
            {
                SslStream? tls = await _tls.AuthenticateAsync(socket, network, remote, handshakeDeadline.Token);
                if (tls is null)
                    return;
                stream = tls;
            }
            input = PipeReader.Create(stream, InputPipeOptions);
            await ServeAsync(id, socket, stream, input, remote, handshakeDeadline);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            _log.Debug($"connection id={id} peer={remote} lost: {e.GetType().Name}");
        }
        catch (Exception e)
        {
            _log.Error($"unexpected error id={id} peer={remote}", e);
        }
        finally
        {
            handshakeDeadline.Dispose();
            if (input is not null)
                await input.CompleteAsync();
            if (stream is SslStream tls)
                await _tls!.CloseAsync(tls);
            await LingeringCloseAsync(socket);
            await network.DisposeAsync();
            Interlocked.Decrement(ref _sockets);
        }
    }

    /// <summary>
    /// SIGHUP: reads the certificate and key files again. New TLS handshakes use the new certificate; open connections
    /// keep theirs and are not dropped. On failure the old certificate stays and the reason is logged.
    /// </summary>
    public bool ReloadTlsCertificates()
    {
        if (_tls is null)
        {
            _log.Info("tls reload: TLS is not configured (--tls-cert), nothing to reload");
            return false;
        }
        return _tls.Reload();
    }

    private async Task ServeAsync(long id, Socket socket, Stream stream, PipeReader input, IPEndPoint remote, CancellationTokenSource handshakeDeadline)
    {
        // 1. Read the request head, within the size limit and the handshake deadline (slowloris), which started at
        //    the accept and so also counts the TLS handshake. RFC 6455 §7.2.2 [6455-7.2.2-abort-handshake]: a refused
        //    or unfinished handshake ends with the TCP connection; RFC 6455 §10.7 [6455-10.7-drop]: one that never
        //    completes is dropped without an answer.
        HttpRequest? request;
        using (CancellationTokenSource deadline = handshakeDeadline)
        {
            (request, HttpError? error) = await _http.ReadRequestHeadAsync(input, deadline.Token);
            if (request is null)
            {
                if (error is { } e)
                    await _http.RejectAsync(stream, remote, HttpResponse.Error(e.StatusCode, e.Reason), headOnly: false);
                else
                    _log.Info($"reject peer={remote} reason=\"{(deadline.IsCancellationRequested ? "handshake timeout" : "closed before a complete request")}\" action=drop");
                return;
            }
        }

        IPAddress client = _proxies.ResolveClient(remote.Address, request.Get("X-Forwarded-For"));

        // 2. Route. A plain page is answered and the connection closed, even when the request asked for an upgrade
        //    [6455-4.2.2-resource-page]: the path alone decides (a deviation, docs/rfc6455-requirements.md).
        IWebSocketHandler? handler = _router.FindWebSocket(request.Path);
        if (handler is null)
        {
            await _http.AnswerPageAsync(stream, request, remote, client);
            return;
        }

        // 3. The opening handshake proper (RFC 6455 §4.2).
        HttpResponse response = Handshake.Accept(request, handler.Subprotocols, _origins, _settings.Deflate, out DeflateParameters? deflate);
        if (!response.IsUpgrade)
        {
            await _http.RejectAsync(stream, remote, response, request.Method == "HEAD", request.Path);
            return;
        }

        // 4. Connection caps, decided before the upgrade so a refused client costs us one response (RFC 6455 §10.4
        //    [6455-10.4-connections]).
        if (_stopping.IsCancellationRequested || !_limiter.TryAcquire(client))
        {
            var busy = HttpResponse.Error(503, _stopping.IsCancellationRequested ? "Server shutting down" : "Too many connections")
                .With("Retry-After", "5");
            await _http.RejectAsync(stream, remote, busy, false, request.Path);
            return;
        }

        // --inspector: a connection whose address names a watcher's token reports its frames to that watcher.
        IFrameTapWatch? watch = null;
        FrameTap? tap = _inspector?.Attach(request, response, client, deflate is not null, out watch);
        // A connection may live for days: keep what the log needs and let the request head and its headers go.
        string path = request.Path;
        request = null;
        try
        {
            string? subprotocol = response.Headers.FirstOrDefault(h => h.Key == "Sec-WebSocket-Protocol").Value;
            var connection = new WebSocketConnection(id, stream, input, _settings, remote, client, path, subprotocol,
                onAbort: () => CloseSocket(socket), deflate, tap);
            if (watch is not null)
                watch.Subject = connection;
            _tracker?.Track(connection);
            // Registered before the client can see the 101, then checked against a shutdown that began meanwhile:
            // StopAsync marks itself started before it walks _open, so either it finds this connection or we see the
            // mark. Without this, a handshake finishing during shutdown got no 1001 and was dropped at the timeout.
            _open[id] = connection;
            if (Volatile.Read(ref _stopCalled) != 0)
                connection.Close(CloseCode.GoingAway, "server shutting down"); // queued; sent after the 101 below
            await HttpExchange.WriteResponseAsync(stream, response, headOnly: false);
            if (AfterUpgradeWritten is { } seam)
                await seam();
            _metrics?.ConnectionOpened();
            _log.Info($"open id={id} peer={remote} client={client} path={path}{(subprotocol is null ? "" : " subprotocol=" + subprotocol)}{(deflate is null ? "" : $" extensions=\"{deflate}\"")}");

            var clock = Stopwatch.StartNew();
            CloseInfo close = await connection.RunAsync(handler);
            if (watch is not null && watch.Subject == connection)
                watch.Subject = null;
            _metrics?.ConnectionClosed();
            _open.TryRemove(id, out _);
            if (connection.UnhandledException is { } bug)
                _log.Error($"unexpected error in handler id={id} peer={remote} path={path}", bug);
            // RFC 6455 §7.1.7 [6455-7.1.7-log]: the server "SHOULD log the problem"; the reason names the rule.
            _log.Info($"close id={id} peer={remote} path={path} duration={clock.Elapsed.TotalSeconds:0.000}s code={close.Code} reason=\"{close.Reason}\" by={close.InitiatedBy.ToString().ToLowerInvariant()}");
        }
        finally
        {
            _open.TryRemove(id, out _);
            _limiter.Release(client);
        }
    }

    /// <summary>
    /// Sends FIN, then reads and discards whatever the peer still sends until it closes too, for at most the close
    /// timeout (not at all once shutdown has begun). Closing a socket that has unread input makes the kernel send RST
    /// instead of FIN, and a peer that gets RST may throw away our last bytes unread: a client in the middle of sending
    /// an oversized message would see 1006 instead of our Close 1009, and an HTTP client its error response vanish.
    /// RFC 6455 §7.1.1 [6455-7.1.1-clean-close]: a clean close, "discarding any trailing bytes".
    /// </summary>
    private async Task LingeringCloseAsync(Socket socket)
    {
        byte[] sink = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            socket.Shutdown(SocketShutdown.Send);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            deadline.CancelAfter(_settings.CloseTimeout);
            while (await socket.ReceiveAsync(sink, SocketFlags.None, deadline.Token) > 0) { }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException) { }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink);
            socket.Dispose();
        }
    }

    private static void CloseSocket(Socket socket)
    {
        try
        {
            // Send FIN after everything queued, so the peer reads our last bytes before the connection ends.
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        socket.Dispose();
    }

    private async Task HeartbeatLoopAsync()
    {
        double shortest = new[] { _settings.PingInterval, _settings.IdleTimeout, _settings.CloseTimeout, _settings.SendTimeout }.Min().TotalMilliseconds;
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(shortest / 4, 10, 1000));
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopped.Token))
            {
                long now = Environment.TickCount64;
                foreach (WebSocketConnection connection in _open.Values)
                    connection.OnHeartbeat(now);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>A test seam: awaited right after a 101 response is written, before the connection runs.</summary>
    internal Func<Task>? AfterUpgradeWritten { get; set; }

    /// <summary>
    /// The first step of a shutdown: no new connection is accepted and handshakes in progress are dropped, while open
    /// connections keep working (so the chat can still acknowledge what it stores before they are closed).
    /// </summary>
    public void StopAccepting()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        _listener.Stop();
    }

    /// <summary>
    /// Graceful shutdown: stop accepting, send Close 1001 to every connection (RFC 6455 §7.4.1: "going away"),
    /// wait up to the shutdown timeout for them to finish, then drop the rest.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopCalled, 1) != 0) return;
        StopAccepting();
        _log.Info($"shutting down: closing {_open.Count} connection(s)");
        foreach (WebSocketConnection connection in _open.Values)
            connection.Close(CloseCode.GoingAway, "server shutting down");

        // The heartbeat keeps enforcing the close timeout while we wait.
        Task all = Task.WhenAll(_running.Values);
        Task finished = await Task.WhenAny(all, Task.Delay(_config.ShutdownTimeout));
        if (finished != all)
        {
            foreach (WebSocketConnection connection in _open.Values)
                connection.Abort(CloseCode.GoingAway, "shutdown timeout");
            await Task.WhenAny(Task.WhenAll(_running.Values), Task.Delay(1000));
        }
        if (_acceptLoop is not null) await _acceptLoop;
        _stopped.Cancel();
        if (_heartbeatLoop is not null) await _heartbeatLoop;
        _log.Info("stopped");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
        _stopped.Dispose();
    }
}
