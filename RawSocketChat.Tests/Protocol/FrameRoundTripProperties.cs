using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Protocol;

namespace RawSocketChat.Tests.Protocol;

/// <summary>
/// Whatever a well-behaved peer writes, and however TCP cuts it up, the receiver reports exactly what was sent.
/// </summary>
public class FrameRoundTripProperties
{
    // ---- Generators ----

    /// <summary>One frame as it will go on the wire.</summary>
    private sealed record FrameSpec(Opcode Opcode, byte[] Payload, bool Fin, uint MaskKey)
    {
        public byte[] Masked() => Frames.Masked(Opcode, Payload, Fin, rsv: 0, MaskKey);

        public override string ToString() => $"{Opcode}(fin={(Fin ? 1 : 0)}, {Payload.Length}B)";
    }

    /// <summary>A byte stream, the events it must produce, and where the transport cuts it.</summary>
    private sealed record Scenario(FrameSpec[] Sent, Event[] Expected, int[] Cuts)
    {
        public byte[] ClientStream() => Sent.SelectMany(f => f.Masked()).ToArray();

        public override string ToString() => $"[{string.Join(" ", Sent.AsEnumerable())}] cut at [{string.Join(",", Cuts.Order())}]";
    }

    /// <summary>Lengths around every encoding boundary of §5.2, plus plenty of small ones.</summary>
    private static readonly Gen<int> DataLengths = Gen.Frequency(
        (1, Gen.Elements(0, 125, 126, 127, 65535, 65536, 65537)),
        (5, Gen.Choose(0, 300)));

    private static readonly Gen<int> ControlLengths = Gen.Frequency(
        (1, Gen.Elements(0, 1, 124, 125)),
        (3, Gen.Choose(0, 125)));

    private static readonly Gen<uint> MaskKeys = Gen.Choose(int.MinValue, int.MaxValue).Select(k => unchecked((uint)k));

