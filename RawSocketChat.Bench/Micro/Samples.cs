using System.Text;
using RawSocketChat.Protocol;

namespace RawSocketChat.Bench.Micro;

/// <summary>Inputs shared by the suites: deterministic, so every run (and every peer) sees the same bytes.</summary>
internal static class Samples
{
    public const uint MaskKey = 0x5A3C_96E1;

    public static byte[] RandomBytes(int length, int seed = 42)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Text of exactly <paramref name="length"/> UTF-8 bytes built from <paramref name="alphabet"/>, padded with ASCII.</summary>
    public static byte[] Text(TextKind kind, int length)
    {
        string alphabet = kind switch
        {
            TextKind.Ascii => "The quick brown fox jumps over the lazy dog, 0123456789. ",
            TextKind.Latin => "Déjà vu: où ça? Größe, façade, naïve, Ærø, señor, Łódź, čšž. ",
            TextKind.Cjk => "速い茶色の狐が怠惰な犬を飛び越える。中文汉字测试，한국어 텍스트。",
            TextKind.Emoji => "😀🚀🎉👍🔥💬🌍✨🙂🤖📦🧪",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var builder = new StringBuilder();
        while (Encoding.UTF8.GetByteCount(builder.ToString()) < length)
            builder.Append(alphabet);
        byte[] all = Encoding.UTF8.GetBytes(builder.ToString());
        // Cut on a code point boundary, then pad with spaces to the exact size.
        int cut = length;
        while (cut > 0 && cut < all.Length && (all[cut] & 0xC0) == 0x80)
            cut--;
        var result = new byte[length];
        all.AsSpan(0, cut).CopyTo(result);
        result.AsSpan(cut).Fill((byte)' ');
        return result;
    }

    /// <summary>
    /// The wire bytes of one client message (masked, as RFC 6455 §5.3 requires) split into <paramref name="fragments"/>
    /// frames: Text/Binary, then Continuation frames, the last with FIN.
    /// </summary>
    public static byte[] ClientMessage(Opcode opcode, ReadOnlySpan<byte> payload, int fragments = 1)
    {
        var output = new List<byte>();
        int per = (payload.Length + fragments - 1) / fragments;
        for (int i = 0; i < fragments; i++)
        {
            ReadOnlySpan<byte> part = payload.Slice(Math.Min(i * per, payload.Length), Math.Min(per, Math.Max(0, payload.Length - i * per)));
            var frame = new byte[FrameWriter.MaskedFrameLength(part.Length)];
            int n = FrameWriter.WriteMaskedFrame(frame, i == 0 ? opcode : Opcode.Continuation, part, MaskKey + (uint)i, fin: i == fragments - 1);
            output.AddRange(frame.AsSpan(0, n).ToArray());
        }
        return output.ToArray();
    }
}

public enum TextKind { Ascii, Latin, Cjk, Emoji }

/// <summary>A text message size and how many frames carry it; shown by name in the results table.</summary>
public sealed record MessageCase(string Name, int Size, int Fragments) : IPayloadSize
{
    public long PayloadBytes => Size;
    public override string ToString() => Name;

    public static IEnumerable<MessageCase> ReceiveCases =>
    [
        new("32 B", 32, 1),
        new("1 KiB", 1024, 1),
        new("64 KiB", 64 * 1024, 1),
        new("3 KiB in 3 frames", 3 * 1024, 3),
    ];
}

/// <summary>
/// A read-only stream that plays the same bytes forever, one pass per read at most: a socket on which the peer
/// keeps sending the same message. Reads complete synchronously, so only the WebSocket code is measured.
/// </summary>
internal sealed class RepeatingStream(byte[] data) : Stream
{
    private int _position;

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(buffer.Length, data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        if (_position == data.Length)
            _position = 0;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Write(byte[] buffer, int offset, int count) { }
    public override void Write(ReadOnlySpan<byte> buffer) { }
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => default;
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
