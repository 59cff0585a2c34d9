using System.Buffers;
using System.Reflection;
using System.Text;
using RawSocketChat.Protocol;

namespace RawSocketChat.Tests.Protocol;

public class WebSocketReceiverTests
{
    private static readonly byte[] Hello = "Hello"u8.ToArray();

    private static void AssertFailed(ushort closeCode, ProtocolError error, ReceiveResult result)
    {
        Assert.Equal(ReceiveStatus.Failed, result.Status);
        Assert.Equal(error, result.Error);
        Assert.Equal(closeCode, result.CloseCode);
    }

    private static ReceiveResult ReceiveFirst(params byte[][] frames)
    {
        using var receiver = new WebSocketReceiver();
        return receiver.ReceiveOnce(Frames.Concat(frames));
    }

    // ---- Single frames ----

    // RFC 6455 §5.7: "A single-frame masked text message".
    [Fact]
    [Trait("Rfc", "6455-5.4-receive-fragmented")]
    [Trait("Rfc", "6455-6.2-unmask")]
    public void Rfc_example_masked_hello_is_a_text_message()
    {
        using var receiver = new WebSocketReceiver();

        ReceiveResult result = receiver.ReceiveOnce([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);

        Assert.Equal(ReceiveStatus.Message, result.Status);
        Assert.Equal(Opcode.Text, result.Opcode);
        Assert.Equal(Hello, result.Payload.ToArray());
    }

    [Fact]
    [Trait("Rfc", "6455-6.2-type")]
    public void Binary_message_keeps_its_bytes()
    {
        byte[] payload = [0x00, 0xFF, 0xC0, 0x80];

        ReceiveResult result = ReceiveFirst(Frames.Masked(Opcode.Binary, payload));

        Assert.Equal(ReceiveStatus.Message, result.Status);
        Assert.Equal(Opcode.Binary, result.Opcode);
        Assert.Equal(payload, result.Payload.ToArray());
    }

    [Theory]
    [InlineData(Opcode.Text)]
    [InlineData(Opcode.Binary)]
    public void Zero_length_message_is_delivered(Opcode opcode)
    {
        ReceiveResult result = ReceiveFirst(Frames.Masked(opcode, []));

        Assert.Equal(ReceiveStatus.Message, result.Status);
        Assert.Equal(opcode, result.Opcode);
        Assert.True(result.Payload.IsEmpty);
    }

    [Theory]
    [Trait("Rfc", "6455-5.4-receive-fragmented")]
    [Trait("Rfc", "6455-6.2-type")]
    [InlineData(Opcode.Text)]
    [InlineData(Opcode.Binary)]
    public void Zero_length_fragmented_message_is_delivered(Opcode opcode)
    {
        using var receiver = new WebSocketReceiver();

        List<Event> events = receiver.ReceiveAll(Frames.Concat(
            Frames.Masked(opcode, [], fin: false),
            Frames.Masked(Opcode.Continuation, [], fin: false),
            Frames.Masked(Opcode.Continuation, [])));

        Assert.Equal([Event.Message(opcode, [])], events);
    }

    // §5.5.2: a ping's payload comes back so the application can echo it in a pong.
    [Fact]
    [Trait("Rfc", "6455-5.5.3-pong-data")]
    public void Ping_is_returned_with_its_payload()
    {
        ReceiveResult result = ReceiveFirst(Frames.Masked(Opcode.Ping, Hello));

        Assert.Equal(ReceiveStatus.Ping, result.Status);
        Assert.Equal(Hello, result.Payload.ToArray());
    }

    // §5.5.3: a pong needs no answer but is still reported.
    [Fact]
    [Trait("Rfc", "6455-5.5.3-unsolicited")]
    public void Pong_is_returned_as_a_pong_event()
    {
        ReceiveResult result = ReceiveFirst(Frames.Masked(Opcode.Pong, Hello));

        Assert.Equal(ReceiveStatus.Pong, result.Status);
        Assert.Equal(Opcode.Pong, result.Opcode);
        Assert.Equal(Hello, result.Payload.ToArray());
    }

    [Fact]
    [Trait("Rfc", "6455-5.5-control-length")]
    public void Control_frame_of_125_bytes_is_accepted()
    {
        byte[] payload = Enumerable.Range(0, 125).Select(i => (byte)i).ToArray();

        ReceiveResult result = ReceiveFirst(Frames.Masked(Opcode.Ping, payload));

        Assert.Equal(ReceiveStatus.Ping, result.Status);
        Assert.Equal(payload, result.Payload.ToArray());
    }

    // ---- Frame-level rules (§5.1-§5.5), each failing with 1002 ----

    // §5.1: "The server MUST close the connection upon receiving a frame that is not masked."
    [Fact]
    [Trait("Rfc", "6455-5.1-unmasked")]
    public void Unmasked_client_frame_fails_with_1002()
    {
        AssertFailed(1002, ProtocolError.UnmaskedClientFrame, ReceiveFirst(Frames.Unmasked(Opcode.Text, Hello)));
    }

    [Fact]
    public void Unmasked_frames_are_accepted_when_masking_is_not_required()
    {
        using var receiver = new WebSocketReceiver(new ReceiverOptions { RequireMaskedFrames = false });

        ReceiveResult result = receiver.ReceiveOnce(Frames.Unmasked(Opcode.Text, Hello));

        Assert.Equal(ReceiveStatus.Message, result.Status);
        Assert.Equal(Hello, result.Payload.ToArray());
    }

    // §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated" — none is.
    [Theory]
    [Trait("Rfc", "6455-5.2-rsv")]
    [InlineData(FrameHeader.Rsv1)]
    [InlineData(FrameHeader.Rsv2)]
    [InlineData(FrameHeader.Rsv3)]
    [InlineData(FrameHeader.Rsv1 | FrameHeader.Rsv2 | FrameHeader.Rsv3)]
    public void Reserved_bit_set_fails_with_1002(byte rsv)
    {
        AssertFailed(1002, ProtocolError.ReservedBitsSet, ReceiveFirst(Frames.Masked(Opcode.Text, Hello, rsv: rsv)));
        AssertFailed(1002, ProtocolError.ReservedBitsSet, ReceiveFirst(Frames.Masked(Opcode.Ping, Hello, rsv: rsv)));
    }

    // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_."
    [Theory]
    [Trait("Rfc", "6455-5.2-opcode")]
    [InlineData(0x3)]
    [InlineData(0x4)]
    [InlineData(0x5)]
    [InlineData(0x6)]
    [InlineData(0x7)]
    [InlineData(0xB)]
    [InlineData(0xC)]
    [InlineData(0xD)]
    [InlineData(0xE)]
    [InlineData(0xF)]
    public void Reserved_opcode_fails_with_1002(int opcode)
    {
        AssertFailed(1002, ProtocolError.ReservedOpcode, ReceiveFirst(Frames.Masked((Opcode)opcode, [])));
    }

    // §5.5: "All control frames MUST have a payload length of 125 bytes or less."
    [Theory]
    [Trait("Rfc", "6455-5.5-control-length")]
    [InlineData(Opcode.Ping)]
    [InlineData(Opcode.Pong)]
    [InlineData(Opcode.Close)]
    public void Control_frame_of_126_bytes_fails_with_1002(Opcode opcode)
    {
        AssertFailed(1002, ProtocolError.ControlFrameTooLong, ReceiveFirst(Frames.Masked(opcode, new byte[126])));
    }

    // §5.5: control frames "MUST NOT be fragmented".
    [Theory]
    [Trait("Rfc", "6455-5.5-control-fragmented")]
    [InlineData(Opcode.Ping)]
    [InlineData(Opcode.Pong)]
    [InlineData(Opcode.Close)]
    public void Fragmented_control_frame_fails_with_1002(Opcode opcode)
    {
        AssertFailed(1002, ProtocolError.FragmentedControlFrame, ReceiveFirst(Frames.Masked(opcode, Hello, fin: false)));
    }

    // §5.4: a continuation frame only continues a message that was started.
    [Fact]
    [Trait("Rfc", "6455-6.2-new-message")]
    public void Continuation_without_a_message_in_progress_fails_with_1002()
    {
        AssertFailed(1002, ProtocolError.UnexpectedContinuation, ReceiveFirst(Frames.Masked(Opcode.Continuation, Hello)));
    }

    [Fact]
    [Trait("Rfc", "6455-6.2-new-message")]
    public void Continuation_after_a_finished_message_fails_with_1002()
    {
        using var receiver = new WebSocketReceiver();

        List<Event> events = receiver.ReceiveAll(Frames.Concat(
            Frames.Masked(Opcode.Text, "done"),
            Frames.Masked(Opcode.Continuation, "more")));

        Assert.Equal([Event.Message(Opcode.Text, "done"u8.ToArray()), new Event(ReceiveStatus.Failed, default, [], 1002)], events);
    }

    // §5.4: fragments of one message are not interleaved with another data message.
    [Theory]
    [Trait("Rfc", "6455-5.4-no-interleave")]
    [InlineData(Opcode.Text, Opcode.Text)]
    [InlineData(Opcode.Text, Opcode.Binary)]
    [InlineData(Opcode.Binary, Opcode.Text)]
    [InlineData(Opcode.Binary, Opcode.Binary)]
    public void New_data_frame_inside_a_fragmented_message_fails_with_1002(Opcode first, Opcode second)
    {
        using var receiver = new WebSocketReceiver();

        ReceiveResult result = receiver.ReceiveOnce(Frames.Concat(
            Frames.Masked(first, "Hel"u8, fin: false),
            Frames.Masked(second, "lo"u8)));

        AssertFailed(1002, ProtocolError.ExpectedContinuation, result);
    }

    [Fact]
    [Trait("Rfc", "6455-5.2-length-msb")]
    public void Header_with_high_bit_in_length_fails_with_1002()
    {
        byte[] header = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4];

        AssertFailed(1002, ProtocolError.LengthHighBitSet, ReceiveFirst(header));
    }

