using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Protocol;

namespace RawSocketChat.Tests.Protocol;

public class FrameHeaderTests
{
    private static FrameHeader Parse(byte[] bytes)
    {
        Assert.True(FrameHeader.TryParse(bytes, out FrameHeader header, out int length, out ProtocolError error));
        Assert.Equal(ProtocolError.None, error);
        Assert.Equal(header.EncodedLength, length);
        return header;
    }

    private static ProtocolError ParseError(byte[] bytes)
    {
        Assert.False(FrameHeader.TryParse(bytes, out _, out _, out ProtocolError error));
        return error;
    }

    // RFC 6455 §5.7: "A single-frame unmasked text message" — 0x81 0x05 0x48 0x65 0x6c 0x6c 0x6f ("Hello").
    [Fact]
    public void Rfc_example_unmasked_hello_header()
    {
        FrameHeader header = Parse([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);

        Assert.Equal(new FrameHeader(Fin: true, Rsv: 0, Opcode.Text, Masked: false, PayloadLength: 5, MaskKey: 0), header);
        Assert.Equal(2, header.EncodedLength);
    }

    // RFC 6455 §5.7: "A single-frame masked text message" — 0x81 0x85 0x37 0xfa 0x21 0x3d, then the masked "Hello".
    [Fact]
    public void Rfc_example_masked_hello_header_keeps_the_key_in_wire_order()
    {
        FrameHeader header = Parse([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);

        Assert.True(header.Masked);
        Assert.Equal(5, header.PayloadLength);
        Assert.Equal(6, header.EncodedLength);
        // Key byte 0 (0x37) is the low byte of MaskKey.
        Assert.Equal(Frames.RfcMaskKey, header.MaskKey);
        Assert.Equal(0x37, (byte)header.MaskKey);
    }

    // RFC 6455 §5.7: 256 bytes binary → 0x82 0x7E 0x0100; 64 KiB binary → 0x82 0x7F 0x0000000000010000.
    [Theory]
    [Trait("Rfc", "6455-5.2-length-minimal-sent")]
    [InlineData(256, new byte[] { 0x82, 0x7E, 0x01, 0x00 })]
    [InlineData(65536, new byte[] { 0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00 })]
    public void Rfc_example_extended_lengths_encode_exactly(long length, byte[] expected)
    {
        var header = new FrameHeader(true, 0, Opcode.Binary, Masked: false, length, 0);
        var buffer = new byte[FrameHeader.MaxLength];

        int written = header.WriteTo(buffer);

        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(header, Parse(expected));
    }

    // §5.2: 0-125 fit in 7 bits; 126 means a 16-bit length follows; 127 means a 64-bit length follows.
    [Theory]
    [Trait("Rfc", "6455-5.2-length-minimal-sent")]
    [InlineData(0L, 2)]
    [InlineData(1L, 2)]
    [InlineData(125L, 2)]
    [InlineData(126L, 4)]
    [InlineData(127L, 4)]
    [InlineData(65535L, 4)]
    [InlineData(65536L, 10)]
    [InlineData(1L << 32, 10)]
    [InlineData(long.MaxValue, 10)]
    public void Lengths_round_trip_with_the_smallest_encoding(long length, int unmaskedHeaderLength)
    {
        foreach (bool masked in new[] { false, true })
        {
            var header = new FrameHeader(Fin: true, Rsv: 0, Opcode.Binary, masked, length, masked ? 0xDEADBEEF : 0);
            var buffer = new byte[FrameHeader.MaxLength];

            int written = header.WriteTo(buffer);

            Assert.Equal(unmaskedHeaderLength + (masked ? 4 : 0), written);
            Assert.Equal(written, header.EncodedLength);
            Assert.Equal(header, Parse(buffer[..written]));
        }
    }

    [Theory]
    [InlineData(0x80, true, 0, Opcode.Continuation)]
    [InlineData(0x01, false, 0, Opcode.Text)]
    [InlineData(0xC2, true, FrameHeader.Rsv1, Opcode.Binary)]
    [InlineData(0x28, false, FrameHeader.Rsv2, Opcode.Close)]
    [InlineData(0x99, true, FrameHeader.Rsv3, Opcode.Ping)]
    [InlineData(0xFA, true, 0b111, Opcode.Pong)]
    [InlineData(0x0F, false, 0, (Opcode)0xF)]
    public void First_byte_holds_fin_rsv_and_opcode(byte firstByte, bool fin, int rsv, Opcode opcode)
    {
        FrameHeader header = Parse([firstByte, 0x00]);

        Assert.Equal(fin, header.Fin);
        Assert.Equal(rsv, header.Rsv);
        Assert.Equal(opcode, header.Opcode);

        var buffer = new byte[2];
        header.WriteTo(buffer);
        Assert.Equal(firstByte, buffer[0]);
    }

    // §5.2: "the most significant bit MUST be 0" in the 64-bit length.
    [Fact]
    [Trait("Rfc", "6455-5.2-length-msb")]
    public void Length_with_the_high_bit_set_is_a_protocol_error()
    {
        byte[] bytes = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0];

        ProtocolError error = ParseError(bytes);

        Assert.Equal(ProtocolError.LengthHighBitSet, error);
        Assert.Equal(CloseCode.ProtocolError, error.ToCloseCode());
    }

    // §5.2: "the minimal number of bytes MUST be used to encode the length".
    [Theory]
    [Trait("Rfc", "6455-5.2-length-minimal")]
    [InlineData(new byte[] { 0x82, 0x7E, 0x00, 0x00 })]                               // 0 in 16 bits
    [InlineData(new byte[] { 0x82, 0x7E, 0x00, 0x7D })]                               // 125 in 16 bits
    [InlineData(new byte[] { 0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x00, 0x00 })]             // 0 in 64 bits
    [InlineData(new byte[] { 0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x00, 0x7D })]             // 125 in 64 bits
    [InlineData(new byte[] { 0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x00, 0x7E })]             // 126 in 64 bits
    [InlineData(new byte[] { 0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF })]             // 65535 in 64 bits
    [InlineData(new byte[] { 0x82, 0xFE, 0x00, 0x05, 1, 2, 3, 4 })]                   // masked, 5 in 16 bits
    public void Non_minimal_length_encoding_is_a_protocol_error(byte[] bytes)
    {
        ProtocolError error = ParseError(bytes);

        Assert.Equal(ProtocolError.NonMinimalLength, error);
        Assert.Equal(CloseCode.ProtocolError, error.ToCloseCode());
    }

    [Fact]
    [Trait("Rfc", "6455-5.2-length-minimal")]
    public void Smallest_lengths_of_each_extended_form_are_minimal()
    {
        Assert.Equal(126, Parse([0x82, 0x7E, 0x00, 0x7E]).PayloadLength);
        Assert.Equal(65536, Parse([0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]).PayloadLength);
    }

    [Fact]
    public void Every_prefix_of_a_full_header_needs_more_bytes()
    {
        // Longest header there is: 64-bit length and a mask key.
        byte[] full = Frames.HeaderOnly(Opcode.Binary, 1L << 40, maskKey: 0x04030201);
        Assert.Equal(FrameHeader.MaxLength, full.Length);

        for (int length = 0; length < full.Length; length++)
        {
            Assert.False(FrameHeader.TryParse(full.AsSpan(0, length), out _, out int headerLength, out ProtocolError error));
            Assert.Equal(ProtocolError.None, error);
            Assert.Equal(0, headerLength);
        }
        Assert.Equal(1L << 40, Parse(full).PayloadLength);
    }

    [Fact]
    [Trait("Rfc", "6455-6.2-parse")]
    public void Header_split_across_segments_parses_at_every_split_point()
    {
        byte[] frame = Frames.Concat(Frames.HeaderOnly(Opcode.Text, 70000, maskKey: 0xA0B0C0D0), [1, 2, 3]);
        FrameHeader expected = Parse(frame);

        for (int a = 0; a <= frame.Length; a++)
        {
            for (int b = a; b <= frame.Length; b++)
            {
                ReadOnlySequence<byte> input = Segments.Split(frame, [a, b]);

                Assert.True(FrameHeader.TryParse(input, out FrameHeader header, out int length, out ProtocolError error));
                Assert.Equal(ProtocolError.None, error);
                Assert.Equal(expected, header);
                Assert.Equal(FrameHeader.MaxLength, length);
            }
        }
    }

    [Fact]
    public void Partial_header_split_across_segments_needs_more_bytes()
    {
        byte[] full = Frames.HeaderOnly(Opcode.Binary, 1L << 40);

        for (int length = 0; length < full.Length; length++)
        {
            for (int cut = 0; cut <= length; cut++)
            {
                ReadOnlySequence<byte> input = Segments.Split(full[..length], [cut]);

                Assert.False(FrameHeader.TryParse(input, out _, out _, out ProtocolError error));
                Assert.Equal(ProtocolError.None, error);
            }
        }
    }

    private static readonly Gen<FrameHeader> Headers =
        from fin in Gen.Elements(true, false)
        from rsv in Gen.Choose(0, 7)
        from opcode in Gen.Choose(0, 15)
        from masked in Gen.Elements(true, false)
        from length in Gen.OneOf(
            Gen.Choose(0, 125).Select(n => (long)n),
            Gen.Choose(126, 65535).Select(n => (long)n),
            Gen.Choose(0, int.MaxValue).Select(n => 65536L + ((long)n << 31) + n),
            Gen.Elements(0L, 125L, 126L, 65535L, 65536L, long.MaxValue))
        from key in Gen.Choose(int.MinValue, int.MaxValue)
        select new FrameHeader(fin, (byte)rsv, (Opcode)opcode, masked, length, masked ? unchecked((uint)key) : 0);

    [Property(MaxTest = 200)]
    [Trait("Rfc", "6455-5.2-length-minimal-sent")]
    public Property Any_header_round_trips_and_every_shorter_prefix_needs_more() =>
        Prop.ForAll(Arb.From(Headers), header =>
        {
            var buffer = new byte[FrameHeader.MaxLength];
            int written = header.WriteTo(buffer);

            Assert.Equal(header.EncodedLength, written);
            Assert.Equal(header, Parse(buffer[..written]));
            for (int length = 0; length < written; length++)
            {
                Assert.False(FrameHeader.TryParse(buffer.AsSpan(0, length), out _, out _, out ProtocolError error));
                Assert.Equal(ProtocolError.None, error);
            }
        });
}
