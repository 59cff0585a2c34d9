using System.Buffers;
using System.Numerics;
using System.Text.Unicode;
using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;

namespace RawSocketChat.Fuzz;

/// <summary>
/// <c>frames</c>: an arbitrary byte stream, cut at arbitrary points, through <see cref="WebSocketReceiver"/>.
/// <para>
/// Input layout: byte 0 picks the message limit (bits 0–1), the mode (bits 2–3: 0 server, 1 server with
/// permessage-deflate and context takeover, 2 the same without context takeover, 3 client, where frames need no mask)
/// and the segmentation family (bits 4–7); byte 1 seeds the segmentation; the rest is the stream.
/// </para>
/// Invariants, per input:
/// <list type="number">
/// <item>nothing throws;</item>
/// <item>every event except NeedMoreData and Failed consumes bytes; NeedMoreData leaves less than one header unconsumed;</item>
/// <item>after Close or Failed nothing more is consumed, however much more arrives;</item>
/// <item>a message is Text or Binary, at most MaxMessageBytes long, and valid UTF-8 when Text; control payloads are at
///   most 125 bytes; a Close carries a code a peer may send (or 1005) and a reason of at most 123 bytes; a failure
///   carries 1002, 1007 or 1009;</item>
/// <item>the events are the same whatever the segmentation (compared with one contiguous read) and, without
///   permessage-deflate, the same as the naive <see cref="ReferenceReceiver"/>;</item>
/// <item>each message and close re-encoded (one masked frame, and two fragments around a ping; compressed with
///   <see cref="MessageDeflater"/> too when deflate is on) and parsed by a fresh receiver comes back unchanged;</item>
/// <item>one call to Receive allocates at most twice the pooled buffer of the message limit, plus a small constant, and
///   at most four times the bytes received so far (rounded up to a power of two), plus that constant: what a header
///   declares is not allocated before the payload arrives (with deflate, where inflating legitimately multiplies the
///   bytes, only the first bound holds, with room for the inflater's own buffers).</item>
/// </list>
/// </summary>
public sealed class FramesTarget : IFuzzTarget
{
    public string Name => "frames";

    private static readonly long[] Limits = [64 * 1024, 64 * 1024, 1024, 125];

    /// <summary>Per-call slack for the Close reason string, pool bookkeeping and the like.</summary>
    private const long AllocationSlack = 8 * 1024;

    /// <summary>What the first input byte chose: the receiver's options and its permessage-deflate state.</summary>
    private sealed record Setup(ReceiverOptions Options, bool Deflate, bool NoContextTakeover)
    {
        public WebSocketReceiver NewReceiver() =>
            new(Options, Deflate ? new MessageInflater(NoContextTakeover) : null);

        public long AllocationSlack => Deflate ? 64 * 1024 : FramesTarget.AllocationSlack;
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        byte config = input.Length > 0 ? input[0] : (byte)0;
        byte seed = input.Length > 1 ? input[1] : (byte)0;
        byte[] stream = input.Length > 2 ? input[2..].ToArray() : [];

        int mode = (config >> 2) & 3;
        var setup = new Setup(
            new ReceiverOptions { MaxMessageBytes = Limits[config & 3], RequireMaskedFrames = mode != 3 },
            Deflate: mode is 1 or 2 && MessageInflater.IsSupported,
            NoContextTakeover: mode == 2);

