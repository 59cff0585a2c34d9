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
/// <para>
/// <see cref="WindowBits"/> 15 is the default path (DeflateStream); 9 is the smallest window a client can ask for
/// (<c>server_max_window_bits=9</c>), compressed through the system zlib. <see cref="MemoryPerDeflater"/> measures
/// what each keeps per connection.
/// </para>
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

    [Params(15, 9)]
    public int WindowBits = 15;

    [GlobalSetup]
    public void Setup()
    {
        _messages = Message == "chat-json"
            ? Enumerable.Range(0, 256).Select(i => Encoding.UTF8.GetBytes(
                $"{{\"type\":\"message\",\"room\":\"lobby\",\"id\":\"01HX{i:D8}\",\"user\":\"user{i % 37}\",\"text\":\"message {i}: hello everyone, how is it going today? {i * 7919}\",\"ts\":{1719000000000L + i * 1337}}}")).ToArray()
            : [Samples.Text(TextKind.Ascii, 64 * 1024)];
        _withContext = new MessageDeflater(noContextTakeover: false, windowBits: WindowBits);
        _withoutContext = new MessageDeflater(noContextTakeover: true, windowBits: WindowBits);
        _inflater = new MessageInflater(noContextTakeover: true);
        using var deflater = new MessageDeflater(noContextTakeover: true);
        var compressed = new ArrayBufferWriter<byte>();
        deflater.Compress(_messages[0], compressed);
        _compressedForInflate = compressed.WrittenSpan.ToArray();
        Console.WriteLine($"// {Message}, {WindowBits}-bit window: {_messages[0].Length} bytes → {_compressedForInflate.Length} compressed alone, " +
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
        using var deflater = new MessageDeflater(noContextTakeover: false, windowBits: WindowBits);
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

    /// <summary>
    /// Native memory one connection's compressor keeps with context takeover, by window: <paramref name="count"/>
    /// deflaters each compress <paramref name="messages"/> different chat messages (enough for zlib to have touched
    /// its tables, so the pages are resident), and the process's RSS before and after is divided among them (zlib
    /// allocates through malloc, which the GC does not see): resident (VmRSS) and allocated (VmData). Linux only
    /// (/proc/self/status); one measurement per process, or freed memory is reused unseen.
    /// </summary>
    public static (long Resident, long Allocated) MemoryPerDeflater(int windowBits, int count = 1000, int messages = 200)
    {
        var output = new ArrayBufferWriter<byte>();
        var deflaters = new MessageDeflater[count];
        GC.Collect();
        long before = Status("VmRSS:"), allocatedBefore = Status("VmData:");
        for (int i = 0; i < count; i++)
        {
            deflaters[i] = new MessageDeflater(noContextTakeover: false, windowBits: windowBits);
            for (int m = 0; m < messages; m++)
            {
                output.Clear();
                deflaters[i].Compress(Encoding.UTF8.GetBytes(
                    $"{{\"type\":\"message\",\"room\":\"lobby\",\"id\":\"01HX{m:D8}\",\"user\":\"user{m % 37}\",\"text\":\"message {m}: hello everyone, how is it going today? {m * 7919 + i}\"}}"), output);
            }
        }
        GC.Collect();
        long after = Status("VmRSS:"), allocatedAfter = Status("VmData:");
        foreach (MessageDeflater deflater in deflaters)
            deflater.Dispose();
        return ((after - before) / count, (allocatedAfter - allocatedBefore) / count);
    }

    private static long Status(string key)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return 0;
    }
}
