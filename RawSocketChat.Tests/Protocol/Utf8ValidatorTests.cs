using System.Buffers;
using System.Text;
using System.Text.Unicode;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Protocol;

namespace RawSocketChat.Tests.Protocol;

public class Utf8ValidatorTests
{
    /// <summary>Feeds the chunks in order; a whole message is valid when every chunk is and no code point is left open.</summary>
    private static bool ValidatesAsMessage(params byte[][] chunks)
    {
        var validator = new Utf8Validator();
        foreach (byte[] chunk in chunks)
        {
            if (!validator.Feed(chunk))
                return false;
        }
        return validator.IsComplete;
    }

    [Theory]
    [InlineData("")]
    [InlineData("Hello")]
    [InlineData("héllo wörld")]
    [InlineData("κόσμε")]                 // Markus Kuhn's UTF-8 test word, used by Autobahn 6.2
    [InlineData("中文字符 and 日本語")]
    [InlineData("😀🎉👍🏽 emoji")]
    [InlineData("\u007F\u0080\u07FF\u0800\uD7FF\uE000\uFFFD\uFFFF")]
    [InlineData("\U00010000\U0010FFFF")]
    public void Valid_text_is_accepted_whole_and_byte_by_byte(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);

        Assert.True(ValidatesAsMessage(bytes));
        Assert.True(ValidatesAsMessage(bytes.Select(b => new[] { b }).ToArray()));
    }

    [Theory]
    [InlineData("aé€😀z")]
    [InlineData("\uD7FF\uE000\U0010FFFF\U00010000")]
    public void Valid_text_split_into_three_chunks_anywhere_is_accepted(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);

        for (int a = 0; a <= bytes.Length; a++)
        for (int b = a; b <= bytes.Length; b++)
            Assert.True(ValidatesAsMessage(bytes[..a], bytes[a..b], bytes[b..]), $"cuts at {a} and {b}");
    }

    // RFC 3629 §3-4: overlong forms, surrogates, code points above U+10FFFF, and bytes that never appear.
    [Theory]
    [Trait("Rfc", "6455-8.1-utf8")]
    [InlineData("C0 80", "overlong NUL")]
    [InlineData("C1 BF", "overlong U+007F")]
    [InlineData("E0 80 80", "overlong 3-byte NUL")]
    [InlineData("E0 9F BF", "overlong U+07FF")]
    [InlineData("F0 80 80 80", "overlong 4-byte NUL")]
    [InlineData("F0 8F BF BF", "overlong U+FFFF")]
    [InlineData("ED A0 80", "surrogate U+D800")]
    [InlineData("ED BF BF", "surrogate U+DFFF")]
    [InlineData("ED A0 80 ED B0 80", "surrogate pair encoded as CESU-8")]
    [InlineData("F4 90 80 80", "U+110000, above the Unicode range")]
    [InlineData("F5 80 80 80", "F5 never appears")]
    [InlineData("F8 88 80 80 80", "5-byte form")]
    [InlineData("FE", "FE never appears")]
    [InlineData("FF", "FF never appears")]
    [InlineData("80", "lone continuation byte")]
    [InlineData("41 BF 41", "lone continuation byte mid-text")]
    [InlineData("C3 A9 A9", "one continuation byte too many")]
    [InlineData("E2 82 41", "3-byte sequence interrupted by ASCII")]
    [InlineData("C3", "truncated 2-byte sequence")]
    [InlineData("E2 82", "truncated 3-byte sequence")]
    [InlineData("F0 9F 98", "truncated 4-byte sequence")]
    [InlineData("41 42 F0", "lead byte at the very end")]
    public void Invalid_utf8_is_rejected(string hex, string why)
    {
        byte[] bytes = Convert.FromHexString(hex.Replace(" ", ""));

        Assert.False(ValidatesAsMessage(bytes), why);
        Assert.False(ValidatesAsMessage(bytes.Select(b => new[] { b }).ToArray()), why + ", byte by byte");
    }

    // Autobahn 6.x expects failure at the first byte that cannot begin or continue any valid text, not at the end of the
    // message, so a chunk that ends in an impossible prefix must already fail.
    [Theory]
    [InlineData("F5")]
    [InlineData("FF")]
    [InlineData("C0")]
    [InlineData("C1")]
    [InlineData("ED A0")]
    [InlineData("E0 80")]
    [InlineData("E0 9F")]
    [InlineData("F0 80")]
    [InlineData("F0 8F")]
    [InlineData("F4 90")]
    [InlineData("80")]
    [InlineData("48 65 6C 6C 6F ED A0")]
    [InlineData("CE BA E1 BD B9 CF 83 CE BC CE B5 F4 90 80")]
    public void Chunk_ending_in_an_impossible_prefix_fails_immediately(string hex)
    {
        var validator = new Utf8Validator();

        Assert.False(validator.Feed(Convert.FromHexString(hex.Replace(" ", ""))));
    }

    [Theory]
    [InlineData("E0", "80")]
    [InlineData("ED", "A0")]
    [InlineData("F0", "8F")]
    [InlineData("F4", "90")]
    [InlineData("F0 90", "41")]
    [InlineData("E2 82", "C3")]
    public void Bad_continuation_in_the_next_chunk_fails_on_that_chunk(string first, string second)
    {
        var validator = new Utf8Validator();

        Assert.True(validator.Feed(Convert.FromHexString(first.Replace(" ", ""))));
        Assert.False(validator.IsComplete);
        Assert.False(validator.Feed(Convert.FromHexString(second)));
    }

    [Theory]
    [Trait("Rfc", "6455-8.1-utf8-end")]
    [InlineData("E0 A0")]   // smallest valid second byte after E0
    [InlineData("ED 9F")]   // largest valid second byte after ED (U+D7FF)
    [InlineData("F0 90")]
    [InlineData("F4 8F")]   // largest valid second byte after F4 (U+10FFFF)
    [InlineData("F0 9F 98")]
    [InlineData("C2")]
    public void Possible_prefix_is_accepted_but_not_complete(string hex)
    {
        var validator = new Utf8Validator();

        Assert.True(validator.Feed(Convert.FromHexString(hex.Replace(" ", ""))));
        Assert.False(validator.IsComplete);
    }

    [Fact]
    public void Empty_chunks_change_nothing()
    {
        var validator = new Utf8Validator();

        Assert.True(validator.Feed([]));
        Assert.True(validator.IsComplete);
        Assert.True(validator.Feed([0xE2]));
        Assert.True(validator.Feed([]));
        Assert.True(validator.Feed([0x82]));
        Assert.True(validator.Feed([]));
        Assert.False(validator.IsComplete);
        Assert.True(validator.Feed([0xAC])); // € = E2 82 AC
        Assert.True(validator.IsComplete);
    }

    [Fact]
    public void Reset_forgets_an_unfinished_code_point()
    {
        var validator = new Utf8Validator();
        Assert.True(validator.Feed([0xF0, 0x9F]));

        validator.Reset();

        Assert.True(validator.IsComplete);
        Assert.True(validator.Feed("A"u8));
    }

    // ---- Properties: agreement with the BCL's strict decoder on arbitrary input, split arbitrarily ----

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool StrictlyValid(byte[] bytes)
    {
        try
        {
            Strict.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>
    /// Index of the first byte that no valid text can contain at that point (-1 if none), using the BCL decoder in
    /// streaming mode: NeedMoreData means "valid so far", InvalidData means a bad byte has been seen.
    /// </summary>
    private static int FirstBadByte(byte[] bytes)
    {
        if (!IsInvalidPrefix(bytes, bytes.Length))
            return -1;
        int lo = 0, hi = bytes.Length; // prefix of length hi is invalid; find the shortest
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (IsInvalidPrefix(bytes, mid)) hi = mid; else lo = mid + 1;
        }
        return lo - 1;
    }

    private static bool IsInvalidPrefix(byte[] bytes, int length)
    {
        var chars = new char[length + 1];
        return Utf8.ToUtf16(bytes.AsSpan(0, length), chars, out _, out _, replaceInvalidSequences: false, isFinalBlock: false)
            == OperationStatus.InvalidData;
    }

    private static readonly byte[] Interesting =
        [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFE, 0xFF];

    private static readonly Gen<byte> AnyByte = Gen.Choose(0, 255).Select(b => (byte)b);

    private static readonly Gen<int> CodePoints = Gen.Frequency(
        (4, Gen.Choose(0x00, 0x7F)),
        (2, Gen.Choose(0x80, 0x7FF)),
        (2, Gen.Choose(0x800, 0xD7FF)),   // includes CJK
        (1, Gen.Choose(0xE000, 0xFFFF)),
        (2, Gen.Choose(0x10000, 0x10FFFF)),
        (2, Gen.Elements(0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x1F600, 0x4E2D, 0x10FFFF)));

    public static readonly Gen<byte[]> ValidText =
        Gen.ArrayOf(CodePoints).Select(cps => Encoding.UTF8.GetBytes(string.Concat(cps.Select(cp => new Rune(cp).ToString()))));

    private static readonly Gen<byte[]> MutatedText =
        from text in ValidText.Where(t => t.Length > 0)
        from index in Gen.Choose(0, text.Length - 1)
        from replacement in Gen.OneOf(AnyByte, Gen.Elements(Interesting))
        select Mutate(text, index, replacement);

    private static readonly Gen<byte[]> TruncatedText =
        from text in ValidText.Where(t => t.Length > 0)
        from drop in Gen.Choose(1, 3)
        select text[..Math.Max(0, text.Length - drop)];

    private static byte[] Mutate(byte[] text, int index, byte replacement)
    {
        byte[] copy = text.ToArray();
        copy[index] = replacement;
        return copy;
    }

    private static readonly Gen<byte[]> Inputs = Gen.Frequency(
        (2, Gen.ArrayOf(AnyByte)),
        (2, Gen.ArrayOf(Gen.Elements(Interesting))),
        (3, ValidText),
        (4, MutatedText),
        (1, TruncatedText));

    private sealed record Split(byte[] Bytes, int[] Cuts)
    {
        public override string ToString() => $"{Convert.ToHexString(Bytes)} cut at [{string.Join(",", Cuts.Order())}]";
    }

    private static readonly Gen<Split> Splits =
        from bytes in Inputs
        from cuts in Gen.ArrayOf(Gen.Choose(0, bytes.Length))
        select new Split(bytes, cuts);

    [Property(MaxTest = 500)]
    [Trait("Rfc", "6455-8.1-utf8")]
    public Property Agrees_with_the_strict_decoder_for_any_bytes_and_any_chunking() =>
        Prop.ForAll(Arb.From(Splits), split =>
        {
            bool expected = StrictlyValid(split.Bytes);
            Assert.Equal(expected, Utf8.IsValid(split.Bytes)); // the two references agree with each other

            Assert.Equal(expected, ValidatesAsMessage(Segments.Cut(split.Bytes, split.Cuts)));
        });

    [Property(MaxTest = 500)]
    public Property Fails_on_the_chunk_holding_the_first_bad_byte() =>
        Prop.ForAll(Arb.From(Splits), split =>
        {
            int firstBad = FirstBadByte(split.Bytes);
            var validator = new Utf8Validator();
            int start = 0;
            foreach (byte[] chunk in Segments.Cut(split.Bytes, split.Cuts))
            {
                bool containsFirstBad = firstBad >= start && firstBad < start + chunk.Length;
                Assert.Equal(!containsFirstBad, validator.Feed(chunk));
                if (containsFirstBad)
                    return;
                start += chunk.Length;
            }
            Assert.Equal(-1, firstBad);
        });
}
