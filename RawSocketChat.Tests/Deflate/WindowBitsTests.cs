using System.Buffers;
using System.IO.Compression;
using System.Text;
using RawSocketChat.Protocol.Deflate;

namespace RawSocketChat.Tests.Deflate;

/// <summary>
/// The compressor at every window a client may ask for (RFC 7692 §7.1.2.1, <c>server_max_window_bits</c>). That
/// its output stays inside the window is checked by peers that inflate with exactly that window (Node's ws and
/// ClientWebSocket, in <see cref="DeflateInteropTests"/>); here, what the window changes and what it does not.
/// </summary>
public sealed class WindowBitsTests
{
    private static byte[] Compress(MessageDeflater deflater, byte[] message)
    {
        var output = new ArrayBufferWriter<byte>();
        deflater.Compress(message, output);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] Inflate(IEnumerable<byte[]> payloads)
    {
        // RFC 7692 §7.2.2: each message's payload with 00 00 ff ff appended, one DEFLATE stream across messages.
        var stream = new MemoryStream();
        foreach (byte[] payload in payloads)
        {
            stream.Write(payload);
            stream.Write(PerMessageDeflate.Tail);
        }
        stream.Position = 0;
        using var inflate = new DeflateStream(stream, CompressionMode.Decompress);
        var result = new MemoryStream();
        inflate.CopyTo(result);
        return result.ToArray();
    }

    [Theory]
    [Trait("Rfc", "7692-7.2.1-window")]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(12)]
    [InlineData(14)]
    [InlineData(15)]
    public void Every_window_round_trips_a_conversation_with_context_takeover(int windowBits)
    {
        using var deflater = new MessageDeflater(noContextTakeover: false, windowBits: windowBits);
        byte[][] messages = Enumerable.Range(0, 40).Select(i => Encoding.UTF8.GetBytes(
            $"{{\"type\":\"message\",\"room\":\"lobby\",\"user\":\"user{i % 3}\",\"text\":\"{new string('x', i * 37)} héllo {i}\"}}")).ToArray();
        byte[][] payloads = messages.Select(m => Compress(deflater, m)).ToArray();
        Assert.Equal(messages.SelectMany(m => m).ToArray(), Inflate(payloads));
        Assert.True(deflater.HoldsState);
    }

    [Fact]
    [Trait("Rfc", "7692-7.2.1-window")]
    public void A_small_window_cannot_reach_a_repeat_beyond_it_so_it_compresses_less()
    {
        // 2 KiB of noise, then the same 2 KiB again: a 15-bit window finds the repeat 2 KiB back, a 9-bit (512 B) one cannot.
        var random = new Random(7);
        byte[] block = new byte[2048];
        random.NextBytes(block);
        byte[] message = [.. block, .. block];
        using var wide = new MessageDeflater(noContextTakeover: true, windowBits: 15);
        using var narrow = new MessageDeflater(noContextTakeover: true, windowBits: 9);
        byte[] wideOut = Compress(wide, message), narrowOut = Compress(narrow, message);
        Assert.True(wideOut.Length < 2048 + 200, $"15 bits: {wideOut.Length} bytes");
        Assert.True(narrowOut.Length > 4000, $"9 bits: {narrowOut.Length} bytes");
        Assert.Equal(message, Inflate([narrowOut]));
    }

    [Fact]
    [Trait("Rfc", "7692-7.2.1-server-no-context")]
    public void Without_context_takeover_the_state_is_freed_after_each_message()
    {
        using var deflater = new MessageDeflater(noContextTakeover: true, windowBits: 10);
        byte[] message = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the same words again ", 20)));
        byte[] first = Compress(deflater, message), second = Compress(deflater, message);
        Assert.False(deflater.HoldsState);
        Assert.Equal(first, second); // each message from an empty window
    }

    [Theory]
    [InlineData(8)]  // zlib has no 256-byte compressor: a connection that agreed to 8 sends uncompressed instead
    [InlineData(16)]
    public void Windows_zlib_cannot_compress_with_are_refused(int windowBits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessageDeflater(noContextTakeover: false, windowBits: windowBits));

    [Fact]
    [Trait("Rfc", "7692-7.2.1-tail")]
    public void An_empty_message_is_the_single_byte_00_at_every_window()
    {
        foreach (int bits in new[] { 9, 12, 15 })
        {
            using var deflater = new MessageDeflater(noContextTakeover: false, windowBits: bits);
            Assert.Equal([0x00], Compress(deflater, []));
        }
    }
}
