using System.Text.Json;

namespace RawSocketChat.Chat;

/// <summary>Accounts: <c>welcome</c> after login, register or resume, and <c>logged_out</c>.</summary>
public static partial class ServerMessages
{
    public static ReadOnlySpan<byte> Welcome(ChatUser user, string? token, DateTime? expiresAt, IEnumerable<RoomSummary> rooms, ChatLimits limits, string? reference)
    {
        Utf8JsonWriter writer = Begin("welcome");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        writer.WriteStartObject("user"u8);
        WriteUserFields(writer, user.Name, user.Color, user.Role);
        writer.WriteEndObject();
        if (token is not null)
            writer.WriteString("token"u8, token);
        if (expiresAt is { } expires)
            writer.WriteString("expires"u8, FormatTimestamp(expires));
        writer.WritePropertyName("rooms"u8);
        WriteRooms(writer, rooms);
        writer.WriteStartObject("limits"u8);
        writer.WriteNumber("maxTextLength"u8, limits.MaxTextLength);
        writer.WriteNumber("maxCommandBytes"u8, limits.MaxCommandBytes);
        writer.WriteNumber("maxReactionEmoji"u8, limits.MaxReactionEmoji);
        writer.WriteNumber("rate"u8, limits.Rate);
        writer.WriteNumber("burst"u8, limits.Burst);
        writer.WriteNumber("historyOnJoin"u8, limits.HistoryOnJoin);
        writer.WriteNumber("historyPageLimit"u8, limits.HistoryPageLimit);
        writer.WriteNumber("typingIntervalMs"u8, (long)limits.TypingInterval.TotalMilliseconds);
        writer.WriteEndObject();
        writer.WriteString("protocol"u8, Protocol);
        writer.WriteString("server"u8, "RawSocketChat");
        return End(writer);
    }

    /// <summary>
    /// <c>logged_out</c>: the answer to <c>logout</c>, or — with a <paramref name="reason"/> and no ref — the notice to a
    /// connection signed out because its session was revoked (<c>password_changed</c>, <c>password_reset</c>).
    /// </summary>
    public static ReadOnlySpan<byte> LoggedOut(string? reference, string? reason = null)
    {
        Utf8JsonWriter writer = Begin("logged_out");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        if (reason is not null)
            writer.WriteString("reason"u8, reason);
        return End(writer);
    }

    /// <summary>
    /// <c>user_deleted</c>, to everyone logged in: the account is gone, its messages are tombstones and its reactions
    /// removed — a client updates what it holds of them, without a message per message.
    /// </summary>
    public static ReadOnlySpan<byte> UserDeleted(string name)
    {
        Utf8JsonWriter writer = Begin("user_deleted");
        writer.WriteString("user"u8, name);
        return End(writer);
    }

    /// <summary><c>profile</c>: the user as shown now, to each of their connections.</summary>
    public static ReadOnlySpan<byte> Profile(ChatUser user, string? reference)
    {
        Utf8JsonWriter writer = Begin("profile");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        writer.WriteStartObject("user"u8);
        WriteUserFields(writer, user.Name, user.Color, user.Role);
        writer.WriteEndObject();
        return End(writer);
    }

    /// <summary><c>password_changed</c>: done; the user's other sessions (stored tokens) and connections are signed out.</summary>
    public static ReadOnlySpan<byte> PasswordChanged(int sessionsRevoked, int connectionsSignedOut, string? reference)
    {
        Utf8JsonWriter writer = Begin("password_changed");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        writer.WriteNumber("sessionsRevoked"u8, sessionsRevoked);
        writer.WriteNumber("connectionsSignedOut"u8, connectionsSignedOut);
        return End(writer);
    }

    /// <summary><c>reset</c>, to the admin only (sent uncompressed: it carries the one-time password).</summary>
    public static ReadOnlySpan<byte> PasswordReset(string user, string password, int sessionsRevoked, string? reference)
    {
        Utf8JsonWriter writer = Begin("reset");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        writer.WriteString("user"u8, user);
        writer.WriteString("password"u8, password);
        writer.WriteNumber("sessionsRevoked"u8, sessionsRevoked);
        return End(writer);
    }
}
