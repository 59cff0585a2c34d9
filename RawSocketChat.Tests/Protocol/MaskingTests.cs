using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Protocol;

namespace RawSocketChat.Tests.Protocol;

public class MaskingTests
{
    // RFC 6455 §5.7: "Hello" masked with key 37 fa 21 3d is 7f 9f 4d 51 58.
    [Fact]
    [Trait("Rfc", "6455-6.2-unmask")]
    public void Rfc_example_hello_masks_to_the_published_bytes()
    {
        byte[] data = "Hello"u8.ToArray();

        int next = Masking.Apply(data, Frames.RfcMaskKey, maskOffset: 0);

        Assert.Equal(new byte[] { 0x7f, 0x9f, 0x4d, 0x51, 0x58 }, data);
        Assert.Equal(1, next); // 5 bytes used key bytes 0,1,2,3,0: the next byte uses key byte 1
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(0, 3, 3)]
    [InlineData(1, 3, 0)]
    [InlineData(6, 1, 3)]
    [InlineData(1000, 2, 2)]
    public void Returns_the_key_offset_of_the_next_byte(int length, int maskOffset, int expected)
    {
        Assert.Equal(expected, Masking.Apply(new byte[length], 0x01020304, maskOffset));
    }

    [Fact]
    public void Destination_shorter_than_source_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => Masking.Apply(new byte[10], new byte[9], 1, 0));
    }

    // Every length up to a few vectors wide, every buffer alignment, every key phase: each path of the
    // vectorized code (256-bit, 128-bit, 64-bit, scalar tail) and each handover between them.
    [Fact]
    public void Vectorized_equals_scalar_for_all_small_lengths_alignments_and_offsets()
    {
        var random = new Random(6455);
        var source = new byte[200];
        random.NextBytes(source);
        var expected = new byte[200];
        var actual = new byte[200];
        const uint key = 0x9A3C_71E5;

        for (int length = 0; length <= 140; length++)
        for (int align = 0; align < 32 && align + length <= source.Length; align++)
        for (int maskOffset = 0; maskOffset < 4; maskOffset++)
        {
            ReadOnlySpan<byte> input = source.AsSpan(align, length);
            int expectedNext = Masking.ApplyScalar(input, expected.AsSpan(0, length), key, maskOffset);
            int actualNext = Masking.Apply(input, actual.AsSpan(31 - align, length), key, maskOffset);

            Assert.Equal(expectedNext, actualNext);
            Assert.True(expected.AsSpan(0, length).SequenceEqual(actual.AsSpan(31 - align, length)),
                $"length {length}, align {align}, maskOffset {maskOffset}");
        }
    }

    private sealed record Case(byte[] Data, int SourceOffset, int DestinationOffset, int MaskOffset, uint Key)
    {
        public override string ToString() =>
            $"length {Data.Length}, source +{SourceOffset}, destination +{DestinationOffset}, maskOffset {MaskOffset}, key {Key:X8}";
    }

    private static readonly Gen<int> Lengths = Gen.Frequency(
        (20, Gen.Choose(0, 2000)),
        (1, Gen.Elements(4096, 65536 + 3, 100_003)));

    private static readonly Gen<uint> Keys = Gen.Choose(int.MinValue, int.MaxValue).Select(k => unchecked((uint)k));

    private static readonly Gen<Case> Cases =
        from length in Lengths
        from seed in Gen.Choose(0, int.MaxValue)
        from sourceOffset in Gen.Choose(0, 31)
        from destinationOffset in Gen.Choose(0, 31)
        from maskOffset in Gen.Choose(0, 3)
        from key in Keys
        select new Case(RandomBytes(seed, length), sourceOffset, destinationOffset, maskOffset, key);

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Copies <paramref name="data"/> to <paramref name="offset"/> bytes into a fresh buffer, to vary alignment.</summary>
    private static Span<byte> At(int offset, ReadOnlySpan<byte> data)
    {
        var buffer = new byte[offset + data.Length];
        data.CopyTo(buffer.AsSpan(offset));
        return buffer.AsSpan(offset, data.Length);
    }

    [Property(MaxTest = 200)]
    [Trait("Rfc", "6455-6.2-unmask")]
    public Property Vectorized_equals_scalar_for_any_length_alignment_and_offset() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            Span<byte> source = At(c.SourceOffset, c.Data);
            Span<byte> expected = At(c.DestinationOffset, new byte[c.Data.Length]);
            Span<byte> actual = At(c.DestinationOffset, new byte[c.Data.Length]);

            int expectedNext = Masking.ApplyScalar(source, expected, c.Key, c.MaskOffset);
            int actualNext = Masking.Apply(source, actual, c.Key, c.MaskOffset);

            Assert.Equal(expectedNext, actualNext);
            Assert.True(expected.SequenceEqual(actual));
        });

    [Property(MaxTest = 200)]
    public Property Masking_in_place_equals_masking_into_another_buffer() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            Span<byte> inPlace = At(c.SourceOffset, c.Data);
            byte[] copy = new byte[c.Data.Length];

            Masking.Apply(inPlace, c.Key, c.MaskOffset);
            Masking.Apply(c.Data, copy, c.Key, c.MaskOffset);

            Assert.True(inPlace.SequenceEqual(copy));
        });

    // XOR with the same key stream twice gives back the original: the same function masks and unmasks.
    [Property(MaxTest = 200)]
    public Property Masking_twice_is_the_identity() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            Span<byte> data = At(c.SourceOffset, c.Data);

            Masking.Apply(data, c.Key, c.MaskOffset);
            Masking.Apply(data, c.Key, c.MaskOffset);

            Assert.True(data.SequenceEqual(c.Data));
        });

    // A payload that arrives in pieces is unmasked piece by piece, carrying the returned offset along.
    [Property(MaxTest = 200)]
    [Trait("Rfc", "6455-6.2-unmask")]
    public Property Masking_in_chunks_with_the_returned_offset_equals_masking_at_once() =>
        Prop.ForAll(Arb.From(Cases), Arb.From(Gen.ArrayOf(Gen.Choose(0, 2000))), (c, cuts) =>
        {
            byte[] whole = c.Data.ToArray();
            Masking.Apply(whole, c.Key, c.MaskOffset);

            byte[] chunked = c.Data.ToArray();
            int offset = c.MaskOffset;
            int start = 0;
            foreach (byte[] piece in Segments.Cut(c.Data, cuts))
            {
                offset = Masking.Apply(chunked.AsSpan(start, piece.Length), c.Key, offset);
                start += piece.Length;
            }

            Assert.Equal(whole, chunked);
            Assert.Equal((c.MaskOffset + c.Data.Length) & 3, offset);
        });
}