        List<FrameEvent> segmented = Receive(stream, setup, Segmenter.Split(stream, config >> 4, seed));
        List<FrameEvent> contiguous = Receive(stream, setup, [[stream]]);
        if (Program.Verbose)
            Console.WriteLine($"  limit={setup.Options.MaxMessageBytes} masked={setup.Options.RequireMaskedFrames} deflate={setup.Deflate}"
                + $"{(setup.NoContextTakeover ? " (no context takeover)" : "")} events={FrameEvent.Describe(contiguous)}");
        // With deflate, when a compressed message is corrupt *and* its valid part is too big or not UTF-8, which failure
        // is reported first may depend on the cuts: zlib decodes ahead when it has more input, and DeflateStream drops
        // what it inflated in a call that then meets corrupt data. Either way the connection fails (1007 or 1009) at
        // the same point, with the same events before it: allowed. A message in one case and a failure in the other
        // is not.
        Invariant.Check(setup.Deflate ? segmented.SequenceEqual(contiguous, SameUpToDeflateFailureCause.Instance) : segmented.SequenceEqual(contiguous), () =>
            $"segmentation changed the events:\n  cut:    {FrameEvent.Describe(segmented)}\n  whole:  {FrameEvent.Describe(contiguous)}");

        if (!setup.Deflate)
        {
            List<FrameEvent> expected = ReferenceReceiver.Run(stream, setup.Options);
            Invariant.Check(contiguous.SequenceEqual(expected), () =>
                $"receiver disagrees with the reference model:\n  receiver:  {FrameEvent.Describe(contiguous)}\n  reference: {FrameEvent.Describe(expected)}");
        }

        uint maskKey = 0x9E3779B9u * (uint)(stream.Length + seed);
        foreach (FrameEvent e in contiguous)
            RoundTrip(e, setup, maskKey);
    }

    private sealed class SameUpToDeflateFailureCause : IEqualityComparer<FrameEvent>
    {
        public static readonly SameUpToDeflateFailureCause Instance = new();

        public bool Equals(FrameEvent? a, FrameEvent? b) => a is not null && b is not null && (a.Equals(b)
            || a.Status == ReceiveStatus.Failed && b.Status == ReceiveStatus.Failed && IsPayloadFailure(a.Error) && IsPayloadFailure(b.Error));

        private static bool IsPayloadFailure(ProtocolError error) =>
            error is ProtocolError.InvalidUtf8 or ProtocolError.InvalidCompressedData or ProtocolError.MessageTooBig;

        public int GetHashCode(FrameEvent e) => e.Status.GetHashCode();
    }

    /// <summary>Feeds the reads to a receiver the way the transport does and checks every event as it comes.</summary>
    private static List<FrameEvent> Receive(byte[] stream, Setup setup, List<ReadOnlyMemory<byte>[]> reads)
    {
        ReceiverOptions options = setup.Options;
        var events = new List<FrameEvent>();
        long allocationBound = 2 * (long)BitOperations.RoundUpToPowerOf2((ulong)options.MaxMessageBytes) + setup.AllocationSlack;
        using WebSocketReceiver receiver = setup.NewReceiver();
        var unconsumed = new List<ReadOnlyMemory<byte>>();
        long fed = 0, consumedTotal = 0;
        bool closed = false;

        for (int r = 0; r < reads.Count && !closed; r++)
        {
            unconsumed.AddRange(reads[r]);
            foreach (ReadOnlyMemory<byte> s in reads[r]) fed += s.Length;
            ReadOnlySequence<byte> buffer = Segmenter.ToSequence(unconsumed);

            while (true)
            {
                long before = buffer.Length;
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                ReceiveResult result = receiver.Receive(ref buffer);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                long consumed = before - buffer.Length;
                Invariant.Check(consumed >= 0, "Receive grew its input");
                consumedTotal += consumed;

                if (Invariant.CheckAllocations)
                {
                    // Never more than the message limit allows...
                    Invariant.Check(allocated <= allocationBound, () => $"Receive allocated {allocated} bytes, bound {allocationBound}");
                    // ...and no amplification: memory follows the bytes that arrived, not the length a header claims
                    // (a peer that sends a 10-byte header declaring 1 MiB must not make us hold 1 MiB).
                    long amplificationBound = AllocationSlack + 4 * (long)BitOperations.RoundUpToPowerOf2((ulong)consumedTotal);
                    Invariant.Check(setup.Deflate || allocated <= amplificationBound,
                        () => $"Receive allocated {allocated} bytes after {consumedTotal} bytes of input (bound {amplificationBound})");
                }

                if (result.Status == ReceiveStatus.NeedMoreData)
                {
                    // Everything is consumed (a cut header is kept inside the receiver): bytes left in the buffer
                    // could hold a complete frame and stall the connection until the peer sends more (or forever).
                    Invariant.Check(buffer.IsEmpty, () => $"NeedMoreData with {buffer.Length} bytes unconsumed");
                    break;
                }

                // Each event but a failure completes a frame, so it consumed at least a header: the caller's loop
                // cannot spin. A failure may be decided on a header it leaves in the buffer.
                Invariant.Check(consumed > 0 || result.Status == ReceiveStatus.Failed, () => $"{result} consumed nothing");
                CheckEvent(result, options);
                events.Add(FrameEvent.From(result));

                if (result.Status is ReceiveStatus.Close or ReceiveStatus.Failed)
                {
                    closed = true;
                    // RFC 6455 §5.5.1: nothing is read after a Close; nor after a failure. Offer it everything else.
                    unconsumed = Segmenter.SegmentsOf(buffer);
                    for (int more = r + 1; more < reads.Count; more++)
                        unconsumed.AddRange(reads[more]);
                    ReadOnlySequence<byte> after = Segmenter.ToSequence(unconsumed);
                    long length = after.Length;
                    ReceiveResult again = receiver.Receive(ref after);
                    Invariant.Check(again.Status == ReceiveStatus.NeedMoreData && after.Length == length,
                        () => $"after {result} the receiver returned {again} and consumed {length - after.Length} bytes");
                    break;
                }
            }
            if (!closed)
                unconsumed = Segmenter.SegmentsOf(buffer);
        }
        Invariant.Check(consumedTotal <= fed, "consumed more than was fed");
        return events;
    }

