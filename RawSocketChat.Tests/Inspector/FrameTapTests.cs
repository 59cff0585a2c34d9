using System.Buffers;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Protocol;
using RawSocketChat.Tests.Protocol;
using RawSocketChat.Transport;

namespace RawSocketChat.Tests.Inspector;

/// <summary>
/// The inspector's tap, without sockets: bytes in, reports out. Frames are reported with the fields of their header
/// and the first bytes of their payload as sent and as unmasked — the same reports however the reads cut the stream.
/// </summary>
public sealed class FrameTapTests
{
    private static (FrameTap Tap, List<JsonElement> Reports) NewTap(Func<long>? clock = null, bool compression = false)
    {
        var reports = new List<JsonElement>();
        var tap = new FrameTap(json =>
        {
            reports.Add(JsonDocument.Parse(json).RootElement.Clone());
            return true;
        }, compression, clock ?? (() => 0));
        return (tap, reports);
    }

    private static List<JsonElement> Frames(List<JsonElement> reports) => reports.Where(r => r.GetProperty("type").GetString() == "frame").ToList();

    [Fact]
    public void A_masked_client_frame_is_shown_as_sent_and_as_read_with_its_header_fields()
    {
        (FrameTap tap, List<JsonElement> reports) = NewTap();
        // RFC 6455 §5.7: a single-frame masked text message, "Hello", with the RFC's key.
        byte[] wire = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        tap.Received(new ReadOnlySequence<byte>(wire));

        JsonElement frame = Assert.Single(Frames(reports));
        Assert.Equal("in", frame.GetProperty("dir").GetString());
        Assert.True(frame.GetProperty("fin").GetBoolean());
        Assert.Equal("text", frame.GetProperty("opname").GetString());
        Assert.True(frame.GetProperty("masked").GetBoolean());
        Assert.Equal(5, frame.GetProperty("length").GetInt32());
        Assert.Equal("7-bit", frame.GetProperty("lengthForm").GetString());
        Assert.Equal("37 fa 21 3d", frame.GetProperty("maskKey").GetString());
        Assert.Equal("81 85 37 fa 21 3d", frame.GetProperty("header").GetString());
        Assert.Equal("7f 9f 4d 51 58", frame.GetProperty("wire").GetString());
        Assert.Equal("48 65 6c 6c 6f", frame.GetProperty("data").GetString());
        Assert.Equal("Hello", frame.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData(125, "7-bit")]
    [InlineData(126, "16-bit")]
    [InlineData(200, "16-bit")]
    [InlineData(65536, "64-bit")]
    public void The_length_form_follows_section_5_2_and_a_long_payload_is_shown_in_part(int length, string form)
    {
        (FrameTap tap, List<JsonElement> reports) = NewTap();
        tap.Sent(Protocol.Frames.Unmasked(Opcode.Binary, new byte[length]));
        JsonElement frame = Assert.Single(Frames(reports));
        Assert.Equal(form, frame.GetProperty("lengthForm").GetString());
        Assert.Equal(length, frame.GetProperty("length").GetInt32());
        Assert.Equal(Math.Min(length, FrameTap.PreviewBytes), frame.GetProperty("wire").GetString()!.Split(' ').Length);
        Assert.Equal(length > FrameTap.PreviewBytes, frame.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public void A_close_frame_shows_its_code_and_reason()
    {
        (FrameTap tap, List<JsonElement> reports) = NewTap();
        tap.Sent(Protocol.Frames.Unmasked(Opcode.Close, Protocol.Frames.CloseBody(1002, "reserved opcode"u8)));
        JsonElement frame = Assert.Single(Frames(reports));
        Assert.Equal(1002, frame.GetProperty("closeCode").GetInt32());
        Assert.Equal("reserved opcode", frame.GetProperty("closeReason").GetString());
    }

    [Fact]
    public void A_header_that_does_not_parse_is_reported_with_the_parsers_reason_and_ends_the_framing()
    {
        (FrameTap tap, List<JsonElement> reports) = NewTap();
        // 126 announces a 16-bit length, but 5 fits in 7 bits: §5.2 requires the minimal encoding.
        tap.Received(new ReadOnlySequence<byte>([0x81, 0xFE, 0x00, 0x05, 1, 2, 3, 4, 9, 9, 9, 9, 9]));
        tap.Received(new ReadOnlySequence<byte>(Protocol.Frames.Masked(Opcode.Text, "after")));
        JsonElement frame = Assert.Single(Frames(reports));
        Assert.Equal(nameof(ProtocolError.NonMinimalLength), frame.GetProperty("error").GetString());
    }

    [Fact]
    public void The_handshake_report_computes_the_accept_key_step_by_step()
    {
        (FrameTap tap, List<JsonElement> reports) = NewTap();
        var request = new RawSocketChat.Http.HttpRequest
        {
            Method = "GET", Target = "/echo", Path = "/echo", VersionMajor = 1, VersionMinor = 1,
            Headers = [new("Host", "x"), new("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")],
        };
        tap.Handshake(request, RawSocketChat.Http.HttpResponse.SwitchingProtocols(RawSocketChat.Http.Handshake.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="), null));
        JsonElement handshake = Assert.Single(reports);
        // The example of RFC 6455 §1.3.
        Assert.Equal("b37a4f2cc0624f1690f64606cf385945b2bec4ea", handshake.GetProperty("sha1").GetString());
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", handshake.GetProperty("accept").GetString());
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", handshake.GetProperty("response").GetString());
        Assert.StartsWith("GET /echo HTTP/1.1\r\n", handshake.GetProperty("request").GetString());
    }

    [Fact]
    public void At_most_the_budget_is_reported_each_second_and_the_rest_is_counted()
    {
        long now = 0;
        (FrameTap tap, List<JsonElement> reports) = NewTap(() => now);
        byte[] ping = Protocol.Frames.Unmasked(Opcode.Ping, "x"u8);
        for (int i = 0; i < 1000; i++)
            tap.Sent(ping);
        Assert.Equal(FrameTap.ReportsPerSecond, reports.Count);

        now = 1000;
        tap.Sent(ping);
        Assert.Equal(1000 - FrameTap.ReportsPerSecond, reports[^1].GetProperty("skippedBefore").GetInt32());
        tap.Closed(1000, "", "client"); // the end is always reported
        Assert.Equal("closed", reports[^1].GetProperty("type").GetString());
    }

    /// <summary>A stream of masked client frames of any size and where TCP cuts it: the tap reports the same frames.</summary>
    [Property(MaxTest = 200)]
    public Property The_same_frames_are_reported_however_the_stream_is_cut() =>
        Prop.ForAll(Arb.From(
            from lengths in Gen.NonEmptyListOf(Gen.Frequency((1, Gen.Elements(0, 125, 126, 300)), (4, Gen.Choose(0, 90))))
            from key in Gen.Choose(int.MinValue, int.MaxValue)
            let stream = lengths.SelectMany((n, i) => FrameWith(i, n, (uint)key)).ToArray()
            from cuts in Gen.ArrayOf(Gen.Choose(0, stream.Length))
            select (stream, cuts)),
            c =>
            {
                (FrameTap whole, List<JsonElement> expected) = NewTap();
                whole.Received(new ReadOnlySequence<byte>(c.stream));
                (FrameTap cut, List<JsonElement> actual) = NewTap();
                foreach (byte[] piece in Segments.Cut(c.stream, c.cuts))
                    cut.Received(Segments.Of(Segments.Cut(piece, [piece.Length / 2]))); // and each read in two segments
                return expected.Select(r => r.GetRawText()).SequenceEqual(actual.Select(r => r.GetRawText()));
            });

    private static byte[] FrameWith(int i, int length, uint key) =>
        Protocol.Frames.Masked(i % 3 == 0 ? Opcode.Binary : Opcode.Text, Encoding.UTF8.GetBytes(new string((char)('a' + i % 26), length)),
            fin: true, rsv: 0, maskKey: key + (uint)i);
}
