using System.Buffers;
using System.Text;
using RawSocketChat.Protocol;

namespace RawSocketChat.Tests.Protocol;

/// <summary>Builds frames the way a client (masked) or the server (unmasked) would put them on the wire.</summary>
/// <summary>RFC 6455 §7.4: the close codes a peer may and may not put on the wire, one list for every test.</summary>
public static class CloseCodes
{
    public static TheoryData<int> MayBeSent => [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];

    public static TheoryData<int> MayNotBeSent => [0, 999, 1004, 1005, 1006, 1012, 1015, 1016, 2999, 5000, 65535];
}

internal static class Frames
{
    /// <summary>The key from the RFC 6455 §5.7 examples (bytes 37 fa 21 3d on the wire).</summary>
    public const uint RfcMaskKey = 0x3D21FA37;

    /// <summary>A client frame: masked, as RFC 6455 §5.1 requires.</summary>
    public static byte[] Masked(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, byte rsv = 0, uint maskKey = RfcMaskKey)
    {
        var frame = new byte[FrameWriter.MaskedFrameLength(payload.Length)];
        int written = FrameWriter.WriteMaskedFrame(frame, opcode, payload, maskKey, fin, rsv);
        Assert.Equal(frame.Length, written);
        return frame;
    }

    public static byte[] Masked(Opcode opcode, string text, bool fin = true) => Masked(opcode, Encoding.UTF8.GetBytes(text), fin);