    [Fact]
    [Trait("Rfc", "6455-5.2-length-minimal")]
    public void Header_with_non_minimal_length_fails_with_1002()
    {
        byte[] header = [0x82, 0xFE, 0x00, 0x05, 1, 2, 3, 4, 10, 20, 30, 40, 50];

        AssertFailed(1002, ProtocolError.NonMinimalLength, ReceiveFirst(header));
    }

    /// <summary>
    /// A bad header cut into single bytes: the receiver keeps the first bytes, and fails with the same close code
    /// once the whole header is in (FrameHeader.TryParse decides on complete headers) — through the span overload
    /// and through the sequence one.
    /// </summary>
    [Theory]
    [Trait("Rfc", "6455-5.2-length-msb")]
    [InlineData(new byte[] { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 }, ProtocolError.LengthHighBitSet, 14)]
    [InlineData(new byte[] { 0x82, 0xFE, 0x00, 0x05, 1, 2, 3, 4, 10, 20, 30, 40, 50 }, ProtocolError.NonMinimalLength, 8)]
    public void Bad_header_arriving_byte_by_byte_fails_once_it_is_whole(byte[] header, ProtocolError error, int decidedAt)
    {
        using var bySpan = new WebSocketReceiver();
        using var bySequence = new WebSocketReceiver();
        for (int i = 0; i < header.Length; i++)
        {
            ReceiveResult spanResult = bySpan.Receive(header.AsSpan(i, 1), out int consumed);
            var input = new ReadOnlySequence<byte>(header, i, 1);
            ReceiveResult sequenceResult = bySequence.Receive(ref input);
            if (i + 1 < decidedAt)
            {
                Assert.Equal(ReceiveStatus.NeedMoreData, spanResult.Status);
                Assert.Equal(1, consumed);
                Assert.Equal(ReceiveStatus.NeedMoreData, sequenceResult.Status);
                Assert.Equal(0, input.Length);
                continue;
            }
            AssertFailed(1002, error, spanResult);
            AssertFailed(1002, error, sequenceResult);
            return;
        }
        Assert.Fail("the header was never refused");
    }

