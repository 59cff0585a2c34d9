using System.Buffers;
using System.Buffers.Binary;

namespace RawSocketChat.Protocol;

/// <summary>
/// The fixed part of a frame, as laid out in RFC 6455 §5.2:
/// <code>
///   0                   1                   2                   3
///   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///  +-+-+-+-+-------+-+-------------+-------------------------------+
///  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
///  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
///  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
///  | |1|2|3|       |K|             |                               |
///  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
///  |     Extended payload length continued, if payload len == 127  |
///  + - - - - - - - - - - - - - - - +-------------------------------+
///  |                               |Masking-key, if MASK set to 1  |
///  +-------------------------------+-------------------------------+
///  | Masking-key (continued)       |          Payload Data         |
///  +-------------------------------- - - - - - - - - - - - - - - - +
/// </code>
/// Parsing here checks only what the bytes themselves can violate (the length encoding); the rules that
/// depend on the connection (masking, RSV, opcodes, fragmentation) live in <see cref="WebSocketReceiver"/>.
/// </summary>
public readonly record struct FrameHeader(bool Fin, byte Rsv, Opcode Opcode, bool Masked, long PayloadLength, uint MaskKey)
{
    /// <summary>2 bytes fixed + 8 bytes extended length + 4 bytes mask key.</summary>
    public const int MaxLength = 14;

    public const byte Rsv1 = 0b100, Rsv2 = 0b010, Rsv3 = 0b001;

    /// <summary>
    /// RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less" — the most the 7-bit length
    /// field holds without an extended length, so a control frame's header is never longer than 6 bytes.
    /// </summary>
    public const int MaxControlPayloadLength = 125;

    /// <summary>Bytes this header takes on the wire.</summary>
    public int EncodedLength => 2 + ExtendedLengthBytes(PayloadLength) + (Masked ? 4 : 0);

    public static int ExtendedLengthBytes(long payloadLength) => payloadLength switch
    {
        <= 125 => 0,
        <= ushort.MaxValue => 2,
        _ => 8,
    };

    /// <summary>
    /// Reads a header from the start of <paramref name="input"/>. Returns false with <c>error == None</c> when
    /// more bytes are needed; never allocates: a header split across segments is copied to the stack.
    /// </summary>
    public static bool TryParse(in ReadOnlySequence<byte> input, out FrameHeader header, out int headerLength, out ProtocolError error)
    {
        if (input.FirstSpan.Length >= MaxLength || input.IsSingleSegment)
            return TryParse(input.FirstSpan, out header, out headerLength, out error);

        Span<byte> scratch = stackalloc byte[MaxLength];
        int available = (int)Math.Min(input.Length, MaxLength);
        input.Slice(0, available).CopyTo(scratch);
        return TryParse(scratch[..available], out header, out headerLength, out error);
    }

    public static bool TryParse(ReadOnlySpan<byte> input, out FrameHeader header, out int headerLength, out ProtocolError error)
    {
        header = default;
        headerLength = 0;
        error = ProtocolError.None;
        if (input.Length < 2)
            return false;

        byte b0 = input[0], b1 = input[1];
        bool masked = (b1 & 0x80) != 0;
        int length7 = b1 & 0x7F;
        int lengthBytes = length7 switch { 126 => 2, 127 => 8, _ => 0 };
        int needed = 2 + lengthBytes + (masked ? 4 : 0);
        if (input.Length < needed)
            return false;

        long payloadLength;
        if (length7 == 126)
        {
            payloadLength = BinaryPrimitives.ReadUInt16BigEndian(input[2..]);
            // RFC 6455 §5.2 [6455-5.2-length-minimal]: "the minimal number of bytes MUST be used to encode the length"
            // (and below, for the 8-byte form).
            if (payloadLength <= 125) { error = ProtocolError.NonMinimalLength; return false; }
        }
        else if (length7 == 127)
        {
            ulong raw = BinaryPrimitives.ReadUInt64BigEndian(input[2..]);
            // RFC 6455 §5.2 [6455-5.2-length-msb]: "the most significant bit MUST be 0" in the 64-bit length.
            if ((raw & 0x8000_0000_0000_0000UL) != 0) { error = ProtocolError.LengthHighBitSet; return false; }
            payloadLength = (long)raw;
            if (payloadLength <= ushort.MaxValue) { error = ProtocolError.NonMinimalLength; return false; }
        }
        else
        {
            payloadLength = length7;
        }

        // The mask key is kept in wire byte order, so byte i of the key is byte (i % 4) of its little-endian read.
        uint maskKey = masked ? BinaryPrimitives.ReadUInt32LittleEndian(input[(2 + lengthBytes)..]) : 0;
        header = new FrameHeader(
            Fin: (b0 & 0x80) != 0,
            Rsv: (byte)((b0 >> 4) & 0x7),
            Opcode: (Opcode)(b0 & 0x0F),
            Masked: masked,
            PayloadLength: payloadLength,
            MaskKey: maskKey);
        headerLength = needed;
        return true;
    }

    /// <summary>
    /// Writes this header; <paramref name="destination"/> needs <see cref="EncodedLength"/> bytes. RFC 6455 §5.2
    /// [6455-5.2-length-minimal-sent]: always the shortest length encoding (and a payload of at most
    /// <see cref="Array.MaxLength"/> bytes leaves the top bit of the 64-bit form clear).
    /// </summary>
    public int WriteTo(Span<byte> destination)
    {
        destination[0] = (byte)((Fin ? 0x80 : 0) | (Rsv << 4) | (byte)Opcode);
        byte maskBit = Masked ? (byte)0x80 : (byte)0;
        int offset;
        if (PayloadLength <= 125)
        {
            destination[1] = (byte)(maskBit | PayloadLength);
            offset = 2;
        }
        else if (PayloadLength <= ushort.MaxValue)
        {
            destination[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)PayloadLength);
            offset = 4;
        }
        else
        {
            destination[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)PayloadLength);
            offset = 10;
        }

        if (Masked)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[offset..], MaskKey);
            offset += 4;
        }
        return offset;
    }
}