    /// <summary>A server frame: unmasked, written through an <see cref="IBufferWriter{T}"/>.</summary>
    public static byte[] Unmasked(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteFrame(writer, opcode, payload, fin);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Just a header (no payload bytes follow): for frames that claim more than we want to send.</summary>
    public static byte[] HeaderOnly(Opcode opcode, long payloadLength, bool fin = true, uint maskKey = RfcMaskKey)
    {
        var header = new FrameHeader(fin, 0, opcode, Masked: true, payloadLength, maskKey);
        var bytes = new byte[header.EncodedLength];
        header.WriteTo(bytes);
        return bytes;
    }

    /// <summary>A Close body: 2-byte big-endian code, then the reason bytes (§5.5.1).</summary>
    public static byte[] CloseBody(ushort code, ReadOnlySpan<byte> reason = default) =>
        [(byte)(code >> 8), (byte)code, .. reason];

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/>s, like the ones a <c>PipeReader</c> hands out.</summary>
internal static class Segments
{
    /// <summary>
    /// Splits <paramref name="data"/> at the given cut points (any order, clamped to the data, duplicates allowed, so
    /// empty segments can appear) into one sequence of several segments.
    /// </summary>
    public static ReadOnlySequence<byte> Split(byte[] data, int[] cuts) => Of(Cut(data, cuts));

    /// <summary>The pieces of <paramref name="data"/> between the cut points.</summary>
    public static byte[][] Cut(byte[] data, int[] cuts)
    {
        int[] points = cuts.Select(c => Math.Clamp(c, 0, data.Length)).Order().ToArray();
        var pieces = new List<byte[]>();
        int start = 0;
        foreach (int point in points)
        {
            pieces.Add(data[start..point]);
            start = point;
        }
        pieces.Add(data[start..]);
        return pieces.ToArray();
    }

    /// <summary>One sequence whose segments are exactly <paramref name="pieces"/>.</summary>
    public static ReadOnlySequence<byte> Of(params byte[][] pieces)
    {
        if (pieces.Length == 0)
            return ReadOnlySequence<byte>.Empty;
        var first = new Segment(pieces[0], runningIndex: 0);
        Segment last = first;
        foreach (byte[] piece in pieces.Skip(1))
            last = last.Append(piece);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

/// <summary>
/// A copy of one <see cref="ReceiveResult"/>: the result's payload points into the receiver's buffers and is only
/// valid until the next <c>Receive</c>, so tests that collect several events must copy them.
/// </summary>
internal sealed record Event(ReceiveStatus Status, Opcode Opcode, byte[] Payload, ushort CloseCode = 0)
{
    public static Event Message(Opcode opcode, byte[] payload) => new(ReceiveStatus.Message, opcode, payload);
    public static Event Ping(byte[] payload) => new(ReceiveStatus.Ping, Opcode.Ping, payload);
    public static Event Pong(byte[] payload) => new(ReceiveStatus.Pong, Opcode.Pong, payload);
    public static Event Close(ushort code) => new(ReceiveStatus.Close, Opcode.Close, [], code);

    public static Event From(ReceiveResult result) => result.Status switch
    {
        ReceiveStatus.Failed => new(ReceiveStatus.Failed, default, [], result.CloseCode),
        ReceiveStatus.Close => Close(result.CloseCode),
        _ => new(result.Status, result.Opcode, result.Payload.ToArray()),
    };

    public bool Equals(Event? other) =>
        other is not null && Status == other.Status && Opcode == other.Opcode && CloseCode == other.CloseCode
        && Payload.AsSpan().SequenceEqual(other.Payload);

    public override int GetHashCode() => HashCode.Combine(Status, Opcode, Payload.Length, CloseCode);

    public override string ToString()
    {
        string bytes = Convert.ToHexString(Payload, 0, Math.Min(Payload.Length, 16)) + (Payload.Length > 16 ? "…" : "");
        return $"{Status}({Opcode}, {Payload.Length} bytes {bytes}, code {CloseCode})";
    }
}

internal static class ReceiverExtensions
{
    /// <summary>One call to <c>Receive</c> on a single contiguous buffer.</summary>
    public static ReceiveResult ReceiveOnce(this WebSocketReceiver receiver, byte[] bytes)
    {
        var input = new ReadOnlySequence<byte>(bytes);
        return receiver.Receive(ref input);
    }

    /// <summary>The receiver's contract: call <c>Receive</c> until it says NeedMoreData; unconsumed bytes stay in <paramref name="input"/>.</summary>
    public static List<Event> ReceiveAll(this WebSocketReceiver receiver, ref ReadOnlySequence<byte> input)
    {
        var events = new List<Event>();
        while (true)
        {
            ReceiveResult result = receiver.Receive(ref input);
            if (result.Status == ReceiveStatus.NeedMoreData)
                return events;
            events.Add(Event.From(result));
        }
    }

    public static List<Event> ReceiveAll(this WebSocketReceiver receiver, byte[] bytes)
    {
        var input = new ReadOnlySequence<byte>(bytes);
        return receiver.ReceiveAll(ref input);
    }

    /// <summary>
    /// Plays a transport: the stream arrives in <paramref name="chunks"/>; each time, the bytes left unconsumed last
    /// time are followed by the new chunk (as a two-segment sequence) and the receiver is drained.
    /// </summary>
    public static List<Event> Deliver(this WebSocketReceiver receiver, IEnumerable<byte[]> chunks, out byte[] leftover)
    {
        var events = new List<Event>();
        byte[] rest = [];
        foreach (byte[] chunk in chunks)
        {
            ReadOnlySequence<byte> input = Segments.Of(rest, chunk);
            events.AddRange(receiver.ReceiveAll(ref input));
            rest = input.ToArray();
            receiver.ReleaseBuffers(); // as the transport does before it waits for the next read
        }
        leftover = rest;
        return events;
    }

    /// <summary>
    /// Plays a transport that holds nothing back: each chunk is offered once, as a span, to the span overload of
    /// <c>Receive</c>, which must consume all of it (keeping a cut header itself) unless it returns an event.
    /// </summary>
    public static List<Event> DeliverSpans(this WebSocketReceiver receiver, IEnumerable<byte[]> chunks)
    {
        var events = new List<Event>();
        foreach (byte[] chunk in chunks)
        {
            int offset = 0;
            while (true)
            {
                ReceiveResult result = receiver.Receive(chunk.AsSpan(offset), out int consumed);
                offset += consumed;
                if (result.Status == ReceiveStatus.NeedMoreData)
                {
                    // Only a receiver that has ended (after Close or a failure) leaves bytes unread.
                    if (offset != chunk.Length && events.LastOrDefault()?.Status is not (ReceiveStatus.Close or ReceiveStatus.Failed))
                        throw new InvalidOperationException($"NeedMoreData after consuming {offset} of {chunk.Length} bytes");
                    if (chunk.Length % 2 == 0)
                        receiver.ReleaseBuffers(); // sometimes, as the transport does when the next read has to wait
                    break;
                }
                events.Add(Event.From(result));
            }
        }
        return events;
    }
}

/// <summary>An <see cref="IBufferWriter{T}"/> that hands out spans barely bigger than asked for, like a pipe near the end of a segment.</summary>
internal sealed class StingyBufferWriter(int extra) : IBufferWriter<byte>
{
    private readonly List<byte> _written = [];
    private byte[] _current = [];

    public byte[] WrittenBytes => _written.ToArray();

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        _current = new byte[Math.Max(sizeHint, 1) + extra];
        return _current;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        _current = new byte[Math.Max(sizeHint, 1) + extra];
        return _current;
    }

    public void Advance(int count) => _written.AddRange(_current.AsSpan(0, count));
}