    // ---- Fragmentation (§5.4) ----

    // RFC 6455 §5.7: "A fragmented unmasked text message" — "Hel" then "lo" (masked here, as a client sends it).
    [Fact]
    [Trait("Rfc", "6455-5.4-receive-fragmented")]
    [Trait("Rfc", "6455-6.2-type")]
    public void Fragmented_message_is_reassembled()
    {
        using var receiver = new WebSocketReceiver();

        List<Event> events = receiver.ReceiveAll(Frames.Concat(
            Frames.Masked(Opcode.Text, "Hel"u8, fin: false),
            Frames.Masked(Opcode.Continuation, "lo"u8)));

        Assert.Equal([Event.Message(Opcode.Text, Hello)], events);
        Assert.False(receiver.IsMessageInProgress);
    }

    [Fact]
    [Trait("Rfc", "6455-5.4-order")]
    public void Fragments_of_different_sizes_are_reassembled_in_order()
    {
        byte[] message = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray();
        using var receiver = new WebSocketReceiver();

        List<Event> events = receiver.ReceiveAll(Frames.Concat(
            Frames.Masked(Opcode.Binary, message.AsSpan(0, 1), fin: false, maskKey: 1),
            Frames.Masked(Opcode.Continuation, message.AsSpan(1, 200), fin: false, maskKey: 2),
            Frames.Masked(Opcode.Continuation, message.AsSpan(201, 0), fin: false, maskKey: 3),
            Frames.Masked(Opcode.Continuation, message.AsSpan(201), fin: true, maskKey: 4)));

        Assert.Equal([Event.Message(Opcode.Binary, message)], events);
    }

