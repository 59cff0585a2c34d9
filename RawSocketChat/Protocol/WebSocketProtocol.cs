using System.Buffers;
using System.Buffers.Binary;
using RawSocketChat.Protocol.Deflate;

namespace RawSocketChat.Protocol;

/// <summary>The state of a connection's closing handshake (RFC 6455 §7).</summary>
public enum ConnectionState : byte
{
    /// <summary>Messages flow both ways.</summary>
    Open,
    /// <summary>We sent our Close and wait for the peer's: no more data frames from us (RFC 6455 §5.5.1).</summary>
    CloseSent,
    /// <summary>Both Closes were exchanged, or the connection failed or was dropped: close the TCP connection.</summary>
    Closed,
}

/// <summary>What the transport must do after a call into <see cref="WebSocketProtocol"/>.</summary>
public enum ProtocolAction : byte
{
    /// <summary>Nothing beyond writing what was written to the output.</summary>
    None,
    /// <summary>Hand the message to the application.</summary>
    Deliver,
    /// <summary>Write what is queued, then close the TCP connection (the handshake is over, RFC 6455 §7.1.1).</summary>
    CloseTcp,
    /// <summary>Close the TCP connection now, without waiting for anything (a timeout).</summary>
    Abort,
}

/// <summary>How a connection ended, for handlers and the log line.</summary>
public readonly record struct CloseInfo(ushort Code, string Reason, CloseInitiator InitiatedBy);

public enum CloseInitiator : byte { Client, Server, Network }

/// <summary>The timers of one connection, in milliseconds of a monotonic clock the caller reads.</summary>
public readonly record struct ProtocolTimers(long PingIntervalMs, long IdleTimeoutMs, long CloseTimeoutMs)
{
    public ProtocolTimers(TimeSpan pingInterval, TimeSpan idleTimeout, TimeSpan closeTimeout)
        : this((long)pingInterval.TotalMilliseconds, (long)idleTimeout.TotalMilliseconds, (long)closeTimeout.TotalMilliseconds) { }
}

/// <summary>
/// One WebSocket connection, server side, without I/O: bytes and time go in, events and bytes come out. It owns the
/// receiver (bytes → frames → messages), compression, the closing handshake, the answers to pings and the timer
/// decisions; the transport (<c>Transport/WebSocketConnection</c>) owns only the socket, a lock and two loops.
/// <para>
/// Two halves, because a server has one reader per connection but many writers (a broadcast sends from whatever
/// thread published it): <see cref="Receive"/> is the read half, called by the reading thread alone, and parses
/// without a lock so that a large message being read never holds up a sender. Everything that writes frames —
/// <see cref="React"/>, <see cref="Send"/>, <see cref="Close"/>, <see cref="OnTick"/> — is the write half: the
/// caller serializes those calls (the transport's send lock) and passes the buffer the frames go into. Time is
/// always passed in, never read, so every rule here is testable byte for byte (<c>WebSocketProtocolTests</c>).
/// </para>
/// <code>
///            Close() / a timeout          peer's Close (answered)
///   Open ─────────────────────▶ CloseSent ─────────────────────▶ Closed
///    │  peer's Close (answered), a protocol failure, Abort()        ▲
///    └───────────────────────────────────────────────────────────────┘
/// </code>
/// </summary>
public sealed class WebSocketProtocol : IDisposable
{
    private readonly WebSocketReceiver _receiver;
    private readonly ProtocolTimers _timers;
    // permessage-deflate, when negotiated: our messages in the window the client allowed (none at 8 bits).
    private readonly MessageDeflater? _deflater;
    private readonly int _compressionThreshold;
    private volatile ConnectionState _state;
    private CloseInfo? _closeInfo;
    private long _lastReceived;
    private long _lastPing;
    private long _closeSentAt;

    /// <param name="now">The clock at the opening of the connection (milliseconds, monotonic).</param>
    public WebSocketProtocol(ReceiverOptions receiver, ProtocolTimers timers, long now, DeflateParameters? deflate = null,
        DeflateOptions? compression = null)
    {
        _timers = timers;
        MessageInflater? inflater = null;
        if (deflate is not null)
        {
            DeflateOptions policy = compression ?? new DeflateOptions();
            // RFC 7692 §7.2.1 [7692-7.2.1-window]: our messages in the window the client allowed; none compressed when
            // it allowed only 8 bits.
            if (deflate.ServerCompresses)
                _deflater = new MessageDeflater(deflate.ServerNoContextTakeover, policy.Level, deflate.ServerWindowBits);
            // An empty message is never worth compressing, whatever the threshold.
            _compressionThreshold = Math.Max(1, policy.Threshold);
            inflater = new MessageInflater(deflate.ClientNoContextTakeover);
        }
        _receiver = new WebSocketReceiver(receiver, inflater);
        _lastReceived = _lastPing = now;
    }

