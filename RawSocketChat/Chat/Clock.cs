namespace RawSocketChat.Chat;

/// <summary>
/// The chat reads the time from one <see cref="TimeProvider"/> (the system's; a test's own), in two ways that must not
/// be mixed up. <b>Wall time</b> (<see cref="UtcNow"/>) is for what people read and what outlives the process: a
/// message's time, when a session, a mute or a ban ends ("muted until 10:42" is a time of day, and a restart must
/// not move it). <b>Monotonic time</b> (<see cref="Milliseconds"/>) is for measuring intervals: rate limits, the
/// login throttle, typing, search budgets. When NTP steps the wall clock, an hour forward must not refill every
/// bucket and an hour back must not freeze them; the monotonic clock never jumps. Message ids take the wall clock
/// but never go back (<see cref="Storage.MessageIdGenerator"/>), so order survives a step back too.
/// </summary>
internal static class Clock
{
    public static DateTime UtcNow(this TimeProvider time) => time.GetUtcNow().UtcDateTime;

    /// <summary>Milliseconds of the monotonic clock, from an arbitrary start.</summary>
    public static long Milliseconds(this TimeProvider time) => (long)(time.GetTimestamp() * (1000.0 / time.TimestampFrequency));
}