    // §5.4: "Control frames MAY be injected in the middle of a fragmented message." Fleck once lost the partial
    // message when a ping arrived between fragments; here the ping is answered and the message still completes.
    [Fact]
    [Trait("Rfc", "6455-5.4-control-mid-message")]
    public void Ping_between_fragments_is_answered_and_message_still_reassembles()
    {
        using var receiver = new WebSocketReceiver();
        var input = new ReadOnlySequence<byte>(Frames.Concat(
            Frames.Masked(Opcode.Text, "Hel"u8, fin: false),
            Frames.Masked(Opcode.Ping, "are you there?"u8),
            Frames.Masked(Opcode.Continuation, "lo"u8)));

        ReceiveResult ping = receiver.Receive(ref input);
        Assert.Equal(ReceiveStatus.Ping, ping.Status);
        Assert.Equal("are you there?"u8.ToArray(), ping.Payload.ToArray());
        Assert.True(receiver.IsMessageInProgress);

        ReceiveResult message = receiver.Receive(ref input);
        Assert.Equal(ReceiveStatus.Message, message.Status);
        Assert.Equal(Opcode.Text, message.Opcode);
        Assert.Equal(Hello, message.Payload.ToArray());
        Assert.Equal(0, input.Length);
    }

    [Fact]
    [Trait("Rfc", "6455-5.4-control-mid-message")]
    public void Pong_and_ping_between_fragments_arrive_in_order()
    {
        using var receiver = new WebSocketReceiver();

        List<Event> events = receiver.ReceiveAll(Frames.Concat(
            Frames.Masked(Opcode.Binary, [1], fin: false),
            Frames.Masked(Opcode.Pong, [9]),
            Frames.Masked(Opcode.Continuation, [2], fin: false),
            Frames.Masked(Opcode.Ping, []),
            Frames.Masked(Opcode.Continuation, [3])));

        Assert.Equal([Event.Pong([9]), Event.Ping([]), Event.Message(Opcode.Binary, [1, 2, 3])], events);
    }

    // ---- Message size limit (1009, §7.4.1) ----

    [Fact]
    [Trait("Rfc", "6455-10.4-frame-limit")]
    public void Message_at_the_limit_is_accepted()
    {
        using var receiver = new WebSocketReceiver(new ReceiverOptions { MaxMessageBytes = 100 });

        List<Event> events = receiver.ReceiveAll(Frames.Concat(
            Frames.Masked(Opcode.Binary, new byte[60], fin: false),
            Frames.Masked(Opcode.Continuation, new byte[40])));

        Assert.Equal([Event.Message(Opcode.Binary, new byte[100])], events);
    }

    [Fact]
    [Trait("Rfc", "6455-10.4-frame-limit")]
    public void Single_frame_over_the_limit_fails_with_1009()
    {
        using var receiver = new WebSocketReceiver(new ReceiverOptions { MaxMessageBytes = 100 });

        AssertFailed(1009, ProtocolError.MessageTooBig, receiver.ReceiveOnce(Frames.Masked(Opcode.Binary, new byte[101])));
    }

    // The limit applies to the whole message and is decided from the continuation's declared length,
    // before any of its payload arrives.
    [Fact]
    [Trait("Rfc", "6455-10.4-frame-limit")]
    public void Fragments_summing_over_the_limit_fail_with_1009_from_the_header_alone()
    {
        using var receiver = new WebSocketReceiver(new ReceiverOptions { MaxMessageBytes = 100 });

        ReceiveResult result = receiver.ReceiveOnce(Frames.Concat(
            Frames.Masked(Opcode.Text, new byte[60], fin: false),
            Frames.HeaderOnly(Opcode.Continuation, 41)));

        AssertFailed(1009, ProtocolError.MessageTooBig, result);
    }

    [Fact]
    [Trait("Rfc", "6455-10.4-protect")]
    public void Frame_claiming_2_pow_62_bytes_fails_with_1009_without_allocating()
    {
        byte[] header = Frames.HeaderOnly(Opcode.Binary, 1L << 62);
        // Warm up, so the measured call pays no one-time costs.
        using (var warmUp = new WebSocketReceiver())
            AssertFailed(1009, ProtocolError.MessageTooBig, warmUp.ReceiveOnce(header));

        using var receiver = new WebSocketReceiver();
        var input = new ReadOnlySequence<byte>(header);

        long before = GC.GetAllocatedBytesForCurrentThread();
        ReceiveResult result = receiver.Receive(ref input);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        AssertFailed(1009, ProtocolError.MessageTooBig, result);
        Assert.True(allocated < 1024, $"allocated {allocated} bytes");
    }

    // §10.4: a declared length is only a promise. What the receiver holds follows what has arrived, so a header that
    // claims a megabyte and then goes silent costs 4 KiB (the fuzz target `frames` checks this bound on any input).
    [Fact]
    [Trait("Rfc", "6455-10.4-protect")]
    public void A_header_that_declares_a_megabyte_holds_only_what_arrived()
    {
        using var receiver = new WebSocketReceiver(new ReceiverOptions { MaxMessageBytes = 1024 * 1024 });
        byte[] frame = Frames.Masked(Opcode.Binary, new byte[1024 * 1024]);

        // The 14-byte header and the first 100 payload bytes, then nothing.
        Assert.Equal(ReceiveStatus.NeedMoreData, receiver.ReceiveOnce(frame[..(14 + 100)]).Status);

        FieldInfo? field = typeof(WebSocketReceiver).GetField("_messageBuffer", BindingFlags.NonPublic | BindingFlags.Instance);
        Assert.NotNull(field); // renamed? then update this test, not the bound
        var buffer = (byte[]?)field.GetValue(receiver);
        Assert.NotNull(buffer);
        Assert.True(buffer.Length <= 4096, $"holding {buffer.Length} bytes for the 100 that arrived");
    }

