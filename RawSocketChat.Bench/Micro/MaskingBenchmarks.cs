using BenchmarkDotNet.Attributes;
using RawSocketChat.Protocol;

namespace RawSocketChat.Bench.Micro;

/// <summary>
/// Unmasking a client payload while copying it out of the network buffer (RFC 6455 §5.3), byte at a time and
/// vectorized, against a plain copy of the same size: the copy is the memory-bandwidth bound, since unmasking is a
/// copy with one XOR per vector.
/// </summary>
public class MaskingBenchmarks
{
    private byte[] _source = [];
    private byte[] _destination = [];

    [Params(16, 125, 1024, 64 * 1024, 1024 * 1024)]
    public int Size;

    [GlobalSetup]
    public void Setup()
    {
        _source = Samples.RandomBytes(Size);
        _destination = new byte[Size];
    }

    [Benchmark(Baseline = true, Description = "Span.CopyTo (bound)")]
    public void CopyTo() => _source.AsSpan().CopyTo(_destination);

    [Benchmark(Description = "Scalar (byte at a time)")]
    public int Scalar() => Masking.ApplyScalar(_source, _destination, Samples.MaskKey, 1);

    [Benchmark(Description = "Vectorized")]
    public int Vectorized() => Masking.Apply(_source, _destination, Samples.MaskKey, 1);
}
