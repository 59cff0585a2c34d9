using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;

namespace RawSocketChat.Bench.Micro;

/// <summary>
/// The CPU cost of permessage-deflate on the send path, per message, against sending the same message uncompressed
/// (the baseline): typical chat JSON (about 200 bytes, a different message each time, so context takeover has to earn
/// its keep) and 64 KiB of text. Each mode is what one connection pays; a broadcast pays it once per recipient.
/// The compression ratio is printed at setup (<see cref="CompressedBytes"/>), since BenchmarkDotNet measures time only.
/// </summary>
public class DeflateBenchmarks
{
    private byte[][] _messages = [];
    private int _next;
    private MessageDeflater _withContext = null!;
    private MessageDeflater _withoutContext = null!;
    private MessageInflater _inflater = null!;
    private byte[] _compressedForInflate = [];
    private readonly ArrayBufferWriter<byte> _output = new(256 * 1024);

    [Params("chat-json", "text-64KiB")]
    public string Message = "chat-json";

    [GlobalSetup]
    public void Setup()
    {
        _messages = Message == "chat-json"
            ? Enumerable.Range(0, 256).Select(i => Encoding.UTF8.GetBytes(
                $"{{\"type\":\"message\",\"room\":\"lobby\",\"id\":\"01HX{i:D8}\",\"user\":\"user{i % 37}\",\"text\":\"message {i}: hello everyone, how is it going today? {i * 7919}\",\"ts\":{1719000000000L + i * 1337}}}")).ToArray()
            : [Samples.Text(TextKind.Ascii, 64 * 1024)];
        _withContext = new MessageDeflater(noContextTakeover: false);
        _withoutContext = new MessageDeflater(noContextTakeover: true);
        _inflater = new MessageInflater(noContextTakeover: true);
        using var deflater = new MessageDeflater(noContextTakeover: true);
        var compressed = new ArrayBufferWriter<byte>();
        deflater.Compress(_messages[0], compressed);
        _compressedForInflate = compressed.WrittenSpan.ToArray();
        Console.WriteLine($"// {Message}: {_messages[0].Length} bytes → {_compressedForInflate.Length} compressed alone, " +
            $"{CompressedBytes()} with context takeover (steady state)");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _withContext.Dispose();
        _withoutContext.Dispose();
        _inflater.Dispose();
    }

    private byte[] NextMessage() => _messages[_next++ % _messages.Length];

    [Benchmark(Baseline = true)]
    public int Uncompressed()
    {
        _output.Clear();
        FrameWriter.WriteFrame(_output, Opcode.Text, NextMessage());
        return _output.WrittenCount;
    }

    [Benchmark]
    public int ContextTakeover()
    {
        _output.Clear();
        _withContext.Compress(NextMessage(), _output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int NoContextTakeover()
    {
        _output.Clear();
        _withoutContext.Compress(NextMessage(), _output);
        return _output.WrittenCount;
    }

    /// <summary>The receive side: inflating one compressed message (fresh window each time).</summary>
    [Benchmark]
    public int Inflate()
    {
        Span<byte> room = stackalloc byte[4096];
        int total = 0;
        _inflater.Feed(_compressedForInflate);
        while (_inflater.Inflate(room, out int written) == OperationStatus.DestinationTooSmall)
            total += written;
        _inflater.FeedEndOfMessage();
        OperationStatus status;
        do
        {
            status = _inflater.Inflate(room, out int written);
            total += written;
        } while (status == OperationStatus.DestinationTooSmall);
        _inflater.EndMessage();
        return total;
    }

    /// <summary>Compressed size of a message after 64 earlier ones went through the same window.</summary>
    public int CompressedBytes()
    {
        using var deflater = new MessageDeflater(noContextTakeover: false);
        var output = new ArrayBufferWriter<byte>();
        for (int i = 0; i < 64; i++)
        {
            output.Clear();
            deflater.Compress(_messages[i % _messages.Length], output);
        }
        output.Clear();
        deflater.Compress(_messages[64 % _messages.Length], output);
        return output.WrittenCount;
    }
}
