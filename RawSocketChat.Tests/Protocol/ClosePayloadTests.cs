using System.Buffers;
using System.Text;
using System.Text.Unicode;
using RawSocketChat.Protocol;

namespace RawSocketChat.Tests.Protocol;

public class ClosePayloadTests
{
    // §5.5.1: the body is optional; without one the application sees 1005 "no status received" (§7.4.1).
    [Fact]
    [Trait("Rfc", "6455-5.5.1-body")]
    public void Empty_payload_means_no_status()
    {
        Assert.Equal(ProtocolError.None, ClosePayload.Parse([], out ushort code, out string reason));
        Assert.Equal(CloseCode.NoStatusReceived, code);
        Assert.Equal("", reason);
    }

    // §5.5.1: if there is a body, its first two bytes are the code — one byte cannot be.
    [Fact]
    [Trait("Rfc", "6455-5.5.1-code-length")]
    public void One_byte_payload_is_a_protocol_error()
    {
        ProtocolError error = ClosePayload.Parse([0x03], out _, out _);

        Assert.Equal(ProtocolError.InvalidClosePayloadLength, error);
        Assert.Equal(CloseCode.ProtocolError, error.ToCloseCode());
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.1-code-length")]
    public void Code_is_big_endian_and_reason_is_decoded()
    {
        Assert.Equal(ProtocolError.None, ClosePayload.Parse(Frames.CloseBody(1000, "bye 👋"u8), out ushort code, out string reason));
        Assert.Equal(1000, code);
        Assert.Equal("bye 👋", reason);
    }

    // §7.4.1-7.4.2: codes below 1000, reserved 1004, API-only 1005/1006/1015, unassigned 1016-2999 and 5000+
    // may not be sent, so receiving one is a protocol error.
    [Theory]
    [Trait("Rfc", "6455-5.5.1-code-valid")]
    [MemberData(nameof(CloseCodes.MayNotBeSent), MemberType = typeof(CloseCodes))]
    public void Code_that_may_not_be_sent_is_a_protocol_error(int code)
    {
        ProtocolError error = ClosePayload.Parse(Frames.CloseBody((ushort)code), out _, out _);

        Assert.Equal(ProtocolError.InvalidCloseCode, error);
        Assert.Equal(CloseCode.ProtocolError, error.ToCloseCode());
        Assert.False(CloseCode.IsValidOnWire((ushort)code));
    }

    [Theory]
    [Trait("Rfc", "6455-5.5.1-code-valid")]
    [MemberData(nameof(CloseCodes.MayBeSent), MemberType = typeof(CloseCodes))]
    public void Code_that_may_be_sent_is_accepted(int code)
    {
        Assert.Equal(ProtocolError.None, ClosePayload.Parse(Frames.CloseBody((ushort)code, "ok"u8), out ushort parsed, out string reason));
        Assert.Equal(code, parsed);
        Assert.Equal("ok", reason);
    }

    // §5.5.1 + §8.1: the reason is UTF-8; anything else fails the connection with 1007.
    [Theory]
    [Trait("Rfc", "6455-5.5.1-reason")]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0x41, 0xC3 })]            // truncated é
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]      // surrogate
    [InlineData(new byte[] { 0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80 })] // a surrogate pair encoded as CESU-8
    [InlineData(new byte[] { 0xC0, 0xAF })]            // overlong '/'
    [InlineData(new byte[] { 0xE0, 0x80, 0xAF })]      // overlong '/', 3 bytes
    [InlineData(new byte[] { 0xF0, 0x8F, 0xBF, 0xBF })] // overlong U+FFFF
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })] // U+110000, above the Unicode range
    [InlineData(new byte[] { 0x6F, 0x6B, 0xF0, 0x9F, 0x98 })] // an emoji cut at the end of the body
    public void Reason_that_is_not_utf8_is_invalid_payload_data(byte[] reason)
    {
        ProtocolError error = ClosePayload.Parse(Frames.CloseBody(1000, reason), out _, out _);

        Assert.Equal(ProtocolError.InvalidUtf8, error);
        Assert.Equal(CloseCode.InvalidPayloadData, error.ToCloseCode());
    }

    // One validator for text messages and close reasons (RFC 6455 §8.1): at the edges of the ranges of RFC 3629 §4,
    // a reason is accepted exactly when the same bytes are a valid text message.
    [Theory]
    [Trait("Rfc", "6455-5.5.1-reason")]
    [InlineData("7F", true)]
    [InlineData("C2 80", true)]
    [InlineData("C1 BF", false)]
    [InlineData("E0 A0 80", true)]
    [InlineData("E0 9F BF", false)]
    [InlineData("ED 9F BF", true)]      // U+D7FF, just below the surrogates
    [InlineData("ED A0 80", false)]
    [InlineData("EE 80 80", true)]      // U+E000, just above them
    [InlineData("EF BF BF", true)]      // U+FFFF, a noncharacter but valid UTF-8
    [InlineData("F0 90 80 80", true)]
    [InlineData("F4 8F BF BF", true)]   // U+10FFFF
    [InlineData("F4 90 80 80", false)]
    [InlineData("F5 80 80 80", false)]
    public void Reason_is_judged_as_a_text_message_would_be(string hex, bool valid)
    {
        byte[] bytes = Convert.FromHexString(hex.Replace(" ", ""));
        var validator = new Utf8Validator();
        bool asText = validator.Feed(bytes) && validator.IsComplete;

        ProtocolError error = ClosePayload.Parse(Frames.CloseBody(1000, bytes), out _, out string reason);

        Assert.Equal(valid, asText);
        Assert.Equal(valid ? ProtocolError.None : ProtocolError.InvalidUtf8, error);
        if (valid)
            Assert.Equal(bytes, Encoding.UTF8.GetBytes(reason));
    }

    [Fact]
    [Trait("Rfc", "6455-7.4-reason")]
    public void Write_puts_the_code_first_then_the_reason()
    {
        var buffer = new byte[125];

        int written = ClosePayload.Write(buffer, CloseCode.GoingAway, "restart");

        Assert.Equal(Frames.CloseBody(1001, "restart"u8), buffer[..written]);
    }

    [Fact]
    public void Write_without_a_reason_is_just_the_code()
    {
        var buffer = new byte[125];

        Assert.Equal(2, ClosePayload.Write(buffer, CloseCode.NormalClosure, ""));
        Assert.Equal(new byte[] { 0x03, 0xE8 }, buffer[..2]);
    }

    // §5.5: a control frame carries at most 125 bytes, so a long reason is cut — but never inside a code point.
    [Theory]
    [Trait("Rfc", "6455-5.5-control-length-sent")]
    [InlineData("😀", 200)]   // 4 bytes each; 123 = 30 × 4 + 3, so a naive cut would leave 3 bytes of an emoji
    [InlineData("中", 200)]   // 3 bytes each; 123 = 41 × 3 exactly
    [InlineData("é", 200)]    // 2 bytes each; 123 = 61 × 2 + 1
    [InlineData("a😀", 100)]
    [InlineData("x", 200)]
    public void Write_truncates_a_long_reason_on_a_code_point_boundary(string unit, int repeat)
    {
        string reason = string.Concat(Enumerable.Repeat(unit, repeat));
        var buffer = new byte[256];

        int written = ClosePayload.Write(buffer, CloseCode.NormalClosure, reason);

        Assert.InRange(written, 2, 125);
        byte[] reasonBytes = buffer[2..written];
        Assert.True(Utf8.IsValid(reasonBytes));
        string kept = Encoding.UTF8.GetString(reasonBytes);
        Assert.StartsWith(kept, reason, StringComparison.Ordinal);
        // Nothing more would have fit: the next code point is longer than the space left.
        int nextCodePointBytes = Encoding.UTF8.GetByteCount(reason[kept.Length..][..(char.IsHighSurrogate(reason[kept.Length]) ? 2 : 1)]);
        Assert.True(written + nextCodePointBytes > 125);
    }

    [Fact]
    [Trait("Rfc", "6455-5.5-control-length-sent")]
    public void Write_replaces_a_lone_surrogate_so_the_reason_stays_utf8()
    {
        var buffer = new byte[125];

        int written = ClosePayload.Write(buffer, CloseCode.NormalClosure, "a\uD800b");

        Assert.Equal(Frames.CloseBody(1000, "a\uFFFDb"u8), buffer[..written]);
    }

    [Fact]
    [Trait("Rfc", "6455-5.5-control-length-sent")]
    public void Emoji_heavy_200_char_reason_fits_a_control_frame()
    {
        string reason = string.Concat(Enumerable.Repeat("🔥x", 100)); // 200 code points, 300 UTF-16 chars, 500 bytes
        var buffer = new byte[125];

        int written = ClosePayload.Write(buffer, CloseCode.PolicyViolation, reason);

        Assert.True(written <= 125);
        Assert.Equal(ProtocolError.None, ClosePayload.Parse(buffer.AsSpan(0, written), out ushort code, out string parsed));
        Assert.Equal(CloseCode.PolicyViolation, code);
        Assert.StartsWith(parsed, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Written_close_frame_is_accepted_by_a_receiver()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteClose(writer, CloseCode.GoingAway, string.Concat(Enumerable.Repeat("👋", 60)));
        Assert.True(writer.WrittenCount <= 2 + 125);

        using var receiver = new WebSocketReceiver(new ReceiverOptions { RequireMaskedFrames = false });
        ReceiveResult result = receiver.ReceiveOnce(writer.WrittenSpan.ToArray());

        Assert.Equal(ReceiveStatus.Close, result.Status);
        Assert.Equal(CloseCode.GoingAway, result.CloseCode);
        Assert.Equal(string.Concat(Enumerable.Repeat("👋", 30)), result.CloseReason);
    }
}