    private static void CheckEvent(ReceiveResult result, ReceiverOptions options)
    {
        switch (result.Status)
        {
            case ReceiveStatus.Message:
                Invariant.Check(result.Opcode is Opcode.Text or Opcode.Binary, () => $"message with opcode {result.Opcode}");
                Invariant.Check(result.Payload.Length <= options.MaxMessageBytes,
                    () => $"message of {result.Payload.Length} bytes over the limit {options.MaxMessageBytes}");
                if (result.Opcode == Opcode.Text)
                    Invariant.Check(Utf8.IsValid(result.Payload.Span), "text message is not valid UTF-8");
                break;
            case ReceiveStatus.Ping:
            case ReceiveStatus.Pong:
                Invariant.Check(result.Payload.Length <= 125, "control payload over 125 bytes");
                break;
            case ReceiveStatus.Close:
                Invariant.Check(result.CloseCode == CloseCode.NoStatusReceived || CloseCode.IsValidOnWire(result.CloseCode),
                    () => $"close code {result.CloseCode} accepted");
                Invariant.Check(result.CloseReason is not null && System.Text.Encoding.UTF8.GetByteCount(result.CloseReason) <= ClosePayload.MaxReasonBytes,
                    "close reason missing or too long");
                Invariant.Check(result.CloseCode != CloseCode.NoStatusReceived || result.CloseReason == "", "reason without a code");
                break;
            case ReceiveStatus.Failed:
                Invariant.Check(result.Error != ProtocolError.None, "failure without an error");
                Invariant.Check(result.CloseCode is CloseCode.ProtocolError or CloseCode.InvalidPayloadData or CloseCode.MessageTooBig,
                    () => $"failure with close code {result.CloseCode}");
                break;
            default:
                throw new InvariantViolation($"unknown status {result.Status}");
        }
    }

