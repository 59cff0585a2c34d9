using System.Text.Unicode;
using BenchmarkDotNet.Attributes;
using RawSocketChat.Protocol;

namespace RawSocketChat.Bench.Micro;

/// <summary>
/// UTF-8 validation of a text message: the BCL's one-shot <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/> against our
/// incremental <see cref="Utf8Validator"/>, fed the whole message and fed TCP-segment-sized chunks (1,460 bytes) that
/// cut code points in two, as the receive path does when a message arrives over several reads.
/// </summary>
public class Utf8Benchmarks
{
    private byte[] _text = [];

    [Params(TextKind.Ascii, TextKind.Latin, TextKind.Cjk, TextKind.Emoji)]
    public TextKind Text;

    [Params(1024, 64 * 1024)]
    public int Size;

    [GlobalSetup]
    public void Setup()
    {
        _text = Samples.Text(Text, Size);
        if (!Utf8.IsValid(_text) || !Incremental() || !IncrementalChunked())
            throw new InvalidOperationException("sample text must be valid UTF-8");
    }

    [Benchmark(Baseline = true, Description = "Utf8.IsValid")]
    public bool BclIsValid() => Utf8.IsValid(_text);

    [Benchmark(Description = "Utf8Validator (whole)")]
    public bool Incremental()
    {
        var validator = new Utf8Validator();
        return validator.Feed(_text) && validator.IsComplete;
    }

    [Benchmark(Description = "Utf8Validator (1460 B chunks)")]
    public bool IncrementalChunked()
    {
        var validator = new Utf8Validator();
        ReadOnlySpan<byte> rest = _text;
        while (rest.Length > 1460)
        {
            if (!validator.Feed(rest[..1460]))
                return false;
            rest = rest[1460..];
        }
        return validator.Feed(rest) && validator.IsComplete;
    }

    /// <summary>
    /// Diagnostic: <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/> called on pieces of about 1,460 bytes, each cut
    /// before a code point (which a real chunked validator cannot choose: TCP cuts where it likes). It is the floor
    /// for any validator fed in chunks: what the calls alone cost, with no borders to handle.
    /// </summary>
    [Benchmark(Description = "Utf8.IsValid per ~1460 B piece (floor)")]
    public bool BclIsValidChunked()
    {
        ReadOnlySpan<byte> rest = _text;
        while (rest.Length > 1460)
        {
            int end = 1460;
            while ((rest[end] & 0xC0) == 0x80) // a continuation byte: back up to the start of its code point
                end--;
            if (!Utf8.IsValid(rest[..end]))
                return false;
            rest = rest[end..];
        }
        return Utf8.IsValid(rest);
    }
}
