using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;

namespace RawSocketChat.Transport;

/// <summary>
/// One open WebSocket: the thin I/O shell around <see cref="WebSocketProtocol"/>, which decides everything the RFC
/// decides (frames, pings, the closing handshake, the timers). This class owns the socket, the send lock, the send
/// buffer and two loops.
/// <para>
/// Reading: a single loop pulls bytes from the input pipe, hands them to the protocol and acts on what it says:
/// messages go to the handler, a finished closing handshake ends the loop.
/// </para>
/// <para>
/// Writing: any thread may call <see cref="Send"/>. Frames are encoded under a lock straight into a
/// <see cref="SendBuffer"/>, and a separate loop writes whatever has accumulated to the socket: senders never wait
/// for the network, frames never interleave, and everything queued while the socket was busy leaves in one write.
/// </para>
/// <para>
/// Three helpers hold one idea each. <see cref="SendBacklog"/> counts what the peer has not read yet, so that a peer
/// that stops reading cannot grow our memory: past its limit the connection is closed with 1008 behind what is
/// queued, for a peer that catches up to read, and dropped at <c>CloseTimeout</c> if it does not; a write that makes
/// no progress for <c>SendTimeout</c> drops it at once. <see cref="SendBatch"/> lets a caller that sends to many
/// connections wake each send loop once. <see cref="InjectedFrames"/> carries the inspector's frames into the
/// receive loop of an inspected connection.
/// </para>
/// </summary>
public sealed class WebSocketConnection
{
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly SendBuffer _output = new();
    private readonly SendBacklog _backlog; // counts _output and the write in progress; under _sendLock, bar two members
    private readonly AsyncSignal _sendSignal = new();
    // The protocol's read half runs on the receive loop alone; its write half only under _sendLock.
    private readonly WebSocketProtocol _protocol;
    private readonly ConnectionSettings _settings;
    private readonly object _sendLock = new();
    private readonly Action _onAbort;
    // Only for a connection that asked to be inspected (/inspect); null, and never looked at twice, for all others.
    private readonly FrameTap? _tap;
    private readonly InjectedFrames? _injected;

    private bool _outputCompleted;   // no frame follows what is queued: the send loop drains it and ends
    private bool _sendLoopWaiting;   // the send loop found nothing queued and waits for _sendSignal
    private bool _wakeDeferred;      // on some thread's SendBatch list, to be woken when that batch ends

    internal WebSocketConnection(long id, Stream stream, PipeReader input, ConnectionSettings settings, IPEndPoint remote,
        IPAddress clientAddress, string path, string? subprotocol, Action onAbort, DeflateParameters? deflate = null, FrameTap? tap = null)
    {
        _tap = tap;
        if (tap is not null)
            _injected = new InjectedFrames(input, tap);
        Id = id;
        _stream = stream;
        _input = input;
        _settings = settings;
        _backlog = new SendBacklog(_output, settings.MaxSendBufferBytes);
        _onAbort = onAbort;
        Remote = remote;
        ClientAddress = clientAddress;
        Path = path;
        Subprotocol = subprotocol;
        Deflate = deflate;
        _protocol = new WebSocketProtocol(settings.Receiver, new ProtocolTimers(settings.PingInterval, settings.IdleTimeout, settings.CloseTimeout),
            Environment.TickCount64, deflate, settings.Deflate);
    }

    public long Id { get; }
    public IPEndPoint Remote { get; }
    /// <summary>The client's address: the TCP peer, or the X-Forwarded-For address when the peer is a trusted proxy.</summary>
    public IPAddress ClientAddress { get; }
    public string Path { get; }
    public string? Subprotocol { get; }
    /// <summary>The permessage-deflate parameters agreed in the handshake (RFC 7692), or null.</summary>
    public DeflateParameters? Deflate { get; }
    public DateTime OpenedAt { get; } = DateTime.UtcNow;

    /// <summary>An exception a handler threw, which ended the connection with 1011; the server logs it.</summary>
    public Exception? UnhandledException { get; private set; }

    /// <summary>Whatever the endpoint wants to keep per connection (the chat session).</summary>
    public object? State { get; set; }

    public bool IsOpen => _protocol.State == ConnectionState.Open;

    /// <summary>Outbound bytes queued and not yet written to the socket.</summary>
    public long UnsentBytes
    {
        get
        {
            lock (_sendLock)
                return _backlog.Unsent;
        }
    }

