using System.Text;
using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Transport;

/// <summary>
/// Data framing (RFC 6455 §5) against the real server's <c>/echo</c>: what comes back for good frames, and that every
/// protocol violation fails the connection the way §7.1.7 says: a Close frame with the right code, then TCP closed.
/// </summary>
public sealed class FramingWireTests
{
    [Fact]
    [Trait("Rfc", "6455-5.1-server-unmasked")]
    [Trait("Rfc", "6455-5.2-rsv-sent")]
    [Trait("Rfc", "6455-6.1-fragment")]
    [Trait("Rfc", "6455-6.1-fin")]
    public async Task Text_message_is_echoed_as_one_unmasked_text_frame()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        await client.SendTextAsync("hello, wire");
        ServerFrame echo = await client.ReadFrameAsync();

        Assert.Equal(Opcode.Text, echo.Opcode);
        Assert.True(echo.Fin);
        Assert.Equal(0, echo.Rsv);
        // RFC 6455 §5.1: "A server MUST NOT mask any frames that it sends to the client."
        Assert.False(echo.Masked);
        Assert.Equal("hello, wire", echo.Text);
    }

    [Fact]
    [Trait("Rfc", "6455-6.1-opcode")]
    public async Task Binary_message_is_echoed_byte_for_byte()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);
        byte[] data = [0x00, 0xFF, 0x80, 0x7F, 0xC0, 0xAF]; // not UTF-8, and it need not be

        await client.SendFrameAsync(Opcode.Binary, data);
        ServerFrame echo = await client.ReadFrameAsync();

        Assert.Equal(Opcode.Binary, echo.Opcode);
        Assert.Equal(data, echo.Payload);
    }

    [Theory]
    [Trait("Rfc", "6455-6.1-opcode")]
    [InlineData(Opcode.Text)]
    [InlineData(Opcode.Binary)]
    public async Task Empty_message_is_echoed_as_an_empty_frame(Opcode opcode)
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        await client.SendFrameAsync(opcode, []);
        ServerFrame echo = await client.ReadFrameAsync();

        Assert.Equal(opcode, echo.Opcode);
        Assert.Empty(echo.Payload);
    }

    [Theory]
    [Trait("Rfc", "6455-6.1-frame")]
    [InlineData(125)]   // the largest 7-bit length
    [InlineData(126)]   // the smallest 16-bit length
    [InlineData(65535)] // the largest 16-bit length
    [InlineData(65536)] // the smallest 64-bit length
    public async Task Payloads_at_each_length_encoding_boundary_are_echoed(int length)
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);
        byte[] data = Pattern(length);

        await client.SendFrameAsync(Opcode.Binary, data);
        ServerFrame echo = await client.ReadFrameAsync();

        Assert.Equal(data, echo.Payload);
    }

    [Fact]
    [Trait("Rfc", "6455-6.2-parse")]
    public async Task A_frame_trickled_one_byte_at_a_time_is_still_one_message()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        // TCP may split the stream anywhere; the parser must resume at any byte.
        foreach (byte b in client.MaskedFrame(Opcode.Text, "trickle"u8))
            await client.SendRawAsync(new[] { b });

        Assert.Equal("trickle", (await client.ReadFrameAsync()).Text);
    }

    [Fact]
    [Trait("Rfc", "6455-5.4-control-mid-message")]
    [Trait("Rfc", "6455-5.5.2-pong-soon")]
    [Trait("Rfc", "6455-6.1-fin")]
    public async Task Fragmented_message_with_a_ping_between_fragments_is_echoed_whole_after_the_pong()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        // RFC 6455 §5.4: "Control frames MAY be injected in the middle of a fragmented message."
        await client.SendTextAsync("Hel", fin: false);
        await client.SendFrameAsync(Opcode.Ping, "mid-message"u8);
        await client.SendFrameAsync(Opcode.Continuation, "lo, "u8, fin: false);
        await client.SendFrameAsync(Opcode.Continuation, "fragments"u8, fin: true);

        // The ping is answered at once, so its Pong comes before the echo of the message it interrupted.
        ServerFrame first = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Pong, first.Opcode);
        // RFC 6455 §5.5.3: the Pong carries "exactly the same Application data" as the Ping.
        Assert.Equal("mid-message", first.Text);

        ServerFrame echo = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Text, echo.Opcode);
        Assert.True(echo.Fin);
        Assert.Equal("Hello, fragments", echo.Text);
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.2-pong")]
    [Trait("Rfc", "6455-5.5.3-pong-data")]
    public async Task Ping_is_answered_with_a_pong_of_identical_payload()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);
        byte[] payload = Pattern(125); // the largest a control frame may carry

        await client.SendFrameAsync(Opcode.Ping, payload);
        ServerFrame pong = await client.ReadFrameAsync();

        Assert.Equal(Opcode.Pong, pong.Opcode);
        Assert.Equal(payload, pong.Payload);
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.3-unsolicited")]
    public async Task Unsolicited_pong_is_ignored()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        // RFC 6455 §5.5.3: "A response to an unsolicited Pong frame is not expected."
        await client.SendFrameAsync(Opcode.Pong, "heartbeat"u8);
        await client.SendTextAsync("after pong");

        ServerFrame next = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Text, next.Opcode);
        Assert.Equal("after pong", next.Text);
    }

    /// <summary>Each case is the bytes a broken client sends after a successful handshake.</summary>
    public static TheoryData<string> ProtocolViolations =>
    [
        "unmasked frame",
        "RSV1 set",
        "RSV3 set",
        "reserved data opcode 0x3",
        "reserved control opcode 0xB",
        "ping longer than 125 bytes",
        "fragmented ping",
        "continuation without a start",
        "new text inside a fragmented message",
        "64-bit length with the high bit set",
        "16-bit length used for 5 bytes",
    ];

    private static byte[] ViolationBytes(RawClient client, string name) => name switch
    {
        // RFC 6455 §5.1: "The server MUST close the connection upon receiving a frame that is not masked."
        "unmasked frame" => [0x81, 0x02, (byte)'h', (byte)'i'],
        // RFC 6455 §5.2: RSV1-3 MUST be 0 unless an extension defines them (none is negotiated here).
        "RSV1 set" => client.MaskedFrame(Opcode.Text, "x"u8, rsv: FrameHeader.Rsv1),
        "RSV3 set" => client.MaskedFrame(Opcode.Text, "x"u8, rsv: FrameHeader.Rsv3),
        // RFC 6455 §5.2: an unknown opcode MUST fail the connection.
        "reserved data opcode 0x3" => client.MaskedFrame((Opcode)0x3, "x"u8),
        "reserved control opcode 0xB" => client.MaskedFrame((Opcode)0xB, "x"u8),
        // RFC 6455 §5.5: control frames carry at most 125 bytes and MUST NOT be fragmented.
        "ping longer than 125 bytes" => client.MaskedFrame(Opcode.Ping, new byte[126]),
        "fragmented ping" => client.MaskedFrame(Opcode.Ping, "p"u8, fin: false),
        // RFC 6455 §5.4: a continuation frame continues a message that a Text/Binary frame started...
        "continuation without a start" => client.MaskedFrame(Opcode.Continuation, "x"u8),
        // ...and fragments of one message are not interleaved with another.
        "new text inside a fragmented message" => [.. client.MaskedFrame(Opcode.Text, "a"u8, fin: false), .. client.MaskedFrame(Opcode.Text, "b"u8)],
        // RFC 6455 §5.2: "the most significant bit MUST be 0" in a 64-bit length.
        "64-bit length with the high bit set" => [0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0x10, 1, 2, 3, 4],
        // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
        "16-bit length used for 5 bytes" => [0x82, 0x80 | 126, 0, 5, 1, 2, 3, 4, 0, 0, 0, 0, 0],
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [Trait("Rfc", "6455-5.1-unmasked")]
    [Trait("Rfc", "6455-5.1-unmasked-1002")]
    [Trait("Rfc", "6455-5.2-rsv")]
    [Trait("Rfc", "6455-5.2-opcode")]
    [Trait("Rfc", "6455-5.2-length-msb")]
    [Trait("Rfc", "6455-5.2-length-minimal")]
    [Trait("Rfc", "6455-5.4-no-interleave")]
    [Trait("Rfc", "6455-5.5-control-length")]
    [Trait("Rfc", "6455-5.5-control-fragmented")]
    [Trait("Rfc", "6455-6.2-new-message")]
    [Trait("Rfc", "6455-7.1.7-close")]
    [Trait("Rfc", "6455-7.1.7-close-frame")]
    [MemberData(nameof(ProtocolViolations))]
    public async Task Each_protocol_violation_gets_close_1002_then_the_server_closes_tcp(string violation)
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        await client.SendRawAsync(ViolationBytes(client, violation));

        // RFC 6455 §7.1.7: _Fail the WebSocket Connection_ sends a Close frame (here 1002, §7.4.1) and closes TCP.
        ServerFrame close = await client.ReadFrameAsync();
        Assert.True(close.Opcode == Opcode.Close, $"{violation}: expected a Close frame, got {close}");
        Assert.Equal(CloseCode.ProtocolError, close.CloseCode);
        await client.AssertServerClosesTcpAsync();
        Assert.DoesNotContain("unexpected error", server.LogText);
    }

    [Fact]
    [Trait("Rfc", "6455-7.1.7-log")]
    public async Task A_protocol_violation_is_logged_with_the_rule_it_broke()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        await client.SendRawAsync(ViolationBytes(client, "unmasked frame"));
        await client.AssertClosedWithAsync(CloseCode.ProtocolError);

        // RFC 6455 §7.1.7: the server "SHOULD log the problem": the close line names the code and the rule.
        await Eventually.TrueAsync(() => server.LogText.Contains("code=1002 reason=\"client frame not masked\""), "the close line naming the rule");
    }

    [Fact]
    [Trait("Rfc", "6455-7.1.7-close-frame")]
    [Trait("Rfc", "6455-8.1-utf8")]
    public async Task Invalid_utf8_in_a_text_message_gets_close_1007()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        // 0xC0 0xAF is an overlong encoding of '/': never valid UTF-8 (RFC 3629 §3).
        await client.SendFrameAsync(Opcode.Text, [(byte)'o', (byte)'k', 0xC0, 0xAF]);

        // RFC 6455 §8.1: invalid UTF-8 in a text message fails the connection with 1007.
        await client.AssertClosedWithAsync(CloseCode.InvalidPayloadData);
    }

    [Fact]
    [Trait("Rfc", "6455-8.1-utf8")]
    public async Task Invalid_utf8_in_a_middle_fragment_is_refused_before_the_message_ends()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        await client.SendTextAsync("valid start ", fin: false);
        await client.SendFrameAsync(Opcode.Continuation, [0xFF], fin: false);

        // RFC 6455 §8.1 lets the server fail as soon as the bytes cannot be UTF-8: no final fragment is needed.
        await client.AssertClosedWithAsync(CloseCode.InvalidPayloadData);
    }

    [Fact]
    [Trait("Rfc", "6455-5.6-utf8-sent")]
    [Trait("Rfc", "6455-8.1-utf8-end")]
    public async Task Code_point_split_across_fragments_is_valid_utf8()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);
        byte[] euro = Encoding.UTF8.GetBytes("€"); // E2 82 AC

        await client.SendFrameAsync(Opcode.Text, euro.AsSpan(0, 1), fin: false);
        await client.SendFrameAsync(Opcode.Continuation, euro.AsSpan(1, 1), fin: false);
        await client.SendFrameAsync(Opcode.Continuation, euro.AsSpan(2, 1), fin: true);

        Assert.Equal("€", (await client.ReadFrameAsync()).Text);
    }

    [Fact]
    [Trait("Rfc", "6455-7.1.7-close-frame")]
    [Trait("Rfc", "6455-10.4-frame-limit")]
    [Trait("Rfc", "6455-7.4-reason")]
    public async Task Message_over_the_size_limit_gets_close_1009()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxMessageBytes = 1000);
        await using RawClient client = await RawClient.OpenAsync(server);

        await client.SendFrameAsync(Opcode.Binary, new byte[1000]); // exactly the limit: fine
        Assert.Equal(1000, (await client.ReadFrameAsync()).Payload.Length);

        await client.SendFrameAsync(Opcode.Binary, new byte[1001]);

        // RFC 6455 §7.4.1: 1009 "a message that is too big for it to process", and the reason says by how much.
        ServerFrame close = await client.AssertClosedWithAsync(CloseCode.MessageTooBig);
        Assert.Equal("message of 1,001 bytes is over the limit of 1,000", close.CloseReason);
    }

    [Fact]
    [Trait("Rfc", "6455-7.1.7-close")]
    [Trait("Rfc", "6455-10.4-frame-limit")]
    public async Task Fragmented_message_whose_fragments_add_up_past_the_limit_gets_close_1009()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxMessageBytes = 1000);
        await using RawClient client = await RawClient.OpenAsync(server);

        await client.SendFrameAsync(Opcode.Binary, new byte[600], fin: false);
        await client.SendFrameAsync(Opcode.Continuation, new byte[600], fin: false);

        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal(CloseCode.MessageTooBig, close.CloseCode);
        await client.AssertServerClosesTcpAsync();
    }

    [Fact]
    [Trait("Rfc", "6455-10.4-protect")]
    public async Task Frame_declaring_2_to_the_62_bytes_gets_close_1009_at_once()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        // Only the header is sent: the server must decide from the declared length, before any payload arrives.
        var header = new FrameHeader(Fin: true, 0, Opcode.Binary, Masked: true, PayloadLength: 1L << 62, MaskKey: 0x01020304);
        var bytes = new byte[header.EncodedLength];
        header.WriteTo(bytes);
        await client.SendRawAsync(bytes);

        await client.AssertClosedWithAsync(CloseCode.MessageTooBig);
    }

    [Fact]
    [Trait("Rfc", "6455-7.1.1-clean-close")]
    public async Task Oversized_message_sent_in_one_burst_gets_close_1009_and_a_clean_tcp_close_not_a_reset()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxMessageBytes = 1000);
        await using RawClient client = await RawClient.OpenAsync(server);

        // A browser sending a big message writes it all at once. The server refuses it after the header, with most
        // of the payload still unread. If it closed its socket then, the kernel would answer the unread bytes with
        // RST: our write would fail with "broken pipe", and a client that reacts to that (Node's ws does) never
        // reads the Close frame and reports 1006. The server drains instead, so the whole write goes through.
        await client.SendFrameAsync(Opcode.Binary, new byte[16 * 1024 * 1024]);

        await client.AssertClosedWithAsync(CloseCode.MessageTooBig);
        Assert.False(client.ClosedByReset, "the server reset the connection instead of closing it with FIN");
    }

    internal static byte[] Pattern(int length)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
            data[i] = (byte)(i % 251);
        return data;
    }
}
