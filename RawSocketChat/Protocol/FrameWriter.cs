using System.Buffers;

namespace RawSocketChat.Protocol;

/// <summary>
/// Turns messages into frame bytes. Server frames are written whole, unfragmented and unmasked
/// (RFC 6455 §5.1: "A server MUST NOT mask any frames that it sends to the client"). The masked variant exists for
/// clients (tests, the load generator).
/// </summary>
public static class FrameWriter
{
    /// <summary>
    /// Writes one complete frame to <paramref name="writer"/> with a single header reservation. <paramref name="rsv"/>
    /// is <see cref="FrameHeader.Rsv1"/> for the first frame of a compressed message (RFC 7692 §6), 0 otherwise.
    /// </summary>
    public static void WriteFrame(IBufferWriter<byte> writer, Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, byte rsv = 0)
    {
        // Frames up to 64 KiB are written with one contiguous copy; larger ones are streamed through GetSpan, so a
        // writer made of blocks (a PipeWriter) is never asked for one 1 MiB block.
        const int ContiguousLimit = 64 * 1024;
        // RFC 6455 §6.1: one frame per message [6455-6.1-frame] [6455-6.1-fragment], with the caller's opcode
        // [6455-6.1-opcode] and FIN set [6455-6.1-fin]; RFC 6455 §5.1 [6455-5.1-server-unmasked]: never masked;
        // RFC 6455 §5.2 [6455-5.2-rsv-sent]: RSV 0 unless the caller's extension (permessage-deflate) sets RSV1.
        var header = new FrameHeader(fin, rsv, opcode, Masked: false, payload.Length, 0);
        int headerLength = header.EncodedLength;
        Span<byte> span = writer.GetSpan(headerLength + Math.Min(payload.Length, ContiguousLimit));
        header.WriteTo(span);

        if (span.Length - headerLength >= payload.Length)
        {
            payload.CopyTo(span[headerLength..]);
            writer.Advance(headerLength + payload.Length);
            return;
        }
        writer.Advance(headerLength);
        while (!payload.IsEmpty)
        {
            Span<byte> chunk = writer.GetSpan(1);
            int n = Math.Min(chunk.Length, payload.Length);
            payload[..n].CopyTo(chunk);
            writer.Advance(n);
            payload = payload[n..];
        }
    }

    /// <summary>Writes a Close frame with <paramref name="code"/> and a reason cut to fit (RFC 6455 §5.5.1).</summary>
    public static void WriteClose(IBufferWriter<byte> writer, ushort code, ReadOnlySpan<char> reason)
    {
        Span<byte> payload = stackalloc byte[FrameHeader.MaxControlPayloadLength];
        int length = ClosePayload.Write(payload, code, reason);
        WriteFrame(writer, Opcode.Close, payload[..length]);
    }

    /// <summary>Writes a client-style masked frame into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int WriteMaskedFrame(Span<byte> destination, Opcode opcode, ReadOnlySpan<byte> payload, uint maskKey, bool fin = true, byte rsv = 0)
    {
        var header = new FrameHeader(fin, rsv, opcode, Masked: true, payload.Length, maskKey);
        int headerLength = header.WriteTo(destination);
        Masking.Apply(payload, destination.Slice(headerLength, payload.Length), maskKey, 0);
        return headerLength + payload.Length;
    }

    public static int MaskedFrameLength(int payloadLength) => 2 + FrameHeader.ExtendedLengthBytes(payloadLength) + 4 + payloadLength;
}