    /// <summary>Parse of encode is identity: what we received, a client could send again and we would read the same.</summary>
    private static void RoundTrip(FrameEvent e, Setup setup, uint maskKey)
    {
        var server = setup with { Options = setup.Options with { RequireMaskedFrames = true } };
        switch (e.Status)
        {
            case ReceiveStatus.Message:
            {
                byte[] whole = new byte[FrameWriter.MaskedFrameLength(e.Payload.Length)];
                FrameWriter.WriteMaskedFrame(whole, e.Opcode, e.Payload, maskKey);
                ExpectEvents(whole, server, [e]);

                // The same message in two fragments with a ping between them (RFC 6455 §5.4: control frames may be
                // injected in the middle of a fragmented message); the cut may fall inside a UTF-8 sequence.
                ExpectEvents(Fragmented(e.Opcode, e.Payload, maskKey, rsv: 0), server, [FrameEvent.Ping(Ping), e]);

                if (setup.Deflate)
                {
                    // RFC 7692 §7.2.1: compressed as our own deflater does it, RSV1 on the first frame only.
                    using var deflater = new MessageDeflater(noContextTakeover: true);
                    var compressed = new ArrayBufferWriter<byte>();
                    deflater.Compress(e.Payload, compressed);
                    byte[] payload = compressed.WrittenSpan.ToArray();
                    byte[] frame = new byte[FrameWriter.MaskedFrameLength(payload.Length)];
                    FrameWriter.WriteMaskedFrame(frame, e.Opcode, payload, maskKey, fin: true, rsv: FrameHeader.Rsv1);
                    ExpectEvents(frame, server, [e]);
                    ExpectEvents(Fragmented(e.Opcode, payload, maskKey, rsv: FrameHeader.Rsv1), server, [FrameEvent.Ping(Ping), e]);
                }
                break;
            }
            case ReceiveStatus.Close when e.CloseCode != CloseCode.NoStatusReceived:
            {
                Span<byte> payload = stackalloc byte[125];
                int length = ClosePayload.Write(payload, e.CloseCode, e.Reason);
                byte[] frame = new byte[FrameWriter.MaskedFrameLength(length)];
                FrameWriter.WriteMaskedFrame(frame, Opcode.Close, payload[..length], maskKey);
                ExpectEvents(frame, server, [e]);
                break;
            }
            case ReceiveStatus.Ping or ReceiveStatus.Pong:
            {
                byte[] frame = new byte[FrameWriter.MaskedFrameLength(e.Payload.Length)];
                FrameWriter.WriteMaskedFrame(frame, e.Opcode, e.Payload, maskKey);
                ExpectEvents(frame, server, [e]);
                break;
            }
        }
    }

    private static readonly byte[] Ping = [1, 2, 3];

    /// <summary>Two data frames cut at a point the key picks, a ping between them; <paramref name="rsv"/> on the first.</summary>
    private static byte[] Fragmented(Opcode opcode, byte[] payload, uint maskKey, byte rsv)
    {
        int cut = (int)(maskKey % (uint)(payload.Length + 1));
        var stream = new ArrayBufferWriter<byte>();
        Write(stream, opcode, payload.AsSpan(0, cut), maskKey, fin: false, rsv);
        Write(stream, Opcode.Ping, Ping, maskKey >> 3, fin: true, rsv: 0);
        Write(stream, Opcode.Continuation, payload.AsSpan(cut), maskKey << 5 | 1, fin: true, rsv: 0);
        return stream.WrittenSpan.ToArray();
    }

    private static void Write(ArrayBufferWriter<byte> writer, Opcode opcode, ReadOnlySpan<byte> payload, uint maskKey, bool fin, byte rsv)
    {
        int length = FrameWriter.MaskedFrameLength(payload.Length);
        int written = FrameWriter.WriteMaskedFrame(writer.GetSpan(length), opcode, payload, maskKey, fin, rsv);
        Invariant.Check(written == length, "WriteMaskedFrame wrote an unexpected length");
        writer.Advance(written);
    }

    private static void ExpectEvents(byte[] stream, Setup setup, FrameEvent[] expected)
    {
        List<FrameEvent> actual = Receive(stream, setup, [[stream]]);
        Invariant.Check(actual.SequenceEqual(expected), () =>
            $"re-encoded {FrameEvent.Describe(expected)} came back as {FrameEvent.Describe(actual)} (bytes {Hex.Preview(stream, 64)})");
    }
}
