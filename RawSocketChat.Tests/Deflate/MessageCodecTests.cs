using System.Buffers;
using System.IO.Compression;
using System.Text;
using RawSocketChat.Protocol.Deflate;

namespace RawSocketChat.Tests.Deflate;

/// <summary>
/// The compressor and decompressor on their own, against the examples of RFC 7692 §7.2.3, which were produced by
/// zlib and are the closest thing to an independent reference inside a unit test.
/// </summary>
public class MessageCodecTests
{
    private static readonly byte[] Hello = "Hello"u8.ToArray();

    internal static byte[] Compress(MessageDeflater deflater, ReadOnlySpan<byte> message)
    {
        var output = new ArrayBufferWriter<byte>();
        deflater.Compress(message, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Inflates one whole message fed in the given pieces, with plenty of room.</summary>
    internal static byte[] Inflate(MessageInflater inflater, params byte[][] pieces)
    {
        var result = new List<byte>();
        var room = new byte[7]; // small on purpose: DestinationTooSmall must be handled
        foreach (byte[] piece in pieces)
        {
            inflater.Feed(piece);
            Drain();
        }
        inflater.FeedEndOfMessage();
        Drain();
        inflater.EndMessage();
        return result.ToArray();

        void Drain()
        {
            OperationStatus status;
            do
            {
                status = inflater.Inflate(room, out int written);
                Assert.NotEqual(OperationStatus.InvalidData, status);
                result.AddRange(room.AsSpan(0, written));
            } while (status == OperationStatus.DestinationTooSmall);
        }
    }

    [Fact]
    [Trait("Rfc", "7692-7.2.2-tail")]
    public void RFC_7692_7_2_3_1_a_message_compressed_in_one_block()
    {
        using var inflater = new MessageInflater(noContextTakeover: false);
        Assert.Equal(Hello, Inflate(inflater, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]));
    }

    [Fact]
    [Trait("Rfc", "7692-7.2.2-tail")]
    public void RFC_7692_7_2_3_1_the_same_payload_split_across_two_fragments()
    {
        using var inflater = new MessageInflater(noContextTakeover: false);
        Assert.Equal(Hello, Inflate(inflater, [0xf2, 0x48, 0xcd], [0xc9, 0xc9, 0x07, 0x00]));
    }

    [Fact]
    [Trait("Rfc", "7692-7.2.2-takeover")]
    public void RFC_7692_7_2_3_2_the_second_message_refers_to_the_first()
    {
        using var inflater = new MessageInflater(noContextTakeover: false);
        Assert.Equal(Hello, Inflate(inflater, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]));
        // "f2 00 11 00 00" is a back-reference to the previous message's "Hello": only context takeover decodes it.
        Assert.Equal(Hello, Inflate(inflater, [0xf2, 0x00, 0x11, 0x00, 0x00]));
        Assert.True(inflater.HoldsState);
    }

