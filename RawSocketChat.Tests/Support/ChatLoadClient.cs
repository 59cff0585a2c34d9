using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace RawSocketChat.Tests.Support;

/// <summary>
/// A chat client for load tests, on <see cref="ClientWebSocket"/>. It sends <c>send</c> commands pipelined, up to a
/// window of unanswered ones, and handles each reply once as it arrives: acks are filed by <c>ref</c>, broadcast
/// messages are recorded in arrival order (<see cref="Received"/>), anything else is queued for
/// <see cref="ReplyAsync"/>. (<see cref="ChatClient"/> searches an inbox, which suits conversations, not thousands
/// of messages.)
/// </summary>
public sealed class ChatLoadClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _window;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _closed = new();
    private readonly Channel<JsonElement> _replies = Channel.CreateUnbounded<JsonElement>();
    private readonly ConcurrentDictionary<string, long> _sentAt = new(StringComparer.Ordinal);
    private readonly List<ReceivedMessage> _received = [];
    private readonly List<double> _ownLatenciesMs = [];
    private Task _receiveLoop = Task.CompletedTask;
    private int _disposed;

    private ChatLoadClient(ClientWebSocket socket, string name, int window)
    {
        _socket = socket;
        Name = name;
        _window = new SemaphoreSlim(window, window);
    }

    public string Name { get; }

    /// <summary>ref → id of every acknowledged message.</summary>
    public ConcurrentDictionary<string, string> Acks { get; } = new(StringComparer.Ordinal);

    /// <summary>ref → text of every <c>send</c> put on the wire (acknowledged or not).</summary>
    public ConcurrentDictionary<string, string> Sent { get; } = new(StringComparer.Ordinal);

    /// <summary>Error replies by code.</summary>
    public ConcurrentDictionary<string, int> Errors { get; } = new(StringComparer.Ordinal);

    public WebSocketCloseStatus? CloseStatus { get; private set; }
    public string? CloseDescription { get; private set; }
    public bool IsClosed => _closed.IsCancellationRequested;
    public CancellationToken Closed => _closed.Token;

    /// <summary>Broadcast <c>message</c>s received, in arrival order.</summary>
    public IReadOnlyList<ReceivedMessage> Received
    {
        get { lock (_received) return _received.ToList(); }
    }

    /// <summary>For this client's own messages: milliseconds from its <c>send</c> to the broadcast coming back.</summary>
    public IReadOnlyList<double> OwnLatenciesMs
    {
        get { lock (_received) return _ownLatenciesMs.ToList(); }
    }

    /// <summary>Connects to <paramref name="uri"/>, logs in as guest <paramref name="name"/> and joins <paramref name="room"/>.</summary>
    public static async Task<ChatLoadClient> JoinAsync(Uri uri, string name, string room = "lobby", int window = 8, HttpMessageInvoker? invoker = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("rawsocketchat.v1");
        var client = new ChatLoadClient(socket, name, window);
        try
        {
            using (var timeout = new CancellationTokenSource(ChatClient.DefaultTimeout))
                await socket.ConnectAsync(uri, invoker, timeout.Token);
            client._receiveLoop = Task.Run(client.ReceiveLoopAsync);
            await client.SendJsonAsync(new { type = "login", name });
            await client.ReplyAsync("welcome");
            await client.SendJsonAsync(new { type = "join", room });
            await client.ReplyAsync("joined");
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        return client;
    }

    public async Task SendJsonAsync(object message)
    {
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(message);
        await _sendLock.WaitAsync(_closed.Token);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
            timeout.CancelAfter(ChatClient.DefaultTimeout);
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The next reply of <paramref name="type"/> that is not an ack or a broadcast (others are skipped).</summary>
    public async Task<JsonElement> ReplyAsync(string type, TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
        cts.CancelAfter(timeout ?? ChatClient.DefaultTimeout);
        try
        {
            while (true)
            {
                JsonElement reply = await _replies.Reader.ReadAsync(cts.Token);
                if (ChatClient.Type(reply) == type)
                    return reply;
                if (ChatClient.Type(reply) == "error")
                    throw new InvalidOperationException($"{Name}: waiting for '{type}', got {reply.GetRawText()}");
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException($"{Name}: no '{type}' (closed={IsClosed} {CloseStatus} {CloseDescription})");
        }
    }

    /// <summary>
    /// Sends one chat message, waiting first while the window of unanswered ones is full. Throws when the connection
    /// is gone (<see cref="OperationCanceledException"/> or <see cref="WebSocketException"/>).
    /// </summary>
    public async Task SendMessageAsync(string room, string reference, string text)
    {
        await _window.WaitAsync(_closed.Token);
        Sent[reference] = text;
        _sentAt[text] = Stopwatch.GetTimestamp();
        await SendJsonAsync(new { type = "send", room, text, @ref = reference });
    }

    /// <summary>
    /// Sends <c>make(n)</c> for n = 0, 1, 2… as fast as the window allows (or one per <paramref name="interval"/>),
    /// until <paramref name="stop"/> or the connection ends. Returns how many were put on the wire.
    /// </summary>
    public async Task<int> SendUntilAsync(string room, Func<int, (string Ref, string Text)> make, CancellationToken stop, int max = int.MaxValue,
        TimeSpan? interval = null)
    {
        long started = Stopwatch.GetTimestamp();
        int n = 0;
        using var both = CancellationTokenSource.CreateLinkedTokenSource(stop, _closed.Token);
        try
        {
            while (n < max && !both.IsCancellationRequested)
            {
                if (interval is { } every && every * n - Stopwatch.GetElapsedTime(started) is { Ticks: > 0 } wait)
                    await Task.Delay(wait, both.Token);
                (string reference, string text) = make(n);
                await _window.WaitAsync(both.Token);
                Sent[reference] = text;
                _sentAt[text] = Stopwatch.GetTimestamp();
                n++;
                await SendJsonAsync(new { type = "send", room, text, @ref = reference });
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException) { }
        return n;
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                WebSocketReceiveResult result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseStatus = result.CloseStatus;
                    CloseDescription = result.CloseStatusDescription;
                    await AnswerCloseAsync(result.CloseStatus);
                    break;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                    continue;
                OnMessage(message.GetBuffer().AsMemory(0, (int)message.Length));
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            CloseDescription ??= e.GetType().Name;
        }
        finally
        {
            _replies.Writer.TryComplete();
            _closed.Cancel();
        }
    }

    /// <summary>Completes the closing handshake, as a browser does.</summary>
    private async Task AnswerCloseAsync(WebSocketCloseStatus? status)
    {
        if (!await _sendLock.WaitAsync(TimeSpan.FromSeconds(2)))
            return;
        try
        {
            if (_socket.State == WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(status ?? WebSocketCloseStatus.Empty, null, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            _sendLock.Release();
        }
    }

    private void OnMessage(ReadOnlyMemory<byte> utf8)
    {
        JsonElement element;
        using (JsonDocument document = JsonDocument.Parse(utf8))
            element = document.RootElement.Clone();
        switch (ChatClient.Type(element))
        {
            case "message":
            {
                var received = new ReceivedMessage(
                    element.GetProperty("id").GetString()!, element.GetProperty("user").GetString()!, element.GetProperty("text").GetString()!);
                lock (_received)
                {
                    _received.Add(received);
                    if (received.User == Name && _sentAt.TryRemove(received.Text, out long sentAt))
                        _ownLatenciesMs.Add(Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds);
                }
                return;
            }
            case "ack":
                Acks[ChatClient.Ref(element)!] = element.GetProperty("id").GetString()!;
                _window.Release();
                return;
            case "error":
                Errors.AddOrUpdate(element.GetProperty("code").GetString()!, 1, (_, n) => n + 1);
                if (ChatClient.Ref(element) is { } reference && Sent.ContainsKey(reference))
                {
                    _window.Release();
                    return;
                }
                break;
            case "presence" or "typing":
                return;
        }
        _replies.Writer.TryWrite(element);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            if (_socket.State == WebSocketState.Open && await _sendLock.WaitAsync(TimeSpan.FromSeconds(2)))
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        try { await _receiveLoop.WaitAsync(TimeSpan.FromSeconds(3)); }
        catch (TimeoutException) { }
        _socket.Abort();
        _socket.Dispose();
        _closed.Cancel();
    }
}

/// <summary>One broadcast chat message as a client received it.</summary>
public sealed record ReceivedMessage(string Id, string User, string Text);
