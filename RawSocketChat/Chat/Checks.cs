using RawSocketChat.Chat.Moderation;
using RawSocketChat.Diagnostics;

namespace RawSocketChat.Chat;

/// <summary>
/// The argument checks every module makes the same way. Each answers a failed check itself (an <c>error</c> with
/// the command's <c>ref</c>) and returns false, so a handler reads as a list of conditions:
/// <c>if (!Require(...) || !CheckName(...)) return;</c>
/// </summary>
internal static class Checks
{
    public static bool Require(ChatSession session, string? reference, string? value, string field)
    {
        if (value is not null)
            return true;
        session.SendError(ChatErrorCode.BadRequest, $"'{field}' is required", reference);
        return false;
    }

    public static bool CheckName(ChatSession session, string? reference, string name)
    {
        if (NameRules.IsValidName(name))
            return true;
        session.SendError(ChatErrorCode.InvalidName, "a name has 2 to 24 letters, digits, '_' or '-'", reference);
        return false;
    }

    public static bool CheckColor(ChatSession session, string? reference, string? color)
    {
        if (color is null || NameRules.IsValidColor(color))
            return true;
        session.SendError(ChatErrorCode.BadRequest, "'color' must look like #3b82f6", reference);
        return false;
    }

    /// <summary>A moderation reason, normalized like message text; null when none was given.</summary>
    public static bool CheckReason(ChatSession session, string? reference, string? given, out string? reason)
    {
        reason = null;
        if (given is null)
            return true;
        reason = TextRules.Normalize(given, ModerationModule.MaxReasonLength, out string? code, out string? message);
        if (reason is not null)
            return true;
        session.SendError(code!, "reason: " + message, reference);
        return false;
    }

    /// <summary>Times kept to the millisecond, as the stores keep them, so what is sent equals what is stored.</summary>
    public static DateTime Millis(DateTime utc) => new(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);

    /// <summary>Runs one store call and records how long it took in <paramref name="histogram"/>.</summary>
    public static async Task<T> TimedAsync<T>(this LatencyHistogram histogram, Func<Task<T>> write)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        T result = await write();
        histogram.ObserveSince(started);
        return result;
    }

    public static async Task TimedAsync(this LatencyHistogram histogram, Func<Task> write)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        await write();
        histogram.ObserveSince(started);
    }
}