    public bool SendText(ReadOnlySpan<byte> utf8) => Send(Opcode.Text, utf8);
    public bool SendBinary(ReadOnlySpan<byte> data) => Send(Opcode.Binary, data);

    /// <summary>
    /// Queues one whole data message. Returns false when the connection is closing or was just dropped because its
    /// send buffer is full. Never blocks on the network.
    /// <para>
    /// With permessage-deflate, a message of at least <c>--deflate-threshold</c> bytes is compressed. Pass
    /// <paramref name="compress"/> false for a message that carries a secret (a session token): with context
    /// takeover, a secret compressed alongside attacker-chosen text leaks through the compressed sizes (the CRIME
    /// family of attacks, RFC 7692 §8), and a message sent uncompressed never enters the compression window.
    /// </para>
    /// </summary>
    public bool Send(Opcode opcode, ReadOnlySpan<byte> payload, bool compress = true)
    {
        lock (_sendLock)
        {
            // RFC 6455 §6.1 [6455-6.1-open]: the state is checked under the lock that guards its change.
            if (!IsOpen || !HasRoomLocked(payload.Length, out bool oversized))
                return false;
            int queuedBefore = _output.QueuedLength;
            if (!_protocol.Send(opcode, payload, _output, compress))
                return false;
            FlushLocked();
            if (oversized)
                _backlog.QueuedOversized(_output.QueuedLength - queuedBefore);
            _settings.Metrics?.MessageSent();
            return true;
        }
    }

    /// <summary>
    /// The inspector's "as if the client had sent it": whole frames, masked like a client's, handed to the receiver
    /// between two messages of the real client, parsed and acted on exactly like bytes from the socket. Only for an
    /// inspected connection, by its own watcher; false otherwise (see <see cref="InjectedFrames"/>).
    /// </summary>
    internal bool Inject(byte[] frames)
    {
        if (_injected is null || !IsOpen)
            return false;
        _injected.Add(frames);
        return true;
    }

    /// <summary>Starts the closing handshake: our Close goes after whatever is queued, and the close timer starts.</summary>
    public void Close(ushort code, string reason)
    {
        lock (_sendLock)
            CloseLocked(code, reason);
    }

    private void CloseLocked(ushort code, string reason)
    {
        _protocol.Close(code, reason, _output, Environment.TickCount64);
        FlushLocked();
    }

    /// <summary>Drops the TCP connection now, without a closing handshake.</summary>
    public void Abort(ushort code, string reason)
    {
        lock (_sendLock)
        {
            _protocol.Abort(code, reason);
            CompleteOutputLocked();
        }
        _input.CancelPendingRead();
        _onAbort();
    }

    /// <summary>
    /// Opens a <see cref="SendBatch"/> on this thread: until it is disposed, the sends made here queue their frames
    /// as usual but wake each connection's send loop once, at the end, so each connection gets one write for all of
    /// them.
    /// </summary>
    public static SendBatch BatchSends() => SendBatch.Begin();

    /// <summary>Wakes the send loop for the frame just written: now, or when this thread's <see cref="SendBatch"/> ends.</summary>
    private void FlushLocked()
    {
        if (!SendBatch.TryDeferWake(this, ref _wakeDeferred, _output.QueuedLength))
            WakeSendLoopLocked();
    }

    /// <summary>The batch that deferred this connection's wake has ended (<see cref="SendBatch.Dispose"/>).</summary>
    internal void WakeDeferredSendLoop()
    {
        lock (_sendLock)
        {
            _wakeDeferred = false;
            WakeSendLoopLocked();
        }
    }

    private void WakeSendLoopLocked()
    {
        if (!_sendLoopWaiting)
            return;
        _sendLoopWaiting = false;
        _sendSignal.Set(); // the loop resumes on the thread pool, not here under the lock
    }

    /// <summary>No frame can follow: the send loop drains what is queued and ends.</summary>
    private void CompleteOutputLocked()
    {
        _outputCompleted = true;
        WakeSendLoopLocked();
    }

    /// <summary>
    /// Whether a frame of <paramref name="length"/> payload bytes may be queued, by the backlog's count
    /// (<see cref="SendBacklog.TryAdmit"/>, which says when it is the one <paramref name="oversized"/> message). When
    /// it may not, the peer is not keeping up: the connection is closed with 1008, and nothing more is queued.
    /// </summary>
    private bool HasRoomLocked(int length, out bool oversized)
    {
        if (_backlog.TryAdmit(length, out oversized))
            return true;
        // The Close goes behind the backlog: a peer that catches up reads everything, then why it is being left.
        // One that does not is dropped at CloseTimeout (OnHeartbeat), as for any Close it does not answer.
        CloseLocked(CloseCode.PolicyViolation, "send buffer limit exceeded");
        return false;
    }