    [Fact]
    [Trait("Rfc", "7692-7.2.2-client-no-context")]
    public void Without_context_takeover_the_window_is_forgotten_after_each_message()
    {
        using var inflater = new MessageInflater(noContextTakeover: true);
        Assert.Equal(Hello, Inflate(inflater, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]));
        Assert.False(inflater.HoldsState); // nothing kept between messages
        // The back-reference now points before the start of the (new, empty) window: not valid DEFLATE any more.
        inflater.Feed(new byte[] { 0xf2, 0x00, 0x11, 0x00, 0x00 });
        Assert.Equal(OperationStatus.InvalidData, inflater.Inflate(new byte[64], out _));
    }

    [Fact]
    public void RFC_7692_7_2_3_3_a_stored_block_without_compression()
    {
        using var inflater = new MessageInflater(noContextTakeover: false);
        Assert.Equal(Hello, Inflate(inflater, [0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00]));
    }

    [Fact]
    [Trait("Rfc", "7692-7.2.2-tail")]
    public void RFC_7692_7_2_3_4_a_final_block_ends_the_stream_and_the_next_message_starts_a_new_one()
    {
        using var inflater = new MessageInflater(noContextTakeover: false);
        Assert.Equal(Hello, Inflate(inflater, [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00]));
        // A sender that used BFINAL=1 begins its next message with a fresh stream; so must we.
        Assert.Equal(Hello, Inflate(inflater, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]));
    }

    [Fact]
    public void RFC_7692_7_2_3_5_two_blocks_in_one_message()
    {
        using var inflater = new MessageInflater(noContextTakeover: false);
        Assert.Equal(Hello, Inflate(inflater, [0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00]));
    }

    [Fact]
    public void RFC_7692_7_2_3_6_an_empty_message_is_one_zero_byte()
    {
        // 00 + the appended 00 00 ff ff is an empty stored block; valid anywhere, also between two messages.
        using var inflater = new MessageInflater(noContextTakeover: false);
        Assert.Equal(Hello, Inflate(inflater, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]));
        Assert.Empty(Inflate(inflater, [0x00]));
        Assert.Equal(Hello, Inflate(inflater, [0xf2, 0x00, 0x11, 0x00, 0x00]));
    }

    [Fact]
    public void A_compressed_message_without_payload_bytes_is_empty_and_harmless()
    {
        // Not valid DEFLATE strictly (no block header), but what some senders do for an empty message: taken as
        // empty, and the next message still decodes with the shared window.
        using var inflater = new MessageInflater(noContextTakeover: false);
        Assert.Equal(Hello, Inflate(inflater, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]));
        Assert.Empty(Inflate(inflater));
        Assert.Equal(Hello, Inflate(inflater, [0xf2, 0x00, 0x11, 0x00, 0x00]));
    }

    [Fact]
    public void Garbage_is_reported_as_invalid_data()
    {
        using var inflater = new MessageInflater(noContextTakeover: false);
        inflater.Feed(new byte[] { 0xff, 0xff, 0xff, 0xff });
        Assert.Equal(OperationStatus.InvalidData, inflater.Inflate(new byte[64], out _));
    }

    [Fact]
    [Trait("Rfc", "7692-7.2.1-tail")]
    [Trait("Rfc", "7692-7.2.1-takeover")]
    public void Compressor_strips_the_tail_and_reproduces_the_RFC_example_with_context_takeover()
    {
        // zlib level 6 (Optimal) emits exactly the bytes of RFC 7692 §7.2.3.1 and §7.2.3.2.
        using var deflater = new MessageDeflater(noContextTakeover: false, CompressionLevel.Optimal);
        Assert.Equal([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], Compress(deflater, Hello));
        Assert.Equal([0xf2, 0x00, 0x11, 0x00, 0x00], Compress(deflater, Hello));
    }

    [Fact]
    [Trait("Rfc", "7692-7.2.1-server-no-context")]
    public void Compressor_without_context_takeover_compresses_each_message_alone()
    {
        using var deflater = new MessageDeflater(noContextTakeover: true, CompressionLevel.Optimal);
        byte[] first = Compress(deflater, Hello);
        Assert.False(deflater.HoldsState);
        Assert.Equal(first, Compress(deflater, Hello)); // no reference to the previous message
        using var inflater = new MessageInflater(noContextTakeover: true);
        Assert.Equal(Hello, Inflate(inflater, first));
    }

    [Theory]
    [Trait("Rfc", "7692-7.2.1-tail")]
    [InlineData(false)]
    [InlineData(true)]
    public void Compressor_output_inflates_back_over_many_messages(bool noContextTakeover)
    {
        using var deflater = new MessageDeflater(noContextTakeover);
        using var inflater = new MessageInflater(noContextTakeover);
        var random = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            byte[] message = i % 3 == 0
                ? Encoding.UTF8.GetBytes($"{{\"type\":\"message\",\"room\":\"lobby\",\"user\":\"u{i % 7}\",\"text\":\"hello number {i}\"}}")
                : RandomBytes(random, random.Next(0, i % 10 == 0 ? 70_000 : 600));
            Assert.Equal(message, Inflate(inflater, Compress(deflater, message)));
        }
    }

    [Theory]
    [Trait("Rfc", "7692-7.2.1-tail")]
    [InlineData(false)]
    [InlineData(true)]
    public void Compressor_never_emits_an_empty_payload(bool noContextTakeover)
    {
        using var deflater = new MessageDeflater(noContextTakeover);
        using var inflater = new MessageInflater(noContextTakeover);
        Assert.NotEmpty(Compress(deflater, []));
        Assert.Equal(Hello, Inflate(inflater, Compress(deflater, Hello)));
        byte[] empty = Compress(deflater, []);
        Assert.NotEmpty(empty);
        Assert.Empty(Inflate(inflater, empty));
        Assert.Equal(Hello, Inflate(inflater, Compress(deflater, Hello)));
    }

    [Fact]
    public void Inflater_never_writes_more_than_the_room_it_is_given()
    {
        // The receiver's zip-bomb defence depends on this: 10 MB of zeros in ~10 KB, inflated into 100 bytes at a time.
        using var deflater = new MessageDeflater(noContextTakeover: false, CompressionLevel.Optimal);
        byte[] bomb = Compress(deflater, new byte[10_000_000]);
        Assert.True(bomb.Length < 20_000, $"bomb is {bomb.Length} bytes");
        using var inflater = new MessageInflater(noContextTakeover: false);
        inflater.Feed(bomb);
        Assert.Equal(OperationStatus.DestinationTooSmall, inflater.Inflate(new byte[100], out int written));
        Assert.Equal(100, written);
    }

    internal static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        // Half random, half repetitive: compressible and incompressible stretches in one message.
        random.NextBytes(bytes.AsSpan(0, length / 2));
        bytes.AsSpan(length / 2).Fill((byte)'a');
        return bytes;
    }
}
