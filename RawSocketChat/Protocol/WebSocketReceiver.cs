using System.Buffers;

namespace RawSocketChat.Protocol;

/// <summary>Limits and negotiated features that decide which frames a receiver accepts.</summary>
public sealed record ReceiverOptions
{
    /// <summary>Largest message, summed over all its fragments; larger ones fail with 1009. At most <see cref="Array.MaxLength"/>.</summary>
    public long MaxMessageBytes
    {
        get => _maxMessageBytes;
        init => _maxMessageBytes = value is > 0 && value <= Array.MaxLength
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxMessageBytes), value, "must be between 1 and Array.MaxLength");
    }

    private readonly long _maxMessageBytes = 1024 * 1024;

    /// <summary>True on the server: RFC 6455 §5.1 requires every client frame to be masked.</summary>
    public bool RequireMaskedFrames { get; init; } = true;
}

/// <summary>
/// The receiving half of a WebSocket connection, without any I/O: bytes in, events out.
/// <para>
/// The transport hands it whatever arrived (<see cref="Receive"/>) and gets back one event at a time. The parser
/// is a small state machine (header → payload) that can stop at any byte and resume when more arrive, so it is
/// indifferent to how TCP splits the stream. Every frame-level rule of RFC 6455 §5 is enforced in this file.
/// </para>
/// <para>
/// Payloads are unmasked while they are copied out of the network buffer into a pooled message buffer, so a
/// message costs one pass over its bytes. The buffer is rented when a message starts and returned when the next
/// call begins, so an idle connection holds no payload memory.
/// </para>
/// </summary>
public sealed class WebSocketReceiver : IDisposable
{
    private enum State : byte { Header, Payload, Closed }

    private readonly ReceiverOptions _options;
    private State _state;

    // The frame being read.
    private FrameHeader _frame;
    private long _frameRemaining;
    private int _maskOffset;

    // The data message being assembled (Opcode.Continuation when none is in progress).
    private Opcode _messageOpcode;
    private byte[]? _messageBuffer;
    private int _messageLength;
    private Utf8Validator _utf8;
    private bool _releaseOnNextReceive;

    // RFC 6455 §5.5: control payloads are at most 125 bytes, so one small buffer serves them all.
    private readonly byte[] _controlBuffer = new byte[125];
    private int _controlLength;

    public WebSocketReceiver(ReceiverOptions? options = null)
    {
        _options = options ?? new ReceiverOptions();
    }

    /// <summary>True while a fragmented message is partly received.</summary>
    public bool IsMessageInProgress => _messageOpcode != Opcode.Continuation;

    /// <summary>
    /// Consumes bytes from the front of <paramref name="input"/> until one event is complete or the input runs out.
    /// On return <paramref name="input"/> holds the bytes not yet consumed. After <see cref="ReceiveStatus.Close"/>
    /// or <see cref="ReceiveStatus.Failed"/> nothing more is read: RFC 6455 §5.5.1 says no data follows a Close.
    /// </summary>
    public ReceiveResult Receive(ref ReadOnlySequence<byte> input)
    {
        if (_releaseOnNextReceive)
            ReleaseMessage();

        while (_state != State.Closed)
        {
            if (_state == State.Header)
            {
                if (!FrameHeader.TryParse(input, out _frame, out int headerLength, out ProtocolError error))
                    return error == ProtocolError.None ? ReceiveResult.NeedMoreData : Fail(error);

                error = CheckHeader(_frame);
                if (error != ProtocolError.None)
                    return Fail(error);

                input = input.Slice(headerLength);
                _frameRemaining = _frame.PayloadLength;
                _maskOffset = 0;
                _controlLength = 0;
                _state = State.Payload;
            }

            if (!CopyPayload(ref input, out ProtocolError payloadError))
                return Fail(payloadError);
            if (_frameRemaining > 0)
                return ReceiveResult.NeedMoreData;

            _state = State.Header;
            ReceiveResult? result = CompleteFrame();
            if (result is { } r)
                return r;
        }
        return ReceiveResult.NeedMoreData;
    }

