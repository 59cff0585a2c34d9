using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;
using RawSocketChat.Tests.Protocol;

namespace RawSocketChat.Tests.Deflate;

/// <summary>
/// Compress → frame → fragment → cut into TCP segments → receive is the identity, for arbitrary conversations, in
/// every context-takeover combination, in both directions (client frames masked into the server's receiver, server
/// frames unmasked into a client-side receiver).
/// </summary>
public class DeflateRoundTripProperties
{
    /// <summary>One message as the peer sends it: compressed or not, its payload cut into fragments at Cuts.</summary>
    private sealed record MessageSpec(Opcode Opcode, byte[] Payload, bool Compress, int[] Cuts, bool PingInside, uint MaskKey)
    {
        public override string ToString() =>
            $"{Opcode}({Payload.Length}B{(Compress ? ", deflate" : "")}, {Cuts.Length + 1} frame(s){(PingInside ? ", ping" : "")})";
    }

    /// <summary>
    /// The context modes: whether the sender resets its compressor after each message, and whether the receiver
    /// forgets its window after each message. A receiver that keeps its window can always decode a sender that does
    /// not use it; the reverse is not valid and is not generated.
    /// </summary>
    /// The sender compresses with a window of WindowBits (9 to 15, server_max_window_bits; below 15 through the
    /// system zlib), which a 15-bit receiver decodes whatever it is.
    private sealed record Modes(bool SenderNoContextTakeover, bool ReceiverResets, int WindowBits)
    {
        public override string ToString() =>
            $"sender {(SenderNoContextTakeover ? "no-context" : "context")} with {WindowBits}-bit window, receiver {(ReceiverResets ? "resets" : "keeps")}";
    }

    private sealed record Scenario(Modes Modes, MessageSpec[] Messages, int[] SegmentCuts)
    {
        public override string ToString() => $"{Modes}: [{string.Join(" ", Messages.AsEnumerable())}] segments cut at [{string.Join(",", SegmentCuts.Order())}]";
    }

    private static readonly Gen<int> Lengths = Gen.Frequency(
        (1, Gen.Elements(0, 1, 125, 126, 4096, 32 * 1024, 70_000)),
        (6, Gen.Choose(0, 2000)));

    private static readonly Gen<int> Seeds = Gen.Choose(0, int.MaxValue);

    /// <summary>Messages like a chat's: text with repeats (compressible), random bytes (not), or a mix.</summary>
    private static byte[] Payload(Opcode opcode, int seed, int length)
    {
        var random = new Random(seed);
        if (opcode == Opcode.Text)
        {
            string[] words = ["hello", "world", "😀", "über", "{\"type\":\"message\"}", "日本語", " ", "\n", "a"];
            var text = new StringBuilder();
            while (Encoding.UTF8.GetByteCount(text.ToString()) < length)
                text.Append(words[random.Next(words.Length)]);
            return Encoding.UTF8.GetBytes(text.ToString());
        }
        var bytes = new byte[length];
        if (random.Next(3) == 0)
            random.NextBytes(bytes);
        else
            MessageCodecTests.RandomBytes(random, length).CopyTo(bytes, 0);
        return bytes;
    }

    private static readonly Gen<MessageSpec> Messages =
        from opcode in Gen.Elements(Opcode.Text, Opcode.Binary)
        from length in Lengths
        from seed in Seeds
        from compress in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        from cuts in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, length + 16), n))
        from ping in Gen.Elements(false, false, true)
        from key in Gen.Choose(int.MinValue, int.MaxValue)
        select new MessageSpec(opcode, Payload(opcode, seed, length), compress, cuts, ping, unchecked((uint)key));

    private static readonly Gen<Modes> AllModes =
        from modes in Gen.Elements((false, false), (true, true), (true, false))
        from bits in Gen.Frequency((2, Gen.Constant(15)), (3, Gen.Choose(9, 14)))
        select new Modes(modes.Item1, modes.Item2, bits);

    private static readonly Gen<Scenario> Scenarios =
        from modes in AllModes
        from messages in Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(Messages, n))
        from segmentCuts in Gen.Choose(0, 8).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 200_000), n))
        select new Scenario(modes, messages, segmentCuts);

    [Property(MaxTest = 120)]
    public Property Client_to_server_round_trips() => Prop.ForAll(Arb.From(Scenarios), s => RoundTrip(s, masked: true));

    [Property(MaxTest = 80)]
    public Property Server_to_client_round_trips() => Prop.ForAll(Arb.From(Scenarios), s => RoundTrip(s, masked: false));

    private static void RoundTrip(Scenario scenario, bool masked)
    {
        using var deflater = new MessageDeflater(scenario.Modes.SenderNoContextTakeover, windowBits: scenario.Modes.WindowBits);
        var stream = new List<byte[]>();
        var expected = new List<Event>();
        foreach (MessageSpec message in scenario.Messages)
        {
            List<byte[]> frames = DeflateFrames.Message(message.Opcode, message.Payload, message.Compress ? deflater : null, message.Cuts, masked, message.MaskKey);
            if (message.PingInside && frames.Count > 1)
            {
                // RFC 6455 §5.4: control frames may be injected between fragments; they never touch the inflater.
                frames.Insert(1, masked ? Frames.Masked(Opcode.Ping, "ping"u8) : Frames.Unmasked(Opcode.Ping, "ping"u8));
                expected.Add(Event.Ping("ping"u8.ToArray()));
            }
            stream.AddRange(frames);
            expected.Add(Event.Message(message.Opcode, message.Payload));
        }

        byte[] bytes = Frames.Concat([.. stream]);
        var options = new ReceiverOptions { MaxMessageBytes = 1024 * 1024, RequireMaskedFrames = masked };
        using var receiver = new WebSocketReceiver(options, new MessageInflater(scenario.Modes.ReceiverResets));
        List<Event> events = receiver.Deliver(Segments.Cut(bytes, scenario.SegmentCuts), out byte[] leftover);
        Assert.Empty(leftover);
        Assert.Equal(expected, events);
    }
}