    public ConnectionState State => _state;

    /// <summary>How the connection ended (or is ending): the first Close sent or received, a failure, a drop.</summary>
    public CloseInfo? CloseInfo => _closeInfo;

    /// <summary>
    /// Whether a message the receiver completed goes to the application: while open; after our Close, messages still
    /// in flight from the peer are read and dropped. It only reads the state, so the reading thread may ask it without
    /// the send lock (the transport does, for every message).
    /// </summary>
    public bool DeliversMessages => _state == ConnectionState.Open;

    /// <summary>The receiver is between messages: whole frames may be handed to it next (the inspector's injections).</summary>
    public bool IsBetweenMessages => _receiver.IsBetweenMessages;

    // ---- The read half: the reading thread only ----

    /// <summary>
    /// Parses what arrived; returns one event, or <see cref="ReceiveStatus.NeedMoreData"/> once every byte given was
    /// consumed. A non-empty input counts as a sign of life for the idle timer.
    /// </summary>
    public ReceiveResult Receive(ref ReadOnlySequence<byte> input, long now)
    {
        if (!input.IsEmpty)
            Volatile.Write(ref _lastReceived, now);
        return _receiver.Receive(ref input);
    }

    /// <summary>About to wait for the network: an idle connection holds no message memory.</summary>
    public void ReleaseBuffers() => _receiver.ReleaseBuffers();

    // ---- The write half: callers serialize these ----

    /// <summary>The protocol's answer to an event of <see cref="Receive"/>, written to <paramref name="output"/>.</summary>
    public ProtocolAction React(in ReceiveResult received, IBufferWriter<byte> output)
    {
        if (_state == ConnectionState.Closed)
            return ProtocolAction.None; // the end was decided already (a drop, a timeout): nothing more to say or do
        switch (received.Status)
        {
            case ReceiveStatus.Message:
                return DeliversMessages ? ProtocolAction.Deliver : ProtocolAction.None;

            case ReceiveStatus.Ping:
                // RFC 6455 §5.5.2 [6455-5.5.2-pong] [6455-5.5.2-pong-soon]: answer a Ping with a Pong, at once;
                // RFC 6455 §5.5.3 [6455-5.5.3-pong-data]: carrying "identical Application data". And
                // [6455-5.5.2-pong-after-close]: "unless it already received a Close frame" — so after sending ours
                // too, until the peer's arrives: a control frame may follow our Close (RFC 6455 §5.5.1 forbids only
                // data frames).
                FrameWriter.WriteFrame(output, Opcode.Pong, received.Payload.Span);
                return ProtocolAction.None;

            case ReceiveStatus.Pong:
                // RFC 6455 §5.5.3 [6455-5.5.3-unsolicited]: an unsolicited Pong is allowed and needs no response.
                return ProtocolAction.None;

            case ReceiveStatus.Close:
                if (_state == ConnectionState.Open)
                {
                    // RFC 6455 §5.5.1 [6455-5.5.1-answer-close] [6455-5.5.1-answer-soon]: answer with a Close,
                    // "typically echoing the status code it received", behind what is already queued
                    // [6455-5.5.1-delay-close]. A Close without a code (1005 locally) is answered without one:
                    // RFC 6455 §7.4.1 [6455-7.4.1-reserved-codes], 1005 never goes on the wire.
                    if (received.CloseCode == CloseCode.NoStatusReceived)
                        FrameWriter.WriteFrame(output, Opcode.Close, []);
                    else
                        FrameWriter.WriteClose(output, received.CloseCode, "");
                    _closeInfo ??= new CloseInfo(received.CloseCode, received.CloseReason ?? "", CloseInitiator.Client);
                }
                // RFC 6455 §5.5.1 [6455-5.5.1-close-tcp], §7.1.1 [6455-7.1.1-server-first]: the server closes the
                // TCP connection first, once both Close frames are exchanged.
                _state = ConnectionState.Closed;
                return ProtocolAction.CloseTcp;

            case ReceiveStatus.Failed:
                Fail(received.CloseCode, received.CloseReason ?? "", output);
                return ProtocolAction.CloseTcp;

            default:
                return ProtocolAction.None;
        }
    }

