using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace RawSocketChat.Tests.Support;

/// <summary>
/// A chat client for tests, on <see cref="ClientWebSocket"/> — an implementation independent of the server's. A
/// background loop parses every message into an inbox; <see cref="ReceiveAsync"/> takes the first one that matches,
/// leaving the others for later calls, so a test can wait for "the ack" without caring what arrived before it.
/// </summary>
public sealed class ChatClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket _socket;
    private readonly List<JsonElement> _inbox = [];
    private readonly List<JsonElement> _all = [];
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _receiveLoop;
    private int _disposed;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChatClient(ClientWebSocket socket)
    {
        _socket = socket;
    }

    public ClientWebSocket Socket => _socket;

    /// <summary>Set once the server closed the connection (or it broke).</summary>
    public WebSocketCloseStatus? CloseStatus { get; private set; }
    public string? CloseDescription { get; private set; }
    public bool IsClosed { get; private set; }

    /// <summary>Every message received so far, in arrival order (including those already taken).</summary>
    public IReadOnlyList<JsonElement> AllReceived
    {
        get { lock (_inbox) return _all.ToList(); }
    }

    public static Task<ChatClient> ConnectAsync(TestServer server, bool offerSubprotocol = true, CancellationToken cancellationToken = default) =>
        ConnectAsync(server.WebSocketUri("/chat"), offerSubprotocol: offerSubprotocol, cancellationToken: cancellationToken);

    /// <summary>
    /// Connects to any chat URL (a server process, a proxy in front of one). <paramref name="invoker"/> chooses how
    /// the TCP connection is made (e.g. from another loopback address, see <see cref="SourceAddress"/>);
    /// <paramref name="configure"/> may add request headers.
    /// </summary>
    public static async Task<ChatClient> ConnectAsync(Uri uri, HttpMessageInvoker? invoker = null, Action<ClientWebSocketOptions>? configure = null,
        bool offerSubprotocol = true, CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        if (offerSubprotocol)
            socket.Options.AddSubProtocol("rawsocketchat.v1");
        configure?.Invoke(socket.Options);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DefaultTimeout);
        try
        {
            await socket.ConnectAsync(uri, invoker, timeout.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var client = new ChatClient(socket);
        client._receiveLoop = Task.Run(client.ReceiveLoopAsync);
        return client;
    }

    /// <summary>Connects and logs in as a guest; returns once <c>welcome</c> arrived.</summary>
    public static Task<ChatClient> GuestAsync(TestServer server, string name) => GuestAsync(server.WebSocketUri("/chat"), name);

    /// <summary>Connects to <paramref name="uri"/> and logs in as a guest; returns once <c>welcome</c> arrived.</summary>
    public static async Task<ChatClient> GuestAsync(Uri uri, string name, HttpMessageInvoker? invoker = null)
    {
        ChatClient client = await ConnectAsync(uri, invoker);
        await client.SendJsonAsync(new { type = "login", name });
        await client.ReceiveAsync("welcome");
        return client;
    }

    /// <summary>Connects and registers; returns the client and its welcome.</summary>
    public static async Task<(ChatClient Client, JsonElement Welcome)> RegisterAsync(TestServer server, string name, string password = "correct horse battery", string? color = null)
    {
        ChatClient client = await ConnectAsync(server);
        // A name of --admin is reserved: it registers with the operator's secret (AdminBootstrap), as an operator would.
        bool admin = server.Options.Admin.Split(',', StringSplitOptions.TrimEntries).Contains(name, StringComparer.OrdinalIgnoreCase);
        string? adminSecret = admin ? server.Options.AdminSecret : null;
        var command = new Dictionary<string, string> { ["type"] = "register", ["name"] = name, ["password"] = password };
        if (color is not null)
            command["color"] = color;
        if (adminSecret is not null)
            command["adminSecret"] = adminSecret;
        await client.SendJsonAsync(command);
        JsonElement welcome = await client.ReceiveAsync("welcome");
        return (client, welcome);
    }

    public Task SendJsonAsync(object message) => SendTextAsync(JsonSerializer.Serialize(message));

    public async Task SendTextAsync(string text, CancellationToken cancellationToken = default)
    {
        await SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, cancellationToken);
    }

    public async Task SendAsync(byte[] payload, WebSocketMessageType type, CancellationToken cancellationToken = default)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(DefaultTimeout);
            await _socket.SendAsync(payload, type, endOfMessage: true, timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Joins a room and returns the <c>joined</c> reply.</summary>
    public async Task<JsonElement> JoinAsync(string room)
    {
        await SendJsonAsync(new { type = "join", room });
        return await ReceiveAsync(m => Type(m) == "joined" && m.GetProperty("room").GetString() == room);
    }

    /// <summary>Sends a message and returns its ack.</summary>
    public async Task<JsonElement> SayAsync(string room, string text, string? reference = null)
    {
        reference ??= "r" + Guid.NewGuid().ToString("N")[..12];
        await SendJsonAsync(new { type = "send", room, text, @ref = reference });
        return await ReceiveAsync(m => (Type(m) is "ack" or "error") && Ref(m) == reference);
    }

    public Task<JsonElement> ReceiveAsync(string type, TimeSpan? timeout = null) => ReceiveAsync(m => Type(m) == type, timeout);

    /// <summary>The first message (oldest first) matching <paramref name="match"/>; waits for one at most <paramref name="timeout"/>.</summary>
    public async Task<JsonElement> ReceiveAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        JsonElement? found = await TryReceiveAsync(match, timeout ?? DefaultTimeout);
        if (found is { } message)
            return message;
        string pending;
        lock (_inbox)
            pending = string.Join("\n  ", _inbox.Select(m => m.GetRawText()));
        throw new TimeoutException($"no matching message within {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s (closed={IsClosed} {CloseStatus} {CloseDescription}); unmatched:\n  {pending}");
    }

    /// <summary>Like <see cref="ReceiveAsync(Func{JsonElement, bool}, TimeSpan?)"/>, but null instead of throwing on timeout.</summary>
    public async Task<JsonElement?> TryReceiveAsync(Func<JsonElement, bool> match, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_inbox)
            {
                int index = _inbox.FindIndex(m => match(m));
                if (index >= 0)
                {
                    JsonElement message = _inbox[index];
                    _inbox.RemoveAt(index);
                    return message;
                }
                if (IsClosed)
                    return null;
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    /// <summary>Removes and returns all messages of a type that are in the inbox now.</summary>
    public List<JsonElement> TakeAll(Func<JsonElement, bool> match)
    {
        lock (_inbox)
        {
            List<JsonElement> taken = _inbox.Where(match).ToList();
            _inbox.RemoveAll(m => match(m));
            return taken;
        }
    }

    /// <summary>Waits until the server closes the connection.</summary>
    public async Task WaitClosedAsync(TimeSpan? timeout = null)
    {
        if (_receiveLoop is not null)
            await _receiveLoop.WaitAsync(timeout ?? DefaultTimeout);
    }

    public static string? Type(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty("type", out JsonElement t) ? t.GetString() : null;

    public static string? Ref(JsonElement message) =>
        message.TryGetProperty("ref", out JsonElement r) ? r.GetString() : null;

    public static bool IsError(JsonElement message, string code) =>
        Type(message) == "error" && message.GetProperty("code").GetString() == code;

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                WebSocketReceiveResult result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseStatus = result.CloseStatus;
                    CloseDescription = result.CloseStatusDescription;
                    // Complete the closing handshake, as a browser would (ClientWebSocket leaves it to us).
                    await _sendLock.WaitAsync(_stop.Token);
                    try
                    {
                        if (_socket.State == WebSocketState.CloseReceived)
                        {
                            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                            timeout.CancelAfter(TimeSpan.FromSeconds(2));
                            await _socket.CloseOutputAsync(result.CloseStatus ?? WebSocketCloseStatus.Empty, null, timeout.Token);
                        }
                    }
                    finally
                    {
                        _sendLock.Release();
                    }
                    break;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                    continue;
                JsonElement parsed;
                using (JsonDocument document = JsonDocument.Parse(message.ToArray()))
                    parsed = document.RootElement.Clone();
                message.SetLength(0);
                lock (_inbox)
                {
                    _inbox.Add(parsed);
                    _all.Add(parsed);
                    Signal();
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            CloseDescription ??= e.GetType().Name;
        }
        finally
        {
            lock (_inbox)
            {
                IsClosed = true;
                Signal();
            }
        }
    }

    private void Signal()
    {
        TaskCompletionSource old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        if (_receiveLoop is not null)
        {
            try { await _receiveLoop.WaitAsync(TimeSpan.FromSeconds(3)); }
            catch (TimeoutException) { }
        }
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }
}