    /// <summary>Runs the connection until it is closed; returns how it ended. Never throws.</summary>
    internal async Task<CloseInfo> RunAsync(IWebSocketHandler handler)
    {
        Task sendLoop = SendLoopAsync();
        try
        {
            await handler.OnOpenAsync(this);
            await ReceiveLoopAsync(handler);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            lock (_sendLock)
                _protocol.ConnectionLost("connection lost");
        }
        catch (Exception e)
        {
            // A bug in a handler ends this connection only. RFC 6455 §7.4.1: 1011 "encountered an unexpected
            // condition"; the reason stays generic and the exception goes to the log, never to the peer.
            UnhandledException = e;
            lock (_sendLock)
            {
                _protocol.Fail(CloseCode.InternalError, "internal error", _output);
                FlushLocked();
            }
        }
        finally
        {
            lock (_sendLock)
            {
                _protocol.ConnectionLost("connection lost"); // a no-op when it ended otherwise: the first reason stays
                CompleteOutputLocked();
                _protocol.DisposeCompressor(); // no frame can be queued any more, so its native zlib memory goes now
            }
            await sendLoop;
            _protocol.Dispose();
        }

        CloseInfo info = _protocol.CloseInfo!.Value;
        _tap?.Closed(info.Code, info.Reason, info.InitiatedBy.ToString().ToLowerInvariant());
        await handler.OnClosedAsync(this, info);
        return info;
    }

    private async Task ReceiveLoopAsync(IWebSocketHandler handler)
    {
        while (true)
        {
            if (_injected is { AnyWaiting: true } && _protocol.IsBetweenMessages && !await ReceiveInjectedAsync(handler))
                return;
            ValueTask<ReadResult> reading = _input.ReadAsync();
            if (!reading.IsCompleted)
                _protocol.ReleaseBuffers(); // about to wait for the network: an idle connection holds no message memory
            ReadResult read = await reading;
            if (read.IsCanceled)
            {
                if (_injected is null || _protocol.State == ConnectionState.Closed)
                    return; // Abort(), or the send loop found the peer gone
                // Woken by Inject (perhaps for frames already run, see InjectedFrames): what was read stays for the next read.
                _input.AdvanceTo(read.Buffer.Start);
                continue;
            }
            ReadOnlySequence<byte> buffer = read.Buffer;
            _tap?.Received(buffer); // the receiver consumes every read whole, so each byte is shown once
            long now = Environment.TickCount64;

            while (true)
            {
                ReceiveResult result = _protocol.Receive(ref buffer, now);
                if (result.Status == ReceiveStatus.NeedMoreData)
                {
                    _settings.Metrics?.BytesReceived(read.Buffer.Length - buffer.Length); // the frames parsed from this read
                    _input.AdvanceTo(buffer.Start, buffer.End);
                    break;
                }
                if (result.Status is ReceiveStatus.Close or ReceiveStatus.Failed)
                    _input.AdvanceTo(buffer.Start, buffer.End);
                if (!await ActAsync(handler, result))
                    return;
            }

            if (read.IsCompleted)
            {
                // The peer closed TCP without a Close frame: 1006, "abnormal closure" (RFC 6455 §7.1.5).
                lock (_sendLock)
                    _protocol.ConnectionLost("connection closed without a close frame");
                return;
            }
        }
    }

    /// <summary>
    /// Does what the protocol says about one event of the receiver; false when the connection is done reading (the
    /// closing handshake is over, or the peer broke the protocol).
    /// </summary>
    private async ValueTask<bool> ActAsync(IWebSocketHandler handler, ReceiveResult result)
    {
        _tap?.Parsed(result);
        if (result.Status == ReceiveStatus.Message)
        {
            // A message writes nothing, so it takes no lock (the protocol only reads its state).
            _settings.Metrics?.MessageReceived();
            if (_protocol.DeliversMessages)
                await handler.OnMessageAsync(this, result.Opcode, result.Payload);
            return true;
        }
        ProtocolAction action;
        lock (_sendLock)
        {
            // A pong is not queued behind a backlog over the limit: the peer is not reading (see HasRoomLocked).
            if (result.Status == ReceiveStatus.Ping && !HasRoomForControlLocked(result.Payload.Length))
                return true;
            action = _protocol.React(result, _output);
            FlushLocked();
            if (action == ProtocolAction.CloseTcp)
                CompleteOutputLocked();
        }
        return action != ProtocolAction.CloseTcp;
    }

