using System.IO.Compression;
using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;
using RawSocketChat.Tests.Protocol;

namespace RawSocketChat.Tests.Deflate;

/// <summary>Builds compressed messages and their frames the way a permessage-deflate peer puts them on the wire.</summary>
internal static class DeflateFrames
{
    /// <summary>
    /// The frames of one message: compressed with <paramref name="deflater"/> (or sent as is when it is null), the
    /// payload cut into fragments at <paramref name="cuts"/>. RSV1 marks the first frame of a compressed message only
    /// (RFC 7692 §6). Client frames are masked with <paramref name="maskKey"/>.
    /// </summary>
    public static List<byte[]> Message(Opcode opcode, byte[] message, MessageDeflater? deflater, int[] cuts, bool masked = true, uint maskKey = Frames.RfcMaskKey)
    {
        byte[] payload = deflater is null ? message : MessageCodecTests.Compress(deflater, message);
        byte[][] fragments = Segments.Cut(payload, cuts);
        var frames = new List<byte[]>();
        for (int i = 0; i < fragments.Length; i++)
        {
            Opcode frameOpcode = i == 0 ? opcode : Opcode.Continuation;
            byte rsv = i == 0 && deflater is not null ? FrameHeader.Rsv1 : (byte)0;
            bool fin = i == fragments.Length - 1;
            frames.Add(masked
                ? Frames.Masked(frameOpcode, fragments[i], fin, rsv, maskKey)
                : Unmasked(frameOpcode, fragments[i], fin, rsv));
        }
        return frames;
    }

    private static byte[] Unmasked(Opcode opcode, byte[] payload, bool fin, byte rsv)
    {
        var header = new FrameHeader(fin, rsv, opcode, Masked: false, payload.Length, 0);
        var frame = new byte[header.EncodedLength + payload.Length];
        int length = header.WriteTo(frame);
        payload.CopyTo(frame, length);
        return frame;
    }

    /// <summary>A message of <paramref name="length"/> zeros, compressed and stripped of its tail, without allocating it.</summary>
    public static byte[] CompressZeros(long length)
    {
        var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            byte[] zeros = new byte[1024 * 1024];
            for (long left = length; left > 0; left -= zeros.Length)
                deflate.Write(zeros, 0, (int)Math.Min(zeros.Length, left));
            deflate.Flush();
        }
        byte[] all = output.ToArray();
        // Dispose added a final block after the sync flush; cut everything from the flush's 00 00 ff ff on.
        int tail = all.AsSpan().LastIndexOf(PerMessageDeflate.Tail);
        return all[..tail];
    }
}
