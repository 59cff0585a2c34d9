using System.Buffers;

namespace RawSocketChat.Fuzz;

/// <summary>
/// Cuts a byte stream into the reads a transport might see. The fuzzer owns the choice: one input byte picks the
/// pattern family and another seeds it, so AFL can mutate the segmentation as freely as the bytes themselves.
/// </summary>
public static class Segmenter
{
    /// <summary>Number of pattern families; callers reduce their selector byte modulo this.</summary>
    public const int Families = 6;

    /// <summary>
    /// Splits <paramref name="data"/> into reads; each read is itself one or more segments (a pipe hands over
    /// several 4 KiB blocks at once), so both "between reads" and "inside one read" boundaries are exercised.
    /// </summary>
    public static List<ReadOnlyMemory<byte>[]> Split(ReadOnlyMemory<byte> data, int family, byte parameter)
    {
        var reads = new List<ReadOnlyMemory<byte>[]>();
        var random = new XorShift(parameter * 2654435761u + (uint)family + 1);
        int position = 0, index = 0;
        while (position < data.Length)
        {
            int size = (family % Families) switch
            {
                0 => data.Length,                                        // everything in one read
                1 => 1,                                                  // byte by byte
                2 => parameter + 1,                                      // fixed size
                3 => 1 + (int)random.Next((uint)parameter + 1),          // random sizes up to parameter + 1
                4 => 1 + index % (parameter % 16 + 1),                   // 1, 2, 3, ... growing sawtooth
                _ => index == 0 ? Math.Max(1, parameter % (data.Length + 1)) : data.Length, // one cut
            };
            size = Math.Min(size, data.Length - position);
            ReadOnlyMemory<byte> read = data.Slice(position, size);
            // Families 3 and 5 also split each read into up to three segments.
            int parts = family % Families is 3 or 5 ? 1 + (int)random.Next(3) : 1;
            reads.Add(SplitRead(read, parts, ref random));
            position += size;
            index++;
        }
        return reads;
    }

    private static ReadOnlyMemory<byte>[] SplitRead(ReadOnlyMemory<byte> read, int parts, ref XorShift random)
    {
        if (parts <= 1 || read.Length < 2)
            return [read];
        var segments = new List<ReadOnlyMemory<byte>>();
        while (parts-- > 1 && read.Length > 1)
        {
            int cut = 1 + (int)random.Next((uint)read.Length - 1);
            segments.Add(read[..cut]);
            read = read[cut..];
        }
        segments.Add(read);
        return [.. segments];
    }

    /// <summary>Builds a sequence whose segment boundaries are exactly <paramref name="segments"/> (empty ones kept).</summary>
    public static ReadOnlySequence<byte> ToSequence(IReadOnlyList<ReadOnlyMemory<byte>> segments)
    {
        if (segments.Count == 0)
            return ReadOnlySequence<byte>.Empty;
        if (segments.Count == 1)
            return new ReadOnlySequence<byte>(segments[0]);
        var first = new Segment(segments[0], 0);
        Segment last = first;
        for (int i = 1; i < segments.Count; i++)
            last = last.Append(segments[i]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>The segments of <paramref name="sequence"/>, in order, to rebuild it with more appended.</summary>
    public static List<ReadOnlyMemory<byte>> SegmentsOf(in ReadOnlySequence<byte> sequence)
    {
        var list = new List<ReadOnlyMemory<byte>>();
        foreach (ReadOnlyMemory<byte> memory in sequence)
        {
            if (!memory.IsEmpty)
                list.Add(memory);
        }
        return list;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

/// <summary>A tiny deterministic PRNG (Marsaglia's xorshift32): the same input always replays the same way.</summary>
public struct XorShift(uint seed)
{
    private uint _state = seed == 0 ? 0x9E3779B9u : seed;

    public uint Next()
    {
        _state ^= _state << 13;
        _state ^= _state >> 17;
        _state ^= _state << 5;
        return _state;
    }

    /// <summary>A value in [0, <paramref name="bound"/>).</summary>
    public uint Next(uint bound) => bound == 0 ? 0 : Next() % bound;
}