    // ---- UTF-8 (§8.1 → 1007) ----

    [Fact]
    [Trait("Rfc", "6455-8.1-utf8")]
    public void Invalid_utf8_in_a_single_frame_fails_with_1007()
    {
        AssertFailed(1007, ProtocolError.InvalidUtf8, ReceiveFirst(Frames.Masked(Opcode.Text, [0x48, 0xC0, 0x80, 0x49])));
    }

    [Fact]
    [Trait("Rfc", "6455-8.1-utf8")]
    public void Binary_message_is_not_checked_for_utf8()
    {
        Assert.Equal(ReceiveStatus.Message, ReceiveFirst(Frames.Masked(Opcode.Binary, [0xC0, 0x80, 0xFF])).Status);
    }

    // Autobahn 6.4.x: fail at the first bad byte, not when the message ends. Only the first fragment is given,
    // so the receiver cannot wait for the rest.
    [Theory]
    [Trait("Rfc", "6455-8.1-utf8")]
    [InlineData(new byte[] { 0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xF4, 0x90, 0x80, 0x80 })] // κό then U+110000
    [InlineData(new byte[] { 0x41, 0xF5 })]
    [InlineData(new byte[] { 0x41, 0xED, 0xA0 })]
    public void Invalid_utf8_in_an_unfinished_fragmented_message_fails_immediately(byte[] fragment)
    {
        using var receiver = new WebSocketReceiver();

        ReceiveResult result = receiver.ReceiveOnce(Frames.Masked(Opcode.Text, fragment, fin: false));

        AssertFailed(1007, ProtocolError.InvalidUtf8, result);
    }

    [Fact]
    [Trait("Rfc", "6455-8.1-utf8")]
    public void Invalid_utf8_in_a_continuation_fails_immediately()
    {
        using var receiver = new WebSocketReceiver();
        Assert.Equal(ReceiveStatus.NeedMoreData, receiver.ReceiveOnce(Frames.Masked(Opcode.Text, "ok"u8, fin: false)).Status);

        ReceiveResult result = receiver.ReceiveOnce(Frames.Masked(Opcode.Continuation, [0x80], fin: false));

        AssertFailed(1007, ProtocolError.InvalidUtf8, result);
    }

    [Fact]
    [Trait("Rfc", "6455-8.1-utf8")]
    public void Invalid_utf8_fails_while_the_frame_payload_is_still_arriving()
    {
        using var receiver = new WebSocketReceiver();
        byte[] frame = Frames.Masked(Opcode.Text, [0x41, 0xFF, 0x41, 0x41, 0x41]);

        // Header and the first two payload bytes only: 0xFF is already known to be invalid.
        ReceiveResult result = receiver.ReceiveOnce(frame[..(6 + 2)]);

        AssertFailed(1007, ProtocolError.InvalidUtf8, result);
    }

    // §8.1: a text message may not end inside a code point, even if each fragment was fine so far.
    [Fact]
    [Trait("Rfc", "6455-8.1-utf8-end")]
    public void Code_point_cut_at_the_end_of_a_message_fails_with_1007()
    {
        using var receiver = new WebSocketReceiver();

        ReceiveResult result = receiver.ReceiveOnce(Frames.Concat(
            Frames.Masked(Opcode.Text, [0x41, 0xF0, 0x9F], fin: false),
            Frames.Masked(Opcode.Continuation, [0x98])));

        AssertFailed(1007, ProtocolError.InvalidUtf8, result);
    }

    [Fact]
    [Trait("Rfc", "6455-8.1-utf8-end")]
    public void Valid_multibyte_text_split_across_fragments_at_every_position_is_accepted()
    {
        byte[] text = Encoding.UTF8.GetBytes("aé€😀中\U0010FFFFz");

        for (int a = 0; a <= text.Length; a++)
        for (int b = a; b <= text.Length; b++)
        {
            using var receiver = new WebSocketReceiver();

            List<Event> events = receiver.ReceiveAll(Frames.Concat(
                Frames.Masked(Opcode.Text, text.AsSpan(0, a), fin: false),
                Frames.Masked(Opcode.Continuation, text.AsSpan(a, b - a), fin: false),
                Frames.Masked(Opcode.Continuation, text.AsSpan(b))));

            Assert.Equal([Event.Message(Opcode.Text, text)], events);
        }
    }

