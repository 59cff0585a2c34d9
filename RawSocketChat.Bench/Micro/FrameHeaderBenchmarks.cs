using System.Buffers;
using BenchmarkDotNet.Attributes;
using RawSocketChat.Protocol;

namespace RawSocketChat.Bench.Micro;

/// <summary>
/// Frame header parse and encode for small frames (7-bit length: 0–125 bytes, the common case in chat), measured
/// over a batch of 1,024 different headers so the branch predictor cannot learn one; M ops/s is frames per second.
/// </summary>
public class FrameHeaderBenchmarks
{
    private const int Batch = 1024;
    private byte[] _clientHeaders = [];   // masked, as a server receives them: 6 bytes each
    private byte[] _mediumHeaders = [];   // masked, 16-bit length: 8 bytes each
    private byte[] _output = new byte[Batch * FrameHeader.MaxLength];
    private ReadOnlySequence<byte> _clientSequence;

    [GlobalSetup]
    public void Setup()
    {
        _clientHeaders = new byte[Batch * 6];
        _mediumHeaders = new byte[Batch * 8];
        for (int i = 0; i < Batch; i++)
        {
            new FrameHeader(true, 0, i % 7 == 0 ? Opcode.Binary : Opcode.Text, true, i % 126, Samples.MaskKey + (uint)i).WriteTo(_clientHeaders.AsSpan(i * 6));
            new FrameHeader(true, 0, Opcode.Text, true, 126 + i * 17, Samples.MaskKey).WriteTo(_mediumHeaders.AsSpan(i * 8));
        }
        _clientSequence = new ReadOnlySequence<byte>(_clientHeaders);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "Parse small masked (span)")]
    public long ParseSmall()
    {
        long total = 0;
        ReadOnlySpan<byte> input = _clientHeaders;
        for (int offset = 0; offset < input.Length; offset += 6)
        {
            FrameHeader.TryParse(input[offset..], out FrameHeader header, out _, out _);
            total += header.PayloadLength;
        }
        return total;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Parse small masked (sequence)")]
    public long ParseSmallFromSequence()
    {
        long total = 0;
        ReadOnlySequence<byte> input = _clientSequence;
        while (!input.IsEmpty)
        {
            FrameHeader.TryParse(input, out FrameHeader header, out int length, out _);
            total += header.PayloadLength;
            input = input.Slice(length);
        }
        return total;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Parse 16-bit length masked")]
    public long ParseMedium()
    {
        long total = 0;
        ReadOnlySpan<byte> input = _mediumHeaders;
        for (int offset = 0; offset < input.Length; offset += 8)
        {
            FrameHeader.TryParse(input[offset..], out FrameHeader header, out _, out _);
            total += header.PayloadLength;
        }
        return total;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Encode small server header")]
    public int EncodeSmall()
    {
        Span<byte> output = _output;
        int offset = 0;
        for (int i = 0; i < Batch; i++)
            offset += new FrameHeader(true, 0, Opcode.Text, false, i % 126, 0).WriteTo(output[offset..]);
        return offset;
    }
}
