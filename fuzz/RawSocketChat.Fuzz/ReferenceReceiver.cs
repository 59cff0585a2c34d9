using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using RawSocketChat.Protocol;

namespace RawSocketChat.Fuzz;

/// <summary>
/// A deliberately naive model of RFC 6455 §5 receiving, written from the RFC rather than from
/// <see cref="WebSocketReceiver"/>: it sees the whole byte stream at once, walks it frame by frame, copies every payload
/// byte by byte and checks UTF-8 with the BCL's <see cref="Rune.DecodeFromUtf8"/>, not with our validator. The frames
/// target asserts that the real receiver, fed the same bytes cut at arbitrary points, reports exactly these events.
/// <para>
/// Where the RFC leaves a choice, the model follows what the server documents: header errors are reported once the
/// whole header (length and mask key included) has arrived, in the order of the fields in §5.2 (length encoding, RSV,
/// opcode, mask, control-frame rules, fragmentation, size); invalid UTF-8 fails at the first byte that cannot begin
/// or continue a valid sequence, even in the middle of a frame (Autobahn 6.x "fail fast").
/// </para>
/// </summary>
public static class ReferenceReceiver
{
    public static List<FrameEvent> Run(ReadOnlySpan<byte> stream, ReceiverOptions options)
    {
        var events = new List<FrameEvent>();
        bool inMessage = false;
        Opcode messageOpcode = Opcode.Continuation;
        var message = new List<byte>();
        int utf8Checked = 0; // message bytes up to the end of the last whole code point

        int pos = 0;
        while (true)
        {
            ReadOnlySpan<byte> rest = stream[pos..];
            if (rest.Length < 2)
                return events;
            bool fin = (rest[0] & 0x80) != 0;
            int rsv = (rest[0] >> 4) & 7;
            var opcode = (Opcode)(rest[0] & 0x0F);
            bool masked = (rest[1] & 0x80) != 0;
            int len7 = rest[1] & 0x7F;
            int extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
            int headerLength = 2 + extended + (masked ? 4 : 0);
            if (rest.Length < headerLength)
                return events;

            ulong length = (ulong)len7;
            if (len7 == 126)
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
                if (length < 126) return Fail(events, ProtocolError.NonMinimalLength);
            }
            else if (len7 == 127)
            {
                length = BinaryPrimitives.ReadUInt64BigEndian(rest[2..]);
                if (length >> 63 != 0) return Fail(events, ProtocolError.LengthHighBitSet);
                if (length < 65536) return Fail(events, ProtocolError.NonMinimalLength);
            }
            byte[] key = masked ? rest.Slice(2 + extended, 4).ToArray() : [0, 0, 0, 0];

            if (rsv != 0) return Fail(events, ProtocolError.ReservedBitsSet);
            if (opcode is not (Opcode.Continuation or Opcode.Text or Opcode.Binary or Opcode.Close or Opcode.Ping or Opcode.Pong))
                return Fail(events, ProtocolError.ReservedOpcode, (long)opcode);
            if (options.RequireMaskedFrames && !masked) return Fail(events, ProtocolError.UnmaskedClientFrame);

            bool control = ((int)opcode & 8) != 0;
            if (control)
            {
                if (length > 125) return Fail(events, ProtocolError.ControlFrameTooLong, (long)length, 125);
                if (!fin) return Fail(events, ProtocolError.FragmentedControlFrame);
            }
            else
            {
                if (opcode == Opcode.Continuation && !inMessage) return Fail(events, ProtocolError.UnexpectedContinuation);
                if (opcode != Opcode.Continuation)
                {
                    if (inMessage) return Fail(events, ProtocolError.ExpectedContinuation);
                    inMessage = true;
                    messageOpcode = opcode;
                    message.Clear();
                    utf8Checked = 0;
                }
                if ((long)length > options.MaxMessageBytes - message.Count) // the reason quotes the sum, capped at long.MaxValue
                    return Fail(events, ProtocolError.MessageTooBig, (long)Math.Min((ulong)message.Count + length, long.MaxValue), options.MaxMessageBytes);
            }

            pos += headerLength;
            rest = stream[pos..];
            int available = (int)Math.Min(length, (ulong)rest.Length);
            var payload = new byte[available];
            for (int i = 0; i < available; i++)
                payload[i] = (byte)(rest[i] ^ key[i % 4]);
            pos += available;

            if (!control)
            {
                message.AddRange(payload);
                if (messageOpcode == Opcode.Text && !CheckUtf8Prefix(message, ref utf8Checked))
                    return Fail(events, ProtocolError.InvalidUtf8);
            }
            if ((ulong)available < length)
                return events; // the stream ends inside this frame

            switch (opcode)
            {
                case Opcode.Ping: events.Add(FrameEvent.Ping(payload)); continue;
                case Opcode.Pong: events.Add(FrameEvent.Pong(payload)); continue;
                case Opcode.Close:
                    if (payload.Length == 0) { events.Add(FrameEvent.Close(1005, "")); return events; }
                    if (payload.Length == 1) return Fail(events, ProtocolError.InvalidClosePayloadLength);
                    ushort code = BinaryPrimitives.ReadUInt16BigEndian(payload);
                    // RFC 6455 §7.4: 1000-1003, 1007-1011 defined; 3000-4999 registered/private (the server's policy).
                    bool validCode = code is >= 1000 and <= 1003 or >= 1007 and <= 1011 or >= 3000 and <= 4999;
                    if (!validCode) return Fail(events, ProtocolError.InvalidCloseCode, code);
                    int reasonChecked = 0;
                    var reason = new List<byte>(payload[2..]);
                    if (!CheckUtf8Prefix(reason, ref reasonChecked) || reasonChecked != reason.Count)
                        return Fail(events, ProtocolError.InvalidUtf8);
                    events.Add(FrameEvent.Close(code, Encoding.UTF8.GetString(payload, 2, payload.Length - 2)));
                    return events;
            }

            if (!fin)
                continue;
            if (messageOpcode == Opcode.Text && utf8Checked != message.Count)
                return Fail(events, ProtocolError.InvalidUtf8); // the message ends inside a code point
            events.Add(FrameEvent.Message(messageOpcode, [.. message]));
            inMessage = false;
            message.Clear();
        }
    }

    private static List<FrameEvent> Fail(List<FrameEvent> events, ProtocolError error, long value = 0, long limit = 0)
    {
        events.Add(FrameEvent.Fail(error, value, limit));
        return events;
    }

    /// <summary>
    /// True while <paramref name="bytes"/> is a prefix of some valid UTF-8 string; advances <paramref name="checkedUpTo"/>
    /// past every whole code point.
    /// </summary>
    private static bool CheckUtf8Prefix(List<byte> bytes, ref int checkedUpTo)
    {
        ReadOnlySpan<byte> all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        while (checkedUpTo < all.Length)
        {
            OperationStatus status = Rune.DecodeFromUtf8(all[checkedUpTo..], out _, out int consumed);
            if (status == OperationStatus.Done)
                checkedUpTo += consumed;
            else
                return status == OperationStatus.NeedMoreData;
        }
        return true;
    }
}
