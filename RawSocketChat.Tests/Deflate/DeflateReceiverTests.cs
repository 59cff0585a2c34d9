using System.Buffers;
using System.IO.Compression;
using System.Text;
using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;
using RawSocketChat.Tests.Protocol;

namespace RawSocketChat.Tests.Deflate;

/// <summary>The receiver with permessage-deflate negotiated: RSV1 rules (RFC 7692 §6), inflation, and its limits.</summary>
public class DeflateReceiverTests
{
    private const byte Rsv1 = FrameHeader.Rsv1;
    private static readonly byte[] HelloCompressed = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]; // RFC 7692 §7.2.3.1

    private static WebSocketReceiver Receiver(bool noContextTakeover = false, long maxMessageBytes = 1024 * 1024) =>
        new(new ReceiverOptions { MaxMessageBytes = maxMessageBytes }, new MessageInflater(noContextTakeover));

    private static byte[] Compressed(Opcode opcode, byte[] payload, bool fin = true) => Frames.Masked(opcode, payload, fin, Rsv1);

    private static void AssertFails(ushort code, List<Event> events)
    {
        Assert.Equal(ReceiveStatus.Failed, events.Last().Status);
        Assert.Equal(code, events.Last().CloseCode);
    }

    [Fact]
    [Trait("Rfc", "7692-7.2.2-tail")]
    public void RFC_example_frame_arrives_as_a_text_message()
    {
        using var receiver = Receiver();
        Assert.Equal([Event.Message(Opcode.Text, "Hello"u8.ToArray())], receiver.ReceiveAll(Compressed(Opcode.Text, HelloCompressed)));
    }

    [Fact]
    [Trait("Rfc", "6455-5.4-control-mid-message")]
    public void Compressed_fragments_with_a_ping_between_them()
    {
        // RFC 7692 §7.2.3.1, fragmented: RSV1 on the first frame only; a control frame may come in between (§5.4).
        using var receiver = Receiver();
        byte[] stream = Frames.Concat(
            Compressed(Opcode.Text, HelloCompressed[..3], fin: false),
            Frames.Masked(Opcode.Ping, "p"u8.ToArray()),
            Frames.Masked(Opcode.Continuation, HelloCompressed[3..]));
        Assert.Equal([Event.Ping("p"u8.ToArray()), Event.Message(Opcode.Text, "Hello"u8.ToArray())], receiver.ReceiveAll(stream));
    }

    [Fact]
    [Trait("Rfc", "7692-7.2.2-takeover")]
    public void Context_takeover_across_messages()
    {
        using var receiver = Receiver();
        byte[] stream = Frames.Concat(Compressed(Opcode.Text, HelloCompressed), Compressed(Opcode.Text, [0xf2, 0x00, 0x11, 0x00, 0x00]));
        Assert.Equal([Event.Message(Opcode.Text, "Hello"u8.ToArray()), Event.Message(Opcode.Text, "Hello"u8.ToArray())], receiver.ReceiveAll(stream));
    }

    [Fact]
    public void Uncompressed_messages_still_follow_the_plain_rules()
    {
        // RSV1 clear: the message is not compressed, even on a connection that negotiated permessage-deflate.
        using var receiver = Receiver();
        byte[] stream = Frames.Concat(Frames.Masked(Opcode.Binary, HelloCompressed), Compressed(Opcode.Binary, HelloCompressed));
        Assert.Equal([Event.Message(Opcode.Binary, HelloCompressed), Event.Message(Opcode.Binary, "Hello"u8.ToArray())], receiver.ReceiveAll(stream));
    }

    [Fact]
    public void Empty_compressed_message_and_empty_fragments()
    {
        using var receiver = Receiver();
        byte[] stream = Frames.Concat(
            Compressed(Opcode.Binary, []),
            Compressed(Opcode.Text, [], fin: false),
            Frames.Masked(Opcode.Continuation, HelloCompressed, fin: false),
            Frames.Masked(Opcode.Continuation, []));
        Assert.Equal([Event.Message(Opcode.Binary, []), Event.Message(Opcode.Text, "Hello"u8.ToArray())], receiver.ReceiveAll(stream));
    }

    [Fact]
    [Trait("Rfc", "6455-5.2-rsv")]
    [Trait("Rfc", "6455-5.8-negotiate")]
    public void RSV1_without_permessage_deflate_is_a_protocol_error()
    {
        using var receiver = new WebSocketReceiver();
        AssertFails(1002, receiver.ReceiveAll(Compressed(Opcode.Text, HelloCompressed)));
    }

    [Fact]
    [Trait("Rfc", "7692-6-rsv1-continuation")]
    public void RSV1_on_a_continuation_frame_fails_with_1002()
    {
        using var receiver = Receiver();
        byte[] stream = Frames.Concat(Compressed(Opcode.Text, HelloCompressed[..3], fin: false), Compressed(Opcode.Continuation, HelloCompressed[3..]));
        List<Event> events = receiver.ReceiveAll(stream);
        AssertFails(1002, events);
        Assert.Single(events);
    }

    [Theory]
    [Trait("Rfc", "7692-6-rsv1-control")]
    [InlineData(Opcode.Ping)]
    [InlineData(Opcode.Pong)]
    [InlineData(Opcode.Close)]
    public void RSV1_on_a_control_frame_fails_with_1002(Opcode opcode)
    {
        using var receiver = Receiver();
        byte[] payload = opcode == Opcode.Close ? Frames.CloseBody(1000) : [];
        AssertFails(1002, receiver.ReceiveAll(Compressed(opcode, payload)));
    }

    [Theory]
    [Trait("Rfc", "6455-5.2-rsv")]
    [InlineData(FrameHeader.Rsv2)]
    [InlineData(FrameHeader.Rsv3)]
    [InlineData(FrameHeader.Rsv1 | FrameHeader.Rsv2)]
    public void RSV2_and_RSV3_stay_reserved(byte rsv)
    {
        using var receiver = Receiver();
        AssertFails(1002, receiver.ReceiveAll(Frames.Masked(Opcode.Text, HelloCompressed, rsv: rsv)));
    }

    [Fact]
    [Trait("Rfc", "7692-6-inflated-text")]
    public void Inflated_text_must_be_UTF8_and_fails_at_the_first_bad_fragment()
    {
        using var deflater = new MessageDeflater(noContextTakeover: false);
        byte[] bad = MessageCodecTests.Compress(deflater, [.. "ok "u8, 0xC0, 0xAF, .. "more"u8]);
        using var receiver = Receiver();
        // FIN=0: the failure comes before the message ends, as for an uncompressed text message.
        AssertFails(1007, receiver.ReceiveAll(Compressed(Opcode.Text, bad, fin: false)));
    }

    [Fact]
    [Trait("Rfc", "7692-6-inflated-text")]
    public void Text_that_ends_inside_a_code_point_fails_with_1007()
    {
        using var deflater = new MessageDeflater(noContextTakeover: false);
        byte[] cut = MessageCodecTests.Compress(deflater, Encoding.UTF8.GetBytes("€")[..2]);
        using var receiver = Receiver();
        AssertFails(1007, receiver.ReceiveAll(Compressed(Opcode.Text, cut)));
    }

    [Fact]
    public void Payload_that_is_not_DEFLATE_fails_with_1007()
    {
        using var receiver = Receiver();
        AssertFails(1007, receiver.ReceiveAll(Compressed(Opcode.Binary, [0xff, 0xff, 0xff, 0xff, 0xff])));
    }

    [Fact]
    [Trait("Rfc", "6455-10.4-inflate-limit")]
    public void Inflated_size_is_held_to_the_limit_exactly()
    {
        using var deflater = new MessageDeflater(noContextTakeover: true);
        using (var receiver = Receiver(maxMessageBytes: 1000))
        {
            byte[] fits = MessageCodecTests.Compress(deflater, new byte[1000]);
            Assert.Equal([Event.Message(Opcode.Binary, new byte[1000])], receiver.ReceiveAll(Compressed(Opcode.Binary, fits)));
        }
        using (var receiver = Receiver(maxMessageBytes: 1000))
        {
            byte[] tooBig = MessageCodecTests.Compress(deflater, new byte[1001]);
            AssertFails(1009, receiver.ReceiveAll(Compressed(Opcode.Binary, tooBig)));
        }
    }

    [Fact]
    [Trait("Rfc", "6455-10.4-inflate-limit")]
    public void Zip_bomb_fails_with_1009_without_inflating_the_rest()
    {
        // 64 MiB of zeros compresses to about 64 KiB (zlib's best is about 1:1000). With a 16 KiB limit the receiver
        // must stop in the first chunk that passes the limit: most of the compressed frame is left unconsumed.
        byte[] bomb = DeflateFrames.CompressZeros(64 * 1024 * 1024);
        byte[] frame = Compressed(Opcode.Binary, bomb);
        using var receiver = Receiver(maxMessageBytes: 16 * 1024);
        var input = new ReadOnlySequence<byte>(frame);
        ReceiveResult result = receiver.Receive(ref input);
        Assert.Equal(ReceiveStatus.Failed, result.Status);
        Assert.Equal(1009, result.CloseCode);
        // A compressed message declares no length: the reason says only that inflating passed the limit.
        Assert.Equal(0, result.ErrorValue);
        Assert.Equal(16 * 1024, result.ErrorLimit);
        Assert.Equal("message inflates to more than the limit of 16,384 bytes", result.CloseReason);
        Assert.True(input.Length > frame.Length / 2, $"{frame.Length - input.Length} of {frame.Length} compressed bytes were consumed");
    }

    [Fact]
    [Trait("Rfc", "6455-10.4-inflate-limit")]
    public void Zip_bomb_split_over_many_frames_is_stopped_too()
    {
        byte[] bomb = DeflateFrames.CompressZeros(8 * 1024 * 1024);
        using var receiver = Receiver(maxMessageBytes: 100_000);
        var frames = new List<byte[]> { Compressed(Opcode.Binary, bomb[..100], fin: false) };
        for (int at = 100; at < bomb.Length; at += 100)
            frames.Add(Frames.Masked(Opcode.Continuation, bomb[at..Math.Min(at + 100, bomb.Length)], fin: at + 100 >= bomb.Length));
        AssertFails(1009, receiver.ReceiveAll(Frames.Concat([.. frames])));
    }

    // RFC 7692 §7.2.2: unless a smaller client_max_window_bits was agreed, the server MUST inflate with a 32 KiB
    // window. The second message repeats the 20 KiB of noise of the first, so it refers 20 KiB back: beyond any window
    // smaller than 15 bits (14 bits is 16 KiB).
    [Fact]
    [Trait("Rfc", "7692-7.2.2-window")]
    public void A_message_that_refers_back_further_than_16_KiB_inflates()
    {
        byte[] noise = new byte[20 * 1024];
        new Random(7692).NextBytes(noise);
        using var client = new MessageDeflater(noContextTakeover: false, CompressionLevel.Optimal); // a 15-bit window
        byte[] first = MessageCodecTests.Compress(client, noise), second = MessageCodecTests.Compress(client, noise);
        Assert.True(second.Length < 1024, $"the second copy took {second.Length} bytes: it does not refer back to the first");

        using var receiver = Receiver(maxMessageBytes: 64 * 1024);
        Assert.Equal([Event.Message(Opcode.Binary, noise), Event.Message(Opcode.Binary, noise)],
            receiver.ReceiveAll(Frames.Concat(Compressed(Opcode.Binary, first), Compressed(Opcode.Binary, second))));
    }

    [Fact]
    public void Declared_compressed_length_above_the_limit_is_fine_when_the_message_is_not()
    {
        // The limit is on the message, which is the inflated bytes: a stored (incompressible) encoding of a message
        // right at the limit is slightly longer than the limit, and must still be accepted.
        byte[] message = new byte[1000];
        new Random(3).NextBytes(message);
        using var deflater = new MessageDeflater(noContextTakeover: true, CompressionLevel.NoCompression);
        byte[] stored = MessageCodecTests.Compress(deflater, message);
        Assert.True(stored.Length > 1000);
        using var receiver = Receiver(maxMessageBytes: 1000);
        Assert.Equal([Event.Message(Opcode.Binary, message)], receiver.ReceiveAll(Compressed(Opcode.Binary, stored)));
    }

    [Fact]
    public void Disposing_the_receiver_releases_the_inflater()
    {
        var inflater = new MessageInflater(noContextTakeover: false);
        var receiver = new WebSocketReceiver(new ReceiverOptions(), inflater);
        receiver.ReceiveAll(Compressed(Opcode.Text, HelloCompressed));
        Assert.True(inflater.HoldsState);
        receiver.Dispose();
        Assert.False(inflater.HoldsState);
    }
}
