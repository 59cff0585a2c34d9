namespace RawSocketChat.Storage;

/// <summary>What a user may do. Stored in lower case (<c>admin</c>, <c>moderator</c>, <c>member</c>); guests are never stored.</summary>
public enum Role { Guest, Member, Moderator, Admin }

public static class RoleNames
{
    public static string ToWire(this Role role) => role switch
    {
        Role.Admin => "admin",
        Role.Moderator => "moderator",
        Role.Member => "member",
        _ => "guest",
    };

    public static Role Parse(string value) => value switch
    {
        "admin" => Role.Admin,
        "moderator" => Role.Moderator,
        "member" => Role.Member,
        "guest" => Role.Guest,
        _ => throw new FormatException($"unknown role '{value}'"),
    };
}

/// <summary>A registered account. <see cref="Name"/> keeps the spelling chosen at registration; lookups ignore case.</summary>
public sealed record UserRecord(string Name, string PasswordHash, string Color, Role Role, DateTime CreatedAt);

/// <summary>
/// A login session. Only the SHA-256 hash of the token is stored, so a leaked database does not leak live sessions.
/// </summary>
public sealed record SessionRecord(byte[] TokenHash, string UserName, DateTime CreatedAt, DateTime ExpiresAt);

public sealed record RoomRecord(string Name, string? CreatedBy, DateTime CreatedAt);

/// <summary>A registered user who joined a room and has not left it.</summary>
public sealed record RoomMemberRecord(string Name, string Color, Role Role);

/// <summary>
/// One chat message as stored. <see cref="Id"/> is 24 lower-case hex digits that sort in send order
/// (<see cref="MessageIdGenerator"/>). <see cref="Ref"/> is the client's idempotency key: the store keeps at most one
/// message per (user, guest flag, ref), so a retried send is stored once.
/// </summary>
public sealed record MessageRecord(
    string Id,
    string Room,
    string User,
    string Color,
    string Text,
    DateTime Timestamp,
    string? Ref = null,
    bool Guest = false);

/// <summary>
/// The outcome of one append: the message now stored under its (user, ref), and whether it was already there
/// (then <see cref="Stored"/> is the earlier message, with its id, room and text, not the one just offered).
/// </summary>
public readonly record struct AppendResult(MessageRecord Stored, bool Duplicate);
