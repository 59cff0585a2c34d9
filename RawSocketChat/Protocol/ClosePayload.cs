using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace RawSocketChat.Protocol;

/// <summary>
/// The body of a Close frame (RFC 6455 §5.5.1): empty, or a 2-byte big-endian status code followed by a UTF-8 reason.
/// </summary>
public static class ClosePayload
{
    /// <summary>A control frame carries at most <see cref="FrameHeader.MaxControlPayloadLength"/> bytes; 2 go to the code.</summary>
    public const int MaxReasonBytes = FrameHeader.MaxControlPayloadLength - 2;

    /// <summary>
    /// Checks a received close payload. <paramref name="code"/> is <see cref="CloseCode.NoStatusReceived"/> for an
    /// empty payload; the reason is decoded only when valid.
    /// </summary>
    public static ProtocolError Parse(ReadOnlySpan<byte> payload, out ushort code, out string reason)
    {
        code = CloseCode.NoStatusReceived;
        reason = "";
        // RFC 6455 §5.5.1 [6455-5.5.1-body]: "The Close frame MAY contain a body"; without one, the code is 1005
        // (RFC 6455 §7.1.5).
        if (payload.IsEmpty)
            return ProtocolError.None;

        // RFC 6455 §5.5.1 [6455-5.5.1-code-length]: "If there is a body, the first two bytes of the body MUST be a
        // 2-byte unsigned integer".
        if (payload.Length == 1)
            return ProtocolError.InvalidClosePayloadLength;

        code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        // RFC 6455 §7.4: a code outside the defined and registered ranges is a protocol error.
        if (!CloseCode.IsValidOnWire(code))
            return ProtocolError.InvalidCloseCode;

        ReadOnlySpan<byte> reasonBytes = payload[2..];
        // RFC 6455 §5.5.1 [6455-5.5.1-reason]: the reason "is not guaranteed to be human readable" but it MUST be UTF-8
        // (RFC 6455 §8.1 → 1007), judged by the validator that checks text messages.
        if (!Utf8Validator.IsValid(reasonBytes))
            return ProtocolError.InvalidUtf8;

        reason = reasonBytes.IsEmpty ? "" : Encoding.UTF8.GetString(reasonBytes);
        return ProtocolError.None;
    }

    /// <summary>
    /// Writes code + reason, truncating the reason on a code-point boundary to fit in a control frame (RFC 6455 §5.5
    /// [6455-5.5-control-length-sent]). Returns the bytes written (at most
    /// <see cref="FrameHeader.MaxControlPayloadLength"/>).
    /// </summary>
    public static int Write(Span<byte> destination, ushort code, ReadOnlySpan<char> reason)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, code);
        Span<byte> reasonDest = destination.Slice(2, Math.Min(MaxReasonBytes, destination.Length - 2));
        // Utf8.FromUtf16 stops at the last whole code point that fits, so a truncated reason stays valid UTF-8.
        Utf8.FromUtf16(reason, reasonDest, out _, out int written, replaceInvalidSequences: true, isFinalBlock: true);
        return 2 + written;
    }
}
