namespace RawSocketChat.Fuzz;

/// <summary>One fuzz target: takes any bytes, throws <see cref="InvariantViolation"/> (or anything else) on a bug.</summary>
public interface IFuzzTarget
{
    string Name { get; }

    void Run(ReadOnlySpan<byte> input);
}