    private static readonly Gen<int> Seeds = Gen.Choose(0, int.MaxValue);

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Valid UTF-8 of exactly <paramref name="length"/> bytes, mixing 1- to 4-byte code points.</summary>
    private static byte[] RandomText(int seed, int length)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        int remaining = length;
        while (remaining > 0)
        {
            int size = random.Next(1, Math.Min(remaining, 4) + 1);
            int codePoint = size switch
            {
                1 => random.Next(0x00, 0x80),
                2 => random.Next(0x80, 0x800),
                3 => random.Next(2) == 0 ? random.Next(0x800, 0xD800) : random.Next(0xE000, 0x10000),
                _ => random.Next(0x10000, 0x110000),
            };
            text.Append(new Rune(codePoint).ToString());
            remaining -= size;
        }
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
        Assert.Equal(length, bytes.Length);
        return bytes;
    }

    private static readonly Gen<FrameSpec> ControlFrames =
        from opcode in Gen.Elements(Opcode.Ping, Opcode.Pong)
        from length in ControlLengths
        from seed in Seeds
        from key in MaskKeys
        select new FrameSpec(opcode, RandomBytes(seed, length), Fin: true, key);

    private static Event ExpectedEvent(FrameSpec control) =>
        control.Opcode == Opcode.Ping ? Event.Ping(control.Payload) : Event.Pong(control.Payload);

    /// <summary>
    /// A text or binary message, sent whole (FIN=1) or in fragments (first frame FIN=0, continuations, last FIN=1) with
    /// control frames possibly injected between fragments (§5.4). Text fragments may split code points.
    /// </summary>
    private static Gen<(FrameSpec[] Sent, Event[] Events)> DataMessages(int maxFragments) =>
        from opcode in Gen.Elements(Opcode.Text, Opcode.Binary)
        from length in DataLengths
        from seed in Seeds
        from fragmentCuts in Gen.Choose(0, maxFragments - 1).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, length), n))
        from injected in Gen.ArrayOf(Gen.OneOf(Gen.Constant<FrameSpec?>(null), ControlFrames.Select(f => (FrameSpec?)f)), fragmentCuts.Length)
        from keys in Gen.ArrayOf(MaskKeys, fragmentCuts.Length + 1)
        select BuildMessage(opcode, opcode == Opcode.Text ? RandomText(seed, length) : RandomBytes(seed, length), fragmentCuts, injected, keys);

    private static (FrameSpec[], Event[]) BuildMessage(Opcode opcode, byte[] payload, int[] cuts, FrameSpec?[] injected, uint[] keys)
    {
        byte[][] fragments = Segments.Cut(payload, cuts);
        var frames = new List<FrameSpec>();
        var events = new List<Event>();
        for (int i = 0; i < fragments.Length; i++)
        {
            bool last = i == fragments.Length - 1;
            frames.Add(new FrameSpec(i == 0 ? opcode : Opcode.Continuation, fragments[i], Fin: last, keys[i]));
            if (!last && injected[i] is { } control)
            {
                frames.Add(control);
                events.Add(ExpectedEvent(control));
            }
        }
        events.Add(Event.Message(opcode, payload));
        return (frames.ToArray(), events.ToArray());
    }

    private static readonly Gen<(FrameSpec[] Sent, Event[] Events)> AnyEvent = Gen.Frequency(
        (3, DataMessages(maxFragments: 4)),
        (1, ControlFrames.Select(f => (new[] { f }, new[] { ExpectedEvent(f) }))));

    private static Gen<Scenario> WithCuts(Gen<(FrameSpec[] Sent, Event[] Events)> content) =>
        from c in content
        let length = c.Sent.Sum(f => FrameWriter.MaskedFrameLength(f.Payload.Length))
        from cuts in Gen.ArrayOf(Gen.Choose(0, length))
        select new Scenario(c.Sent, c.Events, cuts);

    /// <summary>One event: a whole or fragmented message (FIN=0 first frame), or a ping/pong.</summary>
    private static readonly Gen<Scenario> SingleEvents = WithCuts(Gen.Frequency(
        (3, DataMessages(maxFragments: 2)),
        (1, ControlFrames.Select(f => (new[] { f }, new[] { ExpectedEvent(f) })))));

    /// <summary>Several events back to back in one stream.</summary>
    private static readonly Gen<Scenario> Conversations = WithCuts(
        Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(AnyEvent, n)).Select(parts =>
            (parts.SelectMany(p => p.Sent).ToArray(), parts.SelectMany(p => p.Events).ToArray())));

    // ---- Checks ----

    /// <summary>
    /// Delivers the stream the way a transport would: chunk by chunk, with unconsumed bytes carried over; chunk by
    /// chunk as spans, each offered once; and all at once as one many-segment sequence. All three must give exactly
    /// the expected events.
    /// </summary>
    private static void AssertRoundTrips(byte[] stream, Event[] expected, int[] cuts, ReceiverOptions? options = null)
    {
        using (var receiver = new WebSocketReceiver(options))
        {
            List<Event> events = receiver.Deliver(Segments.Cut(stream, cuts), out byte[] leftover);

            Assert.Equal(expected, events);
            Assert.Empty(leftover);
            Assert.False(receiver.IsMessageInProgress);
        }

        using (var receiver = new WebSocketReceiver(options))
        {
            Assert.Equal(expected, receiver.DeliverSpans(Segments.Cut(stream, cuts)));
            Assert.False(receiver.IsMessageInProgress);
        }

        using (var receiver = new WebSocketReceiver(options))
        {
            ReadOnlySequence<byte> input = Segments.Split(stream, cuts);

            Assert.Equal(expected, receiver.ReceiveAll(ref input));
            Assert.Equal(0, input.Length);
        }
    }

    // ---- Properties ----

    [Property(MaxTest = 150)]
    [Trait("Rfc", "6455-5.4-order")]
    [Trait("Rfc", "6455-6.2-parse")]
    public Property Client_frame_round_trips_through_any_segmentation() =>
        Prop.ForAll(Arb.From(SingleEvents), s => AssertRoundTrips(s.ClientStream(), s.Expected, s.Cuts));

    [Property(MaxTest = 150)]
    [Trait("Rfc", "6455-5.4-control-mid-message")]
    public Property Back_to_back_messages_with_injected_control_frames_arrive_in_order() =>
        Prop.ForAll(Arb.From(Conversations), s => AssertRoundTrips(s.ClientStream(), s.Expected, s.Cuts));

    // A Close ends the stream: the events before it arrive, then Close, and nothing after it is parsed.
    [Property(MaxTest = 100)]
    public Property Close_ends_the_conversation_wherever_the_stream_is_cut() =>
        Prop.ForAll(Arb.From(Conversations), Arb.From(Gen.Choose(1000, 1003)), (s, code) =>
        {
            byte[] close = Frames.Masked(Opcode.Close, Frames.CloseBody((ushort)code, "bye"u8));
            byte[] stream = Frames.Concat(s.ClientStream(), close, s.ClientStream());
            Event[] expected = [.. s.Expected, Event.Close((ushort)code)];

            using var receiver = new WebSocketReceiver();
            List<Event> events = receiver.Deliver(Segments.Cut(stream, s.Cuts), out byte[] leftover);

            Assert.Equal(expected, events);
            Assert.Equal(s.ClientStream(), leftover);
        });

    // The server writes unmasked frames (§5.1); a client-side receiver reads them back.
    [Property(MaxTest = 100)]
    [Trait("Rfc", "6455-5.1-server-unmasked")]
    [Trait("Rfc", "6455-6.1-frame")]
    public Property Server_frames_round_trip_to_a_receiver_that_does_not_require_masking() =>
        Prop.ForAll(Arb.From(Conversations), Arb.From(Gen.Choose(0, 9)), (s, stinginess) =>
        {
            // A stingy writer makes large payloads take FrameWriter's streaming path.
            var writer = new StingyBufferWriter(extra: stinginess);
            foreach (FrameSpec frame in s.Sent)
                FrameWriter.WriteFrame(writer, frame.Opcode, frame.Payload, frame.Fin);
            byte[] stream = writer.WrittenBytes;

            byte[] expectedBytes = s.Sent.SelectMany(f => Frames.Unmasked(f.Opcode, f.Payload, f.Fin)).ToArray();
            Assert.Equal(expectedBytes, stream);

            AssertRoundTrips(stream, s.Expected, s.Cuts, new ReceiverOptions { RequireMaskedFrames = false });
        });

    [Property(MaxTest = 100)]
    [Trait("Rfc", "6455-5.1-unmasked")]
    [Trait("Rfc", "6455-10.7-validate")]
    public Property Server_frames_are_rejected_by_a_server_receiver() =>
        Prop.ForAll(Arb.From(SingleEvents), s =>
        {
            byte[] stream = s.Sent.SelectMany(f => Frames.Unmasked(f.Opcode, f.Payload, f.Fin)).ToArray();

            using var receiver = new WebSocketReceiver();
            List<Event> events = receiver.Deliver(Segments.Cut(stream, s.Cuts), out _);

            Assert.Equal([new Event(ReceiveStatus.Failed, default, [], CloseCode.ProtocolError)], events);
        });
}