    /// <summary>
    /// All header rules that depend on the connection, in the order RFC 6455 §5.2 lists the fields. On success a data
    /// frame has its message buffer sized, so the payload can be copied without further checks.
    /// </summary>
    private ProtocolError CheckHeader(in FrameHeader frame)
    {
        // RFC 6455 §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated that defines meanings for non-zero values".
        if (frame.Rsv != 0)
            return ProtocolError.ReservedBitsSet;

        // RFC 6455 §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_".
        if (!frame.Opcode.IsDefined())
            return ProtocolError.ReservedOpcode;

        // RFC 6455 §5.1: "The server MUST close the connection upon receiving a frame that is not masked".
        if (_options.RequireMaskedFrames && !frame.Masked)
            return ProtocolError.UnmaskedClientFrame;

        if (frame.Opcode.IsControl())
        {
            // RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less".
            if (frame.PayloadLength > 125)
                return ProtocolError.ControlFrameTooLong;
            // RFC 6455 §5.5: "and MUST NOT be fragmented".
            if (!frame.Fin)
                return ProtocolError.FragmentedControlFrame;
            return ProtocolError.None;
        }

        if (frame.Opcode == Opcode.Continuation)
        {
            // RFC 6455 §5.4: a continuation frame only continues a message that a Text/Binary frame began.
            if (!IsMessageInProgress)
                return ProtocolError.UnexpectedContinuation;
        }
        else
        {
            // RFC 6455 §5.4: fragments of one message are not interleaved with another data message.
            if (IsMessageInProgress)
                return ProtocolError.ExpectedContinuation;
            _messageOpcode = frame.Opcode;
            _messageLength = 0;
            _utf8.Reset();
        }

        // The limit is decided from the declared length, before a byte of payload is buffered: a frame that
        // claims 2^62 bytes allocates nothing.
        if (frame.PayloadLength > _options.MaxMessageBytes - _messageLength)
            return ProtocolError.MessageTooBig;

        EnsureMessageCapacity(_messageLength + (int)frame.PayloadLength);
        return ProtocolError.None;
    }

    /// <summary>Copies (and unmasks) as much of the current frame's payload as <paramref name="input"/> holds.</summary>
    private bool CopyPayload(ref ReadOnlySequence<byte> input, out ProtocolError error)
    {
        error = ProtocolError.None;
        if (_frameRemaining == 0)
            return true;

        int take = (int)Math.Min(_frameRemaining, input.Length);
        if (take == 0)
            return true;

        bool control = _frame.Opcode.IsControl();
        Span<byte> destination = control
            ? _controlBuffer.AsSpan(_controlLength, take)
            : _messageBuffer.AsSpan(_messageLength, take);

        int written = 0;
        foreach (ReadOnlyMemory<byte> segment in input.Slice(0, take))
        {
            Span<byte> target = destination.Slice(written, segment.Length);
            _maskOffset = _frame.Masked
                ? Masking.Apply(segment.Span, target, _frame.MaskKey, _maskOffset)
                : CopyUnmasked(segment.Span, target);
            written += segment.Length;
        }
        input = input.Slice(take);
        _frameRemaining -= take;

        if (control)
        {
            _controlLength += take;
            return true;
        }

        // RFC 6455 §8.1: text must be UTF-8; validating each chunk as it lands lets us fail at the first bad byte.
        if (_messageOpcode == Opcode.Text && !_utf8.Feed(destination))
        {
            error = ProtocolError.InvalidUtf8;
            return false;
        }
        _messageLength += take;
        return true;
    }

    private int CopyUnmasked(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return 0;
    }

    /// <summary>Called when a frame's last payload byte is in. Returns the event it completes, if any.</summary>
    private ReceiveResult? CompleteFrame()
    {
        ReadOnlyMemory<byte> control = _controlBuffer.AsMemory(0, _controlLength);
        switch (_frame.Opcode)
        {
            case Opcode.Ping:
                return ReceiveResult.Ping(control);
            case Opcode.Pong:
                return ReceiveResult.Pong(control);
            case Opcode.Close:
            {
                ProtocolError error = ClosePayload.Parse(control.Span, out ushort code, out string reason);
                if (error != ProtocolError.None)
                    return Fail(error);
                _state = State.Closed;
                ReleaseMessage();
                return ReceiveResult.Close(code, reason);
            }
        }

        if (!_frame.Fin)
            return null;

        // RFC 6455 §8.1: a text message may not end inside a code point.
        if (_messageOpcode == Opcode.Text && !_utf8.IsComplete)
            return Fail(ProtocolError.InvalidUtf8);

        var message = ReceiveResult.Message(_messageOpcode, _messageBuffer.AsMemory(0, _messageLength));
        _messageOpcode = Opcode.Continuation;
        _releaseOnNextReceive = true;
        return message;
    }

    private void EnsureMessageCapacity(int needed)
    {
        if (_messageBuffer is not null && _messageBuffer.Length >= needed)
            return;
        if (needed == 0)
            return;

        // Grow geometrically for fragmented messages, but never past the message limit.
        int size = _messageBuffer is null ? needed : (int)Math.Min(Math.Max(needed, (long)_messageBuffer.Length * 2), _options.MaxMessageBytes);
        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(size, needed));
        if (_messageBuffer is not null)
        {
            _messageBuffer.AsSpan(0, _messageLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_messageBuffer);
        }
        _messageBuffer = bigger;
    }

    private void ReleaseMessage()
    {
        _releaseOnNextReceive = false;
        if (_messageBuffer is not null && !IsMessageInProgress)
        {
            ArrayPool<byte>.Shared.Return(_messageBuffer);
            _messageBuffer = null;
        }
        _messageLength = IsMessageInProgress ? _messageLength : 0;
    }

    private ReceiveResult Fail(ProtocolError error)
    {
        _state = State.Closed;
        return ReceiveResult.Fail(error);
    }

    public void Dispose()
    {
        _messageOpcode = Opcode.Continuation;
        ReleaseMessage();
        _state = State.Closed;
    }
}