    /// <summary>
    /// Room for a control frame: while open, the usual check (which starts the 1008 close when over the limit);
    /// after our Close, only when within the limit, since no second Close can be started.
    /// </summary>
    private bool HasRoomForControlLocked(int length) =>
        IsOpen ? HasRoomLocked(length, out _) : _backlog.FitsWithinLimit(length);

    /// <summary>Runs the inspector's injected frames through the receiver, as if they had just been read.</summary>
    private async ValueTask<bool> ReceiveInjectedAsync(IWebSocketHandler handler)
    {
        while (_injected!.TryTake(out ReadOnlySequence<byte> bytes))
        {
            while (true)
            {
                ReceiveResult result = _protocol.Receive(ref bytes, Environment.TickCount64);
                if (result.Status == ReceiveStatus.NeedMoreData)
                    break; // whole frames by construction: nothing is left half-read
                if (!await ActAsync(handler, result))
                    return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Writes queued frames to the socket, one write per batch: whatever accumulated while the previous write was in
    /// progress (RFC 6455 §6.1 step 7 [6455-6.1-transmit]). Waits without holding any buffer when nothing is queued;
    /// ends once the output is completed and drained.
    /// </summary>
    private async Task SendLoopAsync()
    {
        try
        {
            while (true)
            {
                ArraySegment<byte> batch;
                lock (_sendLock)
                {
                    batch = _output.Take();
                    _backlog.Taken(batch.Count, Environment.TickCount64);
                    if (batch.Count == 0)
                    {
                        _output.Release(); // an idle connection holds no send memory
                        if (_outputCompleted)
                            return;
                        _sendSignal.Reset();
                        _sendLoopWaiting = true;
                    }
                }

                if (batch.Count == 0)
                {
                    await _sendSignal.WaitAsync();
                    continue;
                }
                _tap?.Sent(batch);
                // In slices, so that progress is visible: a 16 MiB message to a peer reading 1 MiB/s is a slow write,
                // not a stuck one (SendTimeout).
                for (int offset = 0; offset < batch.Count; offset += WriteSlice)
                {
                    await _stream.WriteAsync(batch.AsMemory(offset, Math.Min(WriteSlice, batch.Count - offset)));
                    _backlog.Progressed(Environment.TickCount64);
                }
                await _stream.FlushAsync();
                _settings.Metrics?.BytesSent(batch.Count);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer is gone: nothing more can be sent, and the receive loop is told to stop waiting.
            lock (_sendLock)
            {
                _protocol.ConnectionLost("connection lost");
                _outputCompleted = true;
                _backlog.WriteAbandoned();
                _output.Release();
            }
            _input.CancelPendingRead();
        }
    }

    /// <summary>Bytes per socket write: a chat batch is one slice; a large message several (see SendTimeout).</summary>
    private const int WriteSlice = 64 * 1024;

    /// <summary>
    /// Called about once a second by the server's single heartbeat timer: drops a peer whose socket has taken
    /// nothing for SendTimeout, pings a quiet peer, closes an idle one, and drops one that did not answer our Close
    /// in time.
    /// </summary>
    internal void OnHeartbeat(long now)
    {
        // The peer reads nothing: its kernel buffers are full and a write has not moved for SendTimeout. A Close
        // could not get through either, so the connection is dropped. Checked in every state: after the closing
        // handshake the send loop still drains what was queued, and a peer that sent its Close and stopped reading
        // would otherwise hold that write, and the connection, forever. RFC 6455 §7.1.7 [6455-7.1.7-omit-close]: no
        // Close is sent when the other side cannot receive it.
        if (_backlog.IsStalled(now, _settings.SendTimeout))
        {
            Abort(CloseCode.PolicyViolation, "send timeout");
            return;
        }
        ProtocolAction action;
        lock (_sendLock)
        {
            // A keepalive ping is not queued behind a backlog over the limit: the check starts the 1008 close instead.
            if (IsOpen && !HasRoomLocked(8, out _))
                return;
            action = _protocol.OnTick(now, _output);
            FlushLocked();
        }
        if (action == ProtocolAction.Abort)
            Abort(CloseCode.GoingAway, "close timeout"); // the protocol kept the code of the Close that went unanswered
    }
}