    // ---- Close (§5.5.1) ----

    [Fact]
    [Trait("Rfc", "6455-5.5.1-body")]
    public void Close_without_a_body_reports_1005()
    {
        ReceiveResult result = ReceiveFirst(Frames.Masked(Opcode.Close, []));

        Assert.Equal(ReceiveStatus.Close, result.Status);
        Assert.Equal(CloseCode.NoStatusReceived, result.CloseCode);
        Assert.Equal("", result.CloseReason);
    }

    [Fact]
    public void Close_with_code_and_reason_reports_both()
    {
        ReceiveResult result = ReceiveFirst(Frames.Masked(Opcode.Close, Frames.CloseBody(1001, "gone 👋"u8)));

        Assert.Equal(ReceiveStatus.Close, result.Status);
        Assert.Equal(1001, result.CloseCode);
        Assert.Equal("gone 👋", result.CloseReason);
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.1-code-length")]
    public void Close_with_a_one_byte_body_fails_with_1002()
    {
        AssertFailed(1002, ProtocolError.InvalidClosePayloadLength, ReceiveFirst(Frames.Masked(Opcode.Close, [0x03])));
    }

    [Theory]
    [Trait("Rfc", "6455-5.5.1-code-valid")]
    [MemberData(nameof(CloseCodes.MayNotBeSent), MemberType = typeof(CloseCodes))]
    public void Close_with_a_code_that_may_not_be_sent_fails_with_1002(int code)
    {
        AssertFailed(1002, ProtocolError.InvalidCloseCode, ReceiveFirst(Frames.Masked(Opcode.Close, Frames.CloseBody((ushort)code))));
    }

    [Theory]
    [Trait("Rfc", "6455-5.5.1-code-valid")]
    [MemberData(nameof(CloseCodes.MayBeSent), MemberType = typeof(CloseCodes))]
    public void Close_with_a_valid_code_is_accepted(int code)
    {
        ReceiveResult result = ReceiveFirst(Frames.Masked(Opcode.Close, Frames.CloseBody((ushort)code)));

        Assert.Equal(ReceiveStatus.Close, result.Status);
        Assert.Equal(code, result.CloseCode);
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.1-reason")]
    public void Close_reason_that_is_not_utf8_fails_with_1007()
    {
        AssertFailed(1007, ProtocolError.InvalidUtf8, ReceiveFirst(Frames.Masked(Opcode.Close, Frames.CloseBody(1000, [0x41, 0xFF]))));
    }

    [Fact]
    [Trait("Rfc", "6455-5.4-control-mid-message")]
    public void Close_between_fragments_is_accepted()
    {
        using var receiver = new WebSocketReceiver();

        List<Event> events = receiver.ReceiveAll(Frames.Concat(
            Frames.Masked(Opcode.Text, "Hel"u8, fin: false),
            Frames.Masked(Opcode.Close, Frames.CloseBody(1000))));

        Assert.Equal([Event.Close(1000)], events);
    }

    // §5.5.1: after sending a Close frame, an endpoint "MUST NOT send any more data frames" — so anything after it is
    // left alone rather than parsed.
    [Fact]
    [Trait("Rfc", "6455-7.1.7-stop-processing")]
    public void Nothing_after_a_close_frame_is_processed()
    {
        using var receiver = new WebSocketReceiver();
        byte[] after = Frames.Concat(Frames.Masked(Opcode.Text, "late"u8), Frames.Masked(Opcode.Ping, []), [0xFF, 0xFF]);
        var input = new ReadOnlySequence<byte>(Frames.Concat(Frames.Masked(Opcode.Close, Frames.CloseBody(1000)), after));

        Assert.Equal(ReceiveStatus.Close, receiver.Receive(ref input).Status);
        Assert.Equal(after.Length, input.Length);

        Assert.Equal(ReceiveStatus.NeedMoreData, receiver.Receive(ref input).Status);
        Assert.Equal(after, input.ToArray());

        var more = new ReadOnlySequence<byte>(Frames.Masked(Opcode.Text, "later"u8));
        Assert.Equal(ReceiveStatus.NeedMoreData, receiver.Receive(ref more).Status);
        Assert.Equal(ReceiveStatus.NeedMoreData, receiver.Receive(ref more).Status);
    }

    [Fact]
    [Trait("Rfc", "6455-5.1-unmasked")]
    [Trait("Rfc", "6455-7.1.7-stop-processing")]
    public void Nothing_after_a_failure_is_processed()
    {
        using var receiver = new WebSocketReceiver();
        var input = new ReadOnlySequence<byte>(Frames.Concat(Frames.Unmasked(Opcode.Text, Hello), Frames.Masked(Opcode.Text, Hello)));

        Assert.Equal(ReceiveStatus.Failed, receiver.Receive(ref input).Status);
        Assert.Equal(ReceiveStatus.NeedMoreData, receiver.Receive(ref input).Status);
    }

    // ---- The Receive contract ----

    [Fact]
    [Trait("Rfc", "6455-6.2-parse")]
    public void Partial_header_is_kept_by_the_receiver_until_the_rest_arrives()
    {
        using var receiver = new WebSocketReceiver();
        byte[] frame = Frames.Masked(Opcode.Text, Hello);
        var input = new ReadOnlySequence<byte>(frame[..4]);

        Assert.Equal(ReceiveStatus.NeedMoreData, receiver.Receive(ref input).Status);
        Assert.Equal(0, input.Length); // consumed: the caller need not keep the 4 bytes

        input = new ReadOnlySequence<byte>(frame[4..]);
        ReceiveResult result = receiver.Receive(ref input);
        Assert.Equal(ReceiveStatus.Message, result.Status);
        Assert.Equal(Hello, result.Payload.ToArray());
    }

    [Fact]
    public void Releasing_buffers_between_reads_keeps_a_fragmented_message_in_progress()
    {
        using var receiver = new WebSocketReceiver();
        byte[] first = Frames.Masked(Opcode.Text, "Hello, "u8, fin: false);
        byte[] last = Frames.Masked(Opcode.Continuation, "world"u8);

        Assert.Empty(receiver.ReceiveAll(first));
        receiver.ReleaseBuffers(); // the transport, about to wait for the next read
        List<Event> events = receiver.ReceiveAll(last);

        Assert.Equal([Event.Message(Opcode.Text, "Hello, world"u8.ToArray())], events);
        receiver.ReleaseBuffers();
        Assert.Equal([Event.Message(Opcode.Text, "again"u8.ToArray())], receiver.ReceiveAll(Frames.Masked(Opcode.Text, "again"u8)));
    }

    [Fact]
    [Trait("Rfc", "6455-6.2-parse")]
    public void Payload_arriving_one_byte_at_a_time_is_consumed_as_it_comes()
    {
        using var receiver = new WebSocketReceiver();
        byte[] frame = Frames.Masked(Opcode.Text, "Hello, world"u8);
        var input = new ReadOnlySequence<byte>(frame[..6]); // the whole header
        Assert.Equal(ReceiveStatus.NeedMoreData, receiver.Receive(ref input).Status);
        Assert.Equal(0, input.Length);

        for (int i = 6; i < frame.Length - 1; i++)
        {
            input = new ReadOnlySequence<byte>(frame, i, 1);
            Assert.Equal(ReceiveStatus.NeedMoreData, receiver.Receive(ref input).Status);
            Assert.Equal(0, input.Length);
        }

        input = new ReadOnlySequence<byte>(frame, frame.Length - 1, 1);
        ReceiveResult result = receiver.Receive(ref input);
        Assert.Equal(ReceiveStatus.Message, result.Status);
        Assert.Equal("Hello, world"u8.ToArray(), result.Payload.ToArray());
    }

    [Fact]
    public void One_event_per_call_with_the_rest_left_in_the_input()
    {
        using var receiver = new WebSocketReceiver();
        byte[] second = Frames.Masked(Opcode.Binary, [1, 2, 3]);
        var input = new ReadOnlySequence<byte>(Frames.Concat(Frames.Masked(Opcode.Text, Hello), second));

        Assert.Equal(ReceiveStatus.Message, receiver.Receive(ref input).Status);
        Assert.Equal(second, input.ToArray());

        ReceiveResult result = receiver.Receive(ref input);
        Assert.Equal(Opcode.Binary, result.Opcode);
        Assert.Equal(0, input.Length);
        Assert.Equal(ReceiveStatus.NeedMoreData, receiver.Receive(ref input).Status);
    }

    [Fact]
    public void Receiver_can_be_reused_for_many_messages()
    {
        using var receiver = new WebSocketReceiver();

        for (int i = 0; i < 50; i++)
        {
            byte[] payload = Encoding.UTF8.GetBytes(new string('x', i * 37));
            ReceiveResult result = receiver.ReceiveOnce(Frames.Masked(Opcode.Text, payload));
            Assert.Equal(ReceiveStatus.Message, result.Status);
            Assert.Equal(payload, result.Payload.ToArray());
        }
    }

    // ---- A failure carries its numbers, and its close reason quotes them ----

    [Fact]
    [Trait("Rfc", "6455-7.4-reason")]
    public void Message_over_the_limit_says_its_declared_length_and_the_limit()
    {
        using var receiver = new WebSocketReceiver(); // 1 MiB

        ReceiveResult result = receiver.ReceiveOnce(Frames.HeaderOnly(Opcode.Binary, 2_000_000));

        AssertFailed(1009, ProtocolError.MessageTooBig, result);
        Assert.Equal(2_000_000, result.ErrorValue);
        Assert.Equal(1_048_576, result.ErrorLimit);
        Assert.Equal("message of 2,000,000 bytes is over the limit of 1,048,576", result.CloseReason);
    }

    [Fact]
    public void Fragmented_message_over_the_limit_counts_the_fragments_before_the_frame_that_passes_it()
    {
        using var receiver = new WebSocketReceiver(new ReceiverOptions { MaxMessageBytes = 100 });

        ReceiveResult result = receiver.ReceiveOnce(Frames.Concat(
            Frames.Masked(Opcode.Text, new byte[60], fin: false),
            Frames.HeaderOnly(Opcode.Continuation, 41)));

        Assert.Equal(101, result.ErrorValue);
        Assert.Equal("message of 101 bytes is over the limit of 100", result.CloseReason);
    }

    [Fact]
    public void A_declared_length_past_long_MaxValue_is_reported_as_long_MaxValue()
    {
        using var receiver = new WebSocketReceiver(new ReceiverOptions { MaxMessageBytes = 100 });

        ReceiveResult result = receiver.ReceiveOnce(Frames.Concat(
            Frames.Masked(Opcode.Binary, new byte[60], fin: false),
            Frames.HeaderOnly(Opcode.Continuation, long.MaxValue)));

        AssertFailed(1009, ProtocolError.MessageTooBig, result);
        Assert.Equal(long.MaxValue, result.ErrorValue);
        Assert.Equal("message of 9,223,372,036,854,775,807 bytes is over the limit of 100", result.CloseReason);
        Assert.True(Encoding.UTF8.GetByteCount(result.CloseReason!) <= ClosePayload.MaxReasonBytes);
    }

    [Fact]
    public void Control_frame_over_125_bytes_says_its_length()
    {
        ReceiveResult result = ReceiveFirst(Frames.Masked(Opcode.Ping, new byte[126]));

        AssertFailed(1002, ProtocolError.ControlFrameTooLong, result);
        Assert.Equal(126, result.ErrorValue);
        Assert.Equal(FrameHeader.MaxControlPayloadLength, result.ErrorLimit);
        Assert.Equal("control frame of 126 bytes is over the limit of 125", result.CloseReason);
    }

    [Fact]
    public void Reserved_opcode_and_invalid_close_code_are_named_in_the_reason()
    {
        ReceiveResult opcode = ReceiveFirst(Frames.Masked((Opcode)0xB, []));
        ReceiveResult close = ReceiveFirst(Frames.Masked(Opcode.Close, Frames.CloseBody(1005)));

        Assert.Equal("reserved opcode 0xB", opcode.CloseReason);
        Assert.Equal(0xB, opcode.ErrorValue);
        Assert.Equal("invalid close code 1005", close.CloseReason);
        Assert.Equal(1005, close.ErrorValue);
    }

    [Fact]
    public void A_failure_without_numbers_keeps_its_plain_reason()
    {
        ReceiveResult result = ReceiveFirst(Frames.Unmasked(Opcode.Text, Hello));

        AssertFailed(1002, ProtocolError.UnmaskedClientFrame, result);
        Assert.Equal(0, result.ErrorValue);
        Assert.Equal(0, result.ErrorLimit);
        Assert.Equal("client frame not masked", result.CloseReason);
    }

    [Theory]
    [Trait("Rfc", "6455-5.1-unmasked-1002")]
    [Trait("Rfc", "6455-7.4-reason")]
    [Trait("Rfc", "6455-7.4.1-codes")]
    [InlineData(ProtocolError.UnmaskedClientFrame, 1002)]
    [InlineData(ProtocolError.ReservedBitsSet, 1002)]
    [InlineData(ProtocolError.ReservedOpcode, 1002)]
    [InlineData(ProtocolError.ControlFrameTooLong, 1002)]
    [InlineData(ProtocolError.FragmentedControlFrame, 1002)]
    [InlineData(ProtocolError.UnexpectedContinuation, 1002)]
    [InlineData(ProtocolError.ExpectedContinuation, 1002)]
    [InlineData(ProtocolError.LengthHighBitSet, 1002)]
    [InlineData(ProtocolError.NonMinimalLength, 1002)]
    [InlineData(ProtocolError.InvalidClosePayloadLength, 1002)]
    [InlineData(ProtocolError.InvalidCloseCode, 1002)]
    [InlineData(ProtocolError.InvalidUtf8, 1007)]
    [InlineData(ProtocolError.MessageTooBig, 1009)]
    public void Every_protocol_error_maps_to_its_close_code(ProtocolError error, int closeCode)
    {
        Assert.Equal(closeCode, error.ToCloseCode());
        Assert.NotEqual("none", error.Describe());
    }
}
