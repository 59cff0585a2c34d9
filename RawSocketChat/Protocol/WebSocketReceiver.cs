using System.Buffers;
using System.Runtime.CompilerServices;
using RawSocketChat.Protocol.Deflate;

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
/// The transport hands it whatever arrived (<see cref="Receive(ref ReadOnlySequence{byte})"/>, or the span overload)
/// and gets back one event at a time. The parser is a small state machine (header → payload) that can stop at any
/// byte and resume when more arrive — even inside a header, whose first bytes it keeps — so it is indifferent to how
/// TCP splits the stream. Every frame-level rule of RFC 6455 §5 is enforced in this file.
/// </para>
/// <para>
/// Payloads are unmasked while they are copied out of the network buffer into a pooled message buffer, so a
/// message costs one pass over its bytes. The buffer is rented when the first payload bytes arrive and grows with the
/// bytes that arrive (never ahead of them to the length a header declares). A busy connection reuses it for the next
/// message; the transport calls <see cref="ReleaseBuffers"/> before it waits for the network, so an idle connection
/// holds no payload memory.
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

    // permessage-deflate (RFC 7692), when negotiated: whether the message in progress is compressed (RSV1 on its
    // first frame), and the decompressor its payload goes through.
    private readonly MessageInflater? _inflater;
    private bool _messageCompressed;
    private const int InflateInputChunk = 16 * 1024;

    // The first rent for a message that is still arriving; a whole message that has arrived gets its size (at least
    // SmallestMessageBuffer, so that one buffer serves a run of small messages of different lengths).
    private const int MinimumMessageBuffer = 4096;
    private const int SmallestMessageBuffer = 256;

    // Between messages, a buffer up to this size is kept for the next one; a bigger one goes back to the pool at once.
    private const int KeptMessageBuffer = 64 * 1024;

    // A header cut by the end of a read: its first bytes wait here for the rest. Inline in this object (a header is
    // at most 14 bytes), so it costs an idle connection no extra allocation.
    [InlineArray(FrameHeader.MaxLength)]
    private struct HeaderBytes { private byte _first; }
    private HeaderBytes _partialHeader;
    private int _partialHeaderLength;

    // RFC 6455 §5.5: control payloads are at most 125 bytes, so one small buffer serves them all.
    private readonly byte[] _controlBuffer = new byte[FrameHeader.MaxControlPayloadLength];
    private int _controlLength;

    /// <param name="inflater">The connection's decompressor when permessage-deflate was negotiated; the receiver owns it.</param>
    public WebSocketReceiver(ReceiverOptions? options = null, MessageInflater? inflater = null)
    {
        _options = options ?? new ReceiverOptions();
        _inflater = inflater;
    }

    /// <summary>True while a fragmented message is partly received.</summary>
    public bool IsMessageInProgress => _messageOpcode != Opcode.Continuation;

    /// <summary>No frame and no fragmented message is half read: whole frames may be given next.</summary>
    public bool IsBetweenMessages => _state == State.Header && _partialHeaderLength == 0 && !IsMessageInProgress;

    /// <summary>
    /// Consumes bytes from the front of <paramref name="input"/> until one event is complete or the input runs out.
    /// On return <paramref name="input"/> holds the bytes not yet consumed (none, unless an event was returned).
    /// After <see cref="ReceiveStatus.Close"/> or <see cref="ReceiveStatus.Failed"/> nothing more is read:
    /// RFC 6455 §5.5.1 says no data follows a Close. RFC 6455 §6.2 [6455-6.2-parse]: whatever arrived is parsed as
    /// frames, and a cut anywhere (even inside a header) only means waiting for the rest.
    /// </summary>
    public ReceiveResult Receive(ref ReadOnlySequence<byte> input)
    {
        // Usually everything that arrived is one segment, and this is one call of the span parser.
        if (input.IsSingleSegment)
        {
            ReceiveResult single = Receive(input.FirstSpan, 0, out int used);
            input = input.Slice(used);
            return single;
        }

        long following = input.Length;
        SequencePosition next = input.Start;
        SequencePosition segmentStart = next;
        while (input.TryGet(ref next, out ReadOnlyMemory<byte> segment))
        {
            following -= segment.Length;
            ReceiveResult result = Receive(segment.Span, following, out int consumed);
            if (result.Status != ReceiveStatus.NeedMoreData || _state == State.Closed)
            {
                input = input.Slice(input.GetPosition(consumed, segmentStart));
                return result;
            }
            segmentStart = next;
        }
        input = input.Slice(input.End);
        return ReceiveResult.NeedMoreData;
    }

    /// <summary>
    /// The same over one span: consumes bytes from the front of <paramref name="input"/> until one event is complete
    /// or the span runs out, and says how many it consumed. With <see cref="ReceiveStatus.NeedMoreData"/> that is the
    /// whole span: a header cut short is kept until the next call brings the rest, so the caller never has to hold
    /// bytes back.
    /// </summary>
    public ReceiveResult Receive(ReadOnlySpan<byte> input, out int consumed) => Receive(input, 0, out consumed);

    /// <param name="following">Bytes that have arrived after <paramref name="input"/> (in the next segments): a
    /// message buffer is sized for everything that has arrived, not one segment at a time.</param>
    private ReceiveResult Receive(ReadOnlySpan<byte> input, long following, out int consumed)
    {
        consumed = 0;
        if (_releaseOnNextReceive)
            RecycleMessage();

        while (_state != State.Closed)
        {
            if (_state == State.Header)
            {
                if (!TryReadHeader(input, ref consumed, out ProtocolError error))
                    return error == ProtocolError.None ? ReceiveResult.NeedMoreData : Fail(error);

                error = CheckHeader(_frame);
                if (error != ProtocolError.None)
                    return Fail(error);

                _frameRemaining = _frame.PayloadLength;
                _maskOffset = 0;
                _controlLength = 0;
                _state = State.Payload;
            }

            if (!CopyPayload(input, following, ref consumed, out ProtocolError payloadError))
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
    /// Parses the next frame header from <paramref name="input"/> at <paramref name="consumed"/>. A header cut by
    /// the end of the input is kept in <see cref="_partialHeader"/> (and counted as consumed) until the rest arrives.
    /// </summary>
    private bool TryReadHeader(ReadOnlySpan<byte> input, ref int consumed, out ProtocolError error)
    {
        ReadOnlySpan<byte> rest = input[consumed..];
        Span<byte> kept = _partialHeader;
        if (_partialHeaderLength == 0)
        {
            if (FrameHeader.TryParse(rest, out _frame, out int length, out error))
            {
                consumed += length;
                return true;
            }
            if (error == ProtocolError.None)
            {
                // Incomplete, so shorter than the longest header: keep it whole.
                rest.CopyTo(kept);
                _partialHeaderLength = rest.Length;
                consumed += rest.Length;
            }
            return false;
        }

        int added = Math.Min(rest.Length, kept.Length - _partialHeaderLength);
        rest[..added].CopyTo(kept[_partialHeaderLength..]);
        if (FrameHeader.TryParse(kept[..(_partialHeaderLength + added)], out _frame, out int headerLength, out error))
        {
            // The kept bytes did not make a header on their own, so the header ends inside this input.
            consumed += headerLength - _partialHeaderLength;
            _partialHeaderLength = 0;
            return true;
        }
        if (error == ProtocolError.None)
        {
            _partialHeaderLength += added;
            consumed += added;
        }
        return false;
    }

    /// <summary>
    /// All header rules that depend on the connection, in the order RFC 6455 §5.2 lists the fields. RFC 6455 §10.7
    /// [6455-10.7-validate]: every field is checked before a byte of the payload is taken.
    /// </summary>
    private ProtocolError CheckHeader(in FrameHeader frame)
    {
        // RFC 6455 §5.2 [6455-5.2-rsv]: RSV1-3 "MUST be 0 unless an extension is negotiated that defines meanings for
        // non-zero values". RFC 7692 §6: permessage-deflate gives RSV1 that meaning ("Per-Message Compressed"); RSV2
        // and RSV3 stay reserved. RFC 6455 §5.8 [6455-5.8-negotiate]: only if the handshake negotiated it.
        byte allowedRsv = _inflater is null ? (byte)0 : FrameHeader.Rsv1;
        if ((frame.Rsv & ~allowedRsv) != 0)
            return ProtocolError.ReservedBitsSet;
        bool compressed = (frame.Rsv & FrameHeader.Rsv1) != 0;

        // RFC 6455 §5.2 [6455-5.2-opcode]: "If an unknown opcode is received, the receiving endpoint MUST _Fail the
        // WebSocket Connection_".
        if (!frame.Opcode.IsDefined())
            return ProtocolError.ReservedOpcode;

        // RFC 6455 §5.1 [6455-5.1-unmasked]: "The server MUST close the connection upon receiving a frame that is not
        // masked".
        if (_options.RequireMaskedFrames && !frame.Masked)
            return ProtocolError.UnmaskedClientFrame;

        // RFC 6455 §5.4 [6455-5.4-control-mid-message]: a control frame between fragments is checked on its own and
        // leaves the message in progress as it was.
        if (frame.Opcode.IsControl())
        {
            // RFC 7692 §6 [7692-6-rsv1-control]: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control
            // frames and non-first fragments of a data message. An endpoint receiving such a frame MUST _Fail the
            // WebSocket Connection_."
            if (compressed)
                return ProtocolError.CompressedControlFrame;
            // RFC 6455 §5.5 [6455-5.5-control-length]: "All control frames MUST have a payload length of 125 bytes or
            // less".
            if (frame.PayloadLength > FrameHeader.MaxControlPayloadLength)
                return ProtocolError.ControlFrameTooLong;
            // RFC 6455 §5.5 [6455-5.5-control-fragmented]: "and MUST NOT be fragmented".
            if (!frame.Fin)
                return ProtocolError.FragmentedControlFrame;
            return ProtocolError.None;
        }

        if (frame.Opcode == Opcode.Continuation)
        {
            // RFC 6455 §5.4: a continuation frame only continues a message that a Text/Binary frame began; §6.2
            // [6455-6.2-new-message]: after a final frame, the next data frame begins a new message.
            if (!IsMessageInProgress)
                return ProtocolError.UnexpectedContinuation;
            // RFC 7692 §6 [7692-6-rsv1-continuation]: RSV1 marks the first frame of a compressed message only (quoted
            // above).
            if (compressed)
                return ProtocolError.CompressedContinuation;
        }
        else
        {
            // RFC 6455 §5.4 [6455-5.4-no-interleave]: fragments of one message are not interleaved with another data
            // message.
            if (IsMessageInProgress)
                return ProtocolError.ExpectedContinuation;
            // RFC 6455 §6.2 [6455-6.2-type]: the first frame's opcode is the type of the whole message.
            _messageOpcode = frame.Opcode;
            _messageLength = 0;
            _messageCompressed = compressed;
            _utf8.Reset();
        }

        // RFC 6455 §10.4 [6455-10.4-frame-limit]: the limit is decided from the declared length, before a byte of
        // payload is buffered: a frame that claims 2^62 bytes allocates nothing. A compressed message is held to the
        // limit by its inflated size, while inflating (DrainInflater): its declared lengths count compressed bytes,
        // which are never accumulated.
        if (!_messageCompressed && frame.PayloadLength > _options.MaxMessageBytes - _messageLength)
            return ProtocolError.MessageTooBig;
        return ProtocolError.None;
    }

    /// <summary>Copies (and unmasks) as much of the current frame's payload as <paramref name="input"/> holds.</summary>
    private bool CopyPayload(ReadOnlySpan<byte> input, long following, ref int consumed, out ProtocolError error)
    {
        error = ProtocolError.None;
        if (_frameRemaining == 0)
            return true;

        int take = (int)Math.Min(_frameRemaining, input.Length - consumed);
        if (take == 0)
            return true;
        ReadOnlySpan<byte> source = input.Slice(consumed, take);

        bool control = _frame.Opcode.IsControl();
        if (!control && _messageCompressed)
            return InflatePayload(source, ref consumed, out error);
        // RFC 6455 §10.4 [6455-10.4-protect]: buffer what arrived, not what the header declared: a 14-byte header
        // claiming 1 MiB, then silence, must not make us hold 1 MiB (the fuzz target `frames` checks this
        // amplification bound). Fragments are appended in the order they arrive [6455-5.4-order].
        if (!control)
        {
            long arrived = Math.Min(_frameRemaining, input.Length - consumed + following);
            EnsureMessageCapacity(_messageLength + (int)arrived, _messageLength + _frameRemaining);
        }
        Span<byte> destination = control
            ? _controlBuffer.AsSpan(_controlLength, take)
            : _messageBuffer.AsSpan(_messageLength, take);

        // RFC 6455 §6.2 [6455-6.2-unmask]: "A server MUST remove masking", here while copying out of the network
        // buffer.
        _maskOffset = _frame.Masked
            ? Masking.Apply(source, destination, _frame.MaskKey, _maskOffset)
            : CopyUnmasked(source, destination);
        consumed += take;
        _frameRemaining -= take;

        if (control)
        {
            _controlLength += take;
            return true;
        }

        // RFC 6455 §8.1 [6455-8.1-utf8]: text must be UTF-8; validating each chunk as it lands lets us fail at the
        // first bad byte.
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

    /// <summary>
    /// The compressed counterpart of <see cref="CopyPayload"/> (RFC 7692 §7.2.2): the payload is unmasked into a
    /// small scratch buffer and inflated straight into the message buffer, frame by frame as it arrives.
    /// </summary>
    private bool InflatePayload(ReadOnlySpan<byte> source, ref int consumed, out ProtocolError error)
    {
        error = ProtocolError.None;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(Math.Min(source.Length, InflateInputChunk));
        try
        {
            ReadOnlySpan<byte> rest = source;
            while (!rest.IsEmpty)
            {
                int n = Math.Min(rest.Length, scratch.Length);
                _maskOffset = _frame.Masked
                    ? Masking.Apply(rest[..n], scratch, _frame.MaskKey, _maskOffset)
                    : CopyUnmasked(rest[..n], scratch);
                _inflater!.Feed(scratch.AsMemory(0, n));
                error = DrainInflater();
                if (error != ProtocolError.None)
                    return false; // nothing after the failing chunk is inflated
                rest = rest[n..];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
        consumed += source.Length;
        _frameRemaining -= source.Length;
        return true;
    }

    /// <summary>
    /// Inflates everything fed so far into the message buffer, which grows with the inflated bytes (fourfold, from
    /// 4 KiB) but never past the message limit. At the limit, one more byte is asked for: if it exists the message is
    /// too big (1009), decided after inflating at most the limit plus one byte, however large the bomb (RFC 6455 §10.4
    /// [6455-10.4-inflate-limit]).
    /// </summary>
    private ProtocolError DrainInflater()
    {
        while (true)
        {
            int room = (int)(_options.MaxMessageBytes - _messageLength);
            if (room == 0)
            {
                Span<byte> probe = stackalloc byte[1];
                OperationStatus last = _inflater!.Inflate(probe, out int extra);
                if (extra > 0)
                    return ProtocolError.MessageTooBig;
                return last == OperationStatus.InvalidData ? ProtocolError.InvalidCompressedData : ProtocolError.None;
            }

            if (_messageBuffer is null || _messageLength == _messageBuffer.Length)
                EnsureMessageCapacity(_messageLength + 1, _options.MaxMessageBytes);
            Span<byte> destination = _messageBuffer.AsSpan(_messageLength, Math.Min(_messageBuffer!.Length - _messageLength, room));
            OperationStatus status = _inflater!.Inflate(destination, out int written);

            // RFC 6455 §8.1 applies to the message, which is the inflated bytes: check them as they appear (RFC 7692 §6
            // [7692-6-inflated-text]).
            if (_messageOpcode == Opcode.Text && !_utf8.Feed(destination[..written]))
                return ProtocolError.InvalidUtf8;
            _messageLength += written;

            if (status == OperationStatus.Done)
                return ProtocolError.None;
            if (status == OperationStatus.InvalidData)
                return ProtocolError.InvalidCompressedData;
        }
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
                    return Fail(error, error == ProtocolError.InvalidCloseCode ? code : 0);
                _state = State.Closed;
                ReleaseBuffers();
                return ReceiveResult.Close(code, reason);
            }
        }

        // RFC 6455 §5.4 [6455-5.4-receive-fragmented]: a frame without FIN leaves the message to the next fragments.
        if (!_frame.Fin)
            return null;

        if (_messageCompressed)
        {
            // RFC 7692 §7.2.2: put back the 00 00 ff ff the sender removed, and inflate what it flushes out.
            _inflater!.FeedEndOfMessage();
            ProtocolError error = DrainInflater();
            if (error != ProtocolError.None)
                return Fail(error);
            _inflater.EndMessage();
        }

        // RFC 6455 §8.1 [6455-8.1-utf8-end]: a text message may not end inside a code point.
        if (_messageOpcode == Opcode.Text && !_utf8.IsComplete)
            return Fail(ProtocolError.InvalidUtf8);

        var message = ReceiveResult.Message(_messageOpcode, _messageBuffer.AsMemory(0, _messageLength));
        _messageOpcode = Opcode.Continuation;
        _releaseOnNextReceive = true;
        return message;
    }

    /// <summary>
    /// Makes room for <paramref name="needed"/> message bytes. Grows fourfold (from 4 KiB), so a message that arrives
    /// in many small reads is copied a bounded number of times per byte (a 64 KiB message in 4 KiB reads: twice, 20
    /// KiB in all), but never past <paramref name="frameEnd"/>, the end of the frame being read, which CheckHeader has
    /// held to the message limit. What is held stays within four times what has arrived.
    /// </summary>
    private void EnsureMessageCapacity(int needed, long frameEnd)
    {
        if (_messageBuffer is not null && _messageBuffer.Length >= needed)
            return;

        long grown = Math.Max(MinimumMessageBuffer, 4L * (_messageBuffer?.Length ?? 0));
        int size = (int)Math.Max(Math.Max(needed, SmallestMessageBuffer), Math.Min(grown, frameEnd));
        byte[] bigger = ArrayPool<byte>.Shared.Rent(size);
        if (_messageBuffer is not null)
        {
            _messageBuffer.AsSpan(0, _messageLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_messageBuffer);
        }
        _messageBuffer = bigger;
    }

    /// <summary>The message last delivered is done with: its buffer is kept for the next one, unless it is big.</summary>
    private void RecycleMessage()
    {
        _releaseOnNextReceive = false;
        _messageLength = 0;
        if (_messageBuffer is { Length: > KeptMessageBuffer })
            ReturnMessageBuffer();
    }

    /// <summary>
    /// Returns the message buffer to the pool, unless a fragmented message is partly received (then it holds that
    /// message). The transport calls this when it is about to wait for the network, so a busy connection reuses one
    /// buffer while an idle one holds none. Like the next <see cref="Receive(ref ReadOnlySequence{byte})"/>, it ends
    /// the life of the last message's payload.
    /// </summary>
    public void ReleaseBuffers()
    {
        if (_releaseOnNextReceive)
            RecycleMessage();
        if (!IsMessageInProgress)
            ReturnMessageBuffer();
    }

    private void ReturnMessageBuffer()
    {
        if (_messageBuffer is null)
            return;
        ArrayPool<byte>.Shared.Return(_messageBuffer);
        _messageBuffer = null;
    }

    /// <summary>
    /// RFC 6455 §7.1.7 [6455-7.1.7-stop-processing]: after a failure, nothing more from the peer is processed.
    /// The failure takes its numbers from the frame that broke the rule (or <paramref name="value"/>, a close code),
    /// here in one place: failures are rare, so the checks on the hot path return only the error.
    /// </summary>
    private ReceiveResult Fail(ProtocolError error, long value = 0)
    {
        _state = State.Closed;
        long limit = 0;
        switch (error)
        {
            case ProtocolError.ReservedOpcode:
                value = (long)_frame.Opcode;
                break;
            case ProtocolError.ControlFrameTooLong:
                value = _frame.PayloadLength;
                limit = FrameHeader.MaxControlPayloadLength;
                break;
            case ProtocolError.MessageTooBig:
                // Uncompressed, CheckHeader refused the frame whose declared length takes the message past the limit:
                // the message's length is the fragments before it plus that (capped: a frame may declare 2^63 − 1
                // bytes). A compressed message has no such length (0): inflating went past the limit.
                value = _messageCompressed ? 0 : _messageLength + Math.Min(_frame.PayloadLength, long.MaxValue - _messageLength);
                limit = _options.MaxMessageBytes;
                break;
        }
        return ReceiveResult.Fail(error, value, limit);
    }

    public void Dispose()
    {
        _messageOpcode = Opcode.Continuation;
        ReleaseBuffers();
        _inflater?.Dispose();
        _state = State.Closed;
    }
}