    /// <summary>
    /// Writes one whole data message, compressed when permessage-deflate is on and it is long enough (RFC 7692 §6.1:
    /// one frame with RSV1 set, so no continuation or control frame ever carries it, RFC 7692 §6 [7692-6-rsv1-sent]).
    /// Returns false after our Close: RFC 6455 §5.5.1 [6455-5.5.1-no-data-after-close], "the endpoint MUST NOT send
    /// any more data frames". <paramref name="compress"/> false keeps a secret out of the compression window
    /// (RFC 7692 §8).
    /// </summary>
    public bool Send(Opcode opcode, ReadOnlySpan<byte> payload, IBufferWriter<byte> output, bool compress = true)
    {
        if (_state != ConnectionState.Open)
            return false;
        if (compress && _deflater is not null && payload.Length >= _compressionThreshold)
        {
            // The compressed length must be known before the header is written: pooled scratch memory.
            using var compressed = new PooledBufferWriter(Math.Max(payload.Length / 2 + 64, 256));
            _deflater.Compress(payload, compressed);
            FrameWriter.WriteFrame(output, opcode, compressed.WrittenSpan, fin: true, rsv: FrameHeader.Rsv1);
        }
        else
        {
            FrameWriter.WriteFrame(output, opcode, payload);
        }
        return true;
    }

    /// <summary>
    /// RFC 6455 §7.1.7 [6455-7.1.7-close]: _Fail the WebSocket Connection_: send a Close with the code (unless ours
    /// was sent already) [6455-7.1.7-close-frame], then close TCP (<see cref="ProtocolAction.CloseTcp"/>). For a
    /// broken protocol, and for a server that cannot go on (1011).
    /// </summary>
    public void Fail(ushort code, string reason, IBufferWriter<byte> output)
    {
        if (_state == ConnectionState.Open)
            FrameWriter.WriteClose(output, code, reason);
        _closeInfo ??= new CloseInfo(code, reason, CloseInitiator.Server);
        _state = ConnectionState.Closed;
    }

    /// <summary>
    /// Starts the closing handshake (RFC 6455 §7.1.2 [6455-7.1.2-start]: the Close carries the code and the reason)
    /// and the close timer. Once only: a second call, or one after the peer's Close, writes nothing.
    /// </summary>
    public void Close(ushort code, string reason, IBufferWriter<byte> output, long now)
    {
        if (_state != ConnectionState.Open)
            return;
        _closeInfo ??= new CloseInfo(code, reason, CloseInitiator.Server);
        FrameWriter.WriteClose(output, code, reason);
        _state = ConnectionState.CloseSent;
        Volatile.Write(ref _closeSentAt, now);
    }

    /// <summary>
    /// The timers, about once a second: a quiet peer is pinged, an idle one closed, and one that does not answer our
    /// Close in time is given up on (<see cref="ProtocolAction.Abort"/>).
    /// </summary>
    public ProtocolAction OnTick(long now, IBufferWriter<byte> output)
    {
        switch (_state)
        {
            case ConnectionState.Closed:
                return ProtocolAction.None;
            case ConnectionState.CloseSent:
                // RFC 6455 §7.1.1 [6455-7.1.1-any-means]: do not wait forever for the peer's half of the closing
                // handshake.
                if (now - Volatile.Read(ref _closeSentAt) < _timers.CloseTimeoutMs)
                    return ProtocolAction.None;
                Abort(_closeInfo?.Code ?? CloseCode.GoingAway, "close timeout");
                return ProtocolAction.Abort;
        }

        long quiet = now - Volatile.Read(ref _lastReceived);
        // RFC 6455 §7.3 [6455-7.3-close-any-time]: "Servers MAY close the WebSocket connection whenever desired":
        // here, a peer silent for the idle timeout.
        if (quiet >= _timers.IdleTimeoutMs)
        {
            Close(CloseCode.GoingAway, "idle timeout", output, now);
            return ProtocolAction.None;
        }
        // RFC 6455 §5.5.2 [6455-5.5.2-ping]: a Ping "may serve either as a keepalive or as a means to verify that the
        // remote endpoint is still responsive". The payload is our clock, so a debugger can read the round trip from the Pong.
        if (quiet >= _timers.PingIntervalMs && now - _lastPing >= _timers.PingIntervalMs)
        {
            _lastPing = now;
            Span<byte> clock = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(clock, now);
            FrameWriter.WriteFrame(output, Opcode.Ping, clock);
        }
        return ProtocolAction.None;
    }

    /// <summary>The connection ends now, whatever its state (a timeout, a stalled peer): nothing more is written.</summary>
    public void Abort(ushort code, string reason)
    {
        _closeInfo ??= new CloseInfo(code, reason, CloseInitiator.Server);
        _state = ConnectionState.Closed;
    }

    /// <summary>The TCP connection was lost or closed by the peer without a Close: 1006 (RFC 6455 §7.1.5).</summary>
    public void ConnectionLost(string reason)
    {
        _closeInfo ??= new CloseInfo(CloseCode.AbnormalClosure, reason, CloseInitiator.Network);
        _state = ConnectionState.Closed;
    }

    /// <summary>Frees the compressor's native memory; no frame can be written after it.</summary>
    public void DisposeCompressor() => _deflater?.Dispose();

    public void Dispose()
    {
        _deflater?.Dispose();
        _receiver.Dispose();
    }
}
