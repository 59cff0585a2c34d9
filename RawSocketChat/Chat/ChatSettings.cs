namespace RawSocketChat.Chat;

/// <summary>
/// What <see cref="ChatService"/> needs to know: rate limits, text and room limits, accounts and admins. The chat
/// owns these defaults; the composition root (<c>Hosting/App.cs</c>) fills the record from the command line, whose
/// defaults are read from here.
/// </summary>
public sealed record ChatSettings
{
    // Rate limits (MessageRateLimiter)
    /// <summary>Chat messages per second per connection, and the burst above it.</summary>
    public double Rate { get; init; } = 5;
    public int Burst { get; init; } = 10;
    /// <summary>Chat messages per second per client IP, all its connections together, and the burst above it.</summary>
    public double IpRate { get; init; } = 20;
    public int IpBurst { get; init; } = 40;
    /// <summary>A client sending about 3x the rate for this long is closed with 1008.</summary>
    public TimeSpan FloodWindow { get; init; } = TimeSpan.FromSeconds(10);

    // Messages and rooms
    /// <summary>Longest message text, in characters.</summary>
    public int MaxTextLength { get; init; } = 2000;
    /// <summary>Typing notifications are relayed at most once per user per room per interval.</summary>
    public TimeSpan TypingInterval { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>Room list changes go out at most once per interval.</summary>
    public TimeSpan RoomListInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Users one message can mention; the @names past it are plain text.</summary>
    public int MaxMentions { get; init; } = 20;
    /// <summary>Where <c>unread</c> stops counting a room's messages (and mentions): a badge shows "1000+", not a scan of the room.</summary>
    public int MaxUnreadCount { get; init; } = 1000;
    /// <summary>Distinct emoji one message can carry as reactions; one more is refused with too_many_reactions.</summary>
    public int MaxReactionEmoji { get; init; } = 20;
    /// <summary>Searches per second per user (all their connections together), and the burst above it.</summary>
    public double SearchRate { get; init; } = 1;
    public int SearchBurst { get; init; } = 5;
    /// <summary>Longest search query, in characters, and the most terms (words, prefixes, phrases) it may hold.</summary>
    public int MaxSearchLength { get; init; } = 256;
    public int MaxSearchTerms { get; init; } = 8;
    /// <summary>Public rooms the server holds; creating one more is refused with too_many_rooms.</summary>
    public int MaxRooms { get; init; } = 10_000;

    // Accounts
    /// <summary>PBKDF2-HMAC-SHA256 iterations for new password hashes.</summary>
    public int Pbkdf2Iterations { get; init; } = 600_000;
    /// <summary>Lifetime of a login session token.</summary>
    public TimeSpan SessionTtl { get; init; } = TimeSpan.FromDays(30);
    /// <summary>User names that are admins, comma-separated; one without an account is reserved for the <see cref="AdminSecret"/>.</summary>
    public string Admin { get; init; } = "";
    /// <summary>The secret that registers an <see cref="Admin"/> name; empty: one is generated at start and logged once.</summary>
    public string AdminSecret { get; init; } = "";
}
