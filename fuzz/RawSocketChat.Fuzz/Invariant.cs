namespace RawSocketChat.Fuzz;

/// <summary>
/// A broken invariant. The only exception a target lets escape on purpose: SharpFuzz reports any escaping exception to
/// afl-fuzz as a crash, and the replay mode prints it with the input that caused it.
/// </summary>
public sealed class InvariantViolation(string message) : Exception(message);

public static class Invariant
{
    /// <summary>Off only while warming up: the first call of anything pays for static constructors and pool set-up.</summary>
    public static bool CheckAllocations { get; set; } = true;

    public static void Check(bool condition, string message)
    {
        if (!condition)
            throw new InvariantViolation(message);
    }

    public static void Check(bool condition, Func<string> message)
    {
        if (!condition)
            throw new InvariantViolation(message());
    }

    /// <summary>
    /// Runs <paramref name="action"/> and fails when it allocated more than <paramref name="bound"/> bytes on this thread.
    /// Every target runs single-threaded, so the counter sees exactly what the code under test allocated.
    /// </summary>
    public static T AllocatesAtMost<T>(long bound, string what, Func<T> action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        T result = action();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Check(!CheckAllocations || allocated <= bound, () => $"{what} allocated {allocated} bytes, bound {bound}");
        return result;
    }
}
