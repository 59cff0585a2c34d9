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

/// <summary>
/// A room; <see cref="Topic"/> is a line its creator or a moderator set (null: none). A <see cref="Private"/> room is
/// seen and joined only by its members, who are added by invitation.
/// </summary>
public sealed record RoomRecord(string Name, string? CreatedBy, DateTime CreatedAt, string? Topic = null, bool Private = false);

/// <summary>A registered user who joined a room and has not left it.</summary>
public sealed record RoomMemberRecord(string Name, string Color, Role Role);

/// <summary>
/// One chat message as stored. <see cref="Id"/> is 24 lower-case hex digits that sort in send order
/// (<see cref="MessageIdGenerator"/>). <see cref="Ref"/> is the client's idempotency key: the store keeps at most one
/// message per (user, guest flag, ref), so a retried send is stored once.
/// <para>
/// A message can be edited (<see cref="EditedAt"/> is the last edit, <see cref="Text"/> the current text) and deleted
/// (<see cref="DeletedAt"/> is set and <see cref="Text"/> is empty: the text is removed from the store, the message
/// stays as a tombstone so that ids and pages do not shift). <see cref="DeletedByModerator"/> names the moderator who
/// deleted someone else's message; it is null when the author deleted their own.
/// </para>
/// <para>
/// A reply names the message it answers in <see cref="ReplyTo"/>, for good; <see cref="Parent"/> is that message as
/// stored now, filled by every read (null when there is no such message), so replies stay one level deep by
/// construction: a reply's parent is a message, never a thread.
/// </para>
/// </summary>
public sealed record MessageRecord(
    string Id,
    string Room,
    string User,
    string Color,
    string Text,
    DateTime Timestamp,
    string? Ref = null,
    bool Guest = false,
    DateTime? EditedAt = null,
    DateTime? DeletedAt = null,
    string? DeletedByModerator = null,
    MessageReactions? Reactions = null,
    string? ReplyTo = null,
    ReplyParent? Parent = null,
    MessageMentions? Mentions = null)
{
    public bool Deleted => DeletedAt is not null;
}

/// <summary>
/// Who a message mentions, as the chat resolved it when the text was sent or last edited: <see cref="Users"/> in the
/// spelling of their accounts (or guest names), in the order they appear; <see cref="Room"/> for an <c>@room</c> of a
/// moderator. Null on a message that mentions nobody. Stores keep it for history and for counting a user's unread
/// mentions (<see cref="IChatStore.CountUnreadAsync"/>).
/// </summary>
public sealed record MessageMentions(IReadOnlyList<string> Users, bool Room)
{
    public bool Equals(MessageMentions? other) => other is not null && Room == other.Room && Users.SequenceEqual(other.Users);
    public override int GetHashCode() => HashCode.Combine(Room, Users.Count);
}

/// <summary>Where a user has read up to in a room: the greatest message id they marked read (<c>read</c>).</summary>
public sealed record ReadPosition(string RoomKey, string MessageId);

/// <summary>A room's unread messages after a read position, each count capped: messages, and those that mention the user.</summary>
public readonly record struct UnreadCount(int Messages, int Mentions);

/// <summary>
/// The message a reply answers (<see cref="MessageRecord.ReplyTo"/>), as it is now: read with the reply, so a quote
/// follows its parent's edits and loses its text when the parent is deleted (<see cref="Text"/> is then empty).
/// </summary>
public sealed record ReplyParent(string Id, string User, string Text, bool Deleted)
{
    /// <summary>A message as the parent its replies quote (a tombstone's text is empty anyway; said here once).</summary>
    public static ReplyParent Of(MessageRecord message) =>
        new(message.Id, message.User, message.Deleted ? "" : message.Text, message.Deleted);
}

// ---- Reactions ----

/// <summary>One user's reaction to a message, as given to <see cref="IChatStore.AddReactionAsync"/>.</summary>
public sealed record ReactionRecord(string Emoji, string User, bool Guest, DateTime At);

/// <summary>One emoji on a message and who reacted with it, in the order they did (a guest by their guest name).</summary>
public sealed record Reaction(string Emoji, IReadOnlyList<string> Users)
{
    public bool Equals(Reaction? other) => other is not null && Emoji == other.Emoji && Users.SequenceEqual(other.Users);
    public override int GetHashCode() => HashCode.Combine(Emoji, Users.Count);
}

/// <summary>
/// The reactions to one message: each emoji once, in the order it was first used, with its users. Never empty: a
/// message without reactions has <see cref="MessageRecord.Reactions"/> null. Compared by value, like the record holding it.
/// </summary>
public sealed class MessageReactions : IEquatable<MessageReactions>
{
    private MessageReactions(IReadOnlyList<Reaction> items) => Items = items;

    public IReadOnlyList<Reaction> Items { get; }

    /// <summary>Groups reactions given oldest first by emoji; null when there are none.</summary>
    public static MessageReactions? Group(IEnumerable<(string Emoji, string User)> oldestFirst)
    {
        var byEmoji = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach ((string emoji, string user) in oldestFirst)
        {
            if (!byEmoji.TryGetValue(emoji, out List<string>? users))
            {
                byEmoji.Add(emoji, users = []);
                order.Add(emoji);
            }
            users.Add(user);
        }
        return order.Count == 0 ? null : new MessageReactions(order.Select(e => new Reaction(e, byEmoji[e])).ToArray());
    }

    public bool Equals(MessageReactions? other) => other is not null && Items.SequenceEqual(other.Items);
    public override bool Equals(object? obj) => Equals(obj as MessageReactions);
    public override int GetHashCode() => Items.Count;
}

/// <summary>What <see cref="IChatStore.AddReactionAsync"/> and <see cref="IChatStore.RemoveReactionAsync"/> did.</summary>
public enum ReactionStatus
{
    /// <summary>The reaction was added (or removed).</summary>
    Changed,
    /// <summary>It was already there (or was not there to remove): nothing changed.</summary>
    Unchanged,
    /// <summary>No such message, or it is deleted.</summary>
    NoSuchMessage,
    /// <summary>The message already has as many distinct emoji as allowed, and this one is new to it.</summary>
    TooManyEmoji,
}

/// <summary>The outcome of a reaction change and the message as stored afterwards (null for <see cref="ReactionStatus.NoSuchMessage"/>).</summary>
public readonly record struct ReactionOutcome(ReactionStatus Status, MessageRecord? Message);

/// <summary>
/// The outcome of one append: the message now stored under its (user, ref), and whether it was already there
/// (then <see cref="Stored"/> is the earlier message, with its id, room and text, not the one just offered).
/// </summary>
public readonly record struct AppendResult(MessageRecord Stored, bool Duplicate);

/// <summary>What <see cref="IChatStore.DeleteUserAsync"/> did: how many of the account's messages became tombstones.</summary>
public readonly record struct AccountDeletion(int MessagesDeleted);

// ---- Moderation ----

/// <summary>
/// A banned name: it cannot log in, register or resume until <see cref="ExpiresAt"/> (null: until it is lifted). The
/// name need not be registered (guest names can be banned); lookups ignore case.
/// </summary>
public sealed record BanRecord(string Name, string By, string? Reason, DateTime CreatedAt, DateTime? ExpiresAt);

/// <summary>A muted name: it cannot send, edit or write direct messages until <see cref="ExpiresAt"/>.</summary>
public sealed record MuteRecord(string Name, string By, string? Reason, DateTime CreatedAt, DateTime ExpiresAt);

/// <summary>The <c>action</c> of a <see cref="ModerationRecord"/>, as stored and as sent.</summary>
public static class ModerationAction
{
    public const string Delete = "delete";
    public const string Mute = "mute";
    public const string Unmute = "unmute";
    public const string Kick = "kick";
    public const string Ban = "ban";
    public const string Unban = "unban";
    public const string Grant = "grant";
    public const string Revoke = "revoke";
    /// <summary>A moderator removed someone else's reaction (the emoji is in the reason's place: the entry says what went).</summary>
    public const string Unreact = "unreact";
    /// <summary>An admin replaced a user's password with a one-time one and signed them out everywhere.</summary>
    public const string Reset = "reset";
    /// <summary>A moderator set the topic of a room they did not create (the new topic in the reason's place).</summary>
    public const string Topic = "topic";
    /// <summary>A moderator invited someone into a private room they are not a member of.</summary>
    public const string Invite = "invite";
}

/// <summary>
/// One entry of the moderation (audit) log. <see cref="Id"/> is assigned by the caller, like a message id (24 hex
/// digits that sort in time order); the log is read in pages by id. <see cref="Target"/> is the user acted on,
/// <see cref="Room"/> and <see cref="MessageId"/> say where, <see cref="ExpiresAt"/> when a mute or ban ends.
/// </summary>
public sealed record ModerationRecord(
    string Id,
    DateTime Timestamp,
    string Action,
    string Actor,
    string Target,
    string? Room = null,
    string? MessageId = null,
    DateTime? ExpiresAt = null,
    string? Reason = null);

// ---- Statistics ----

/// <summary>How many messages a room holds (deleted ones included). <see cref="Room"/> is spelled as in one of its messages.</summary>
public readonly record struct RoomMessageCount(string Room, long Messages);

/// <summary>
/// How many messages one poster sent. A guest and an account with the same name are different posters;
/// <see cref="User"/> is spelled as in one of their messages.
/// </summary>
public readonly record struct UserMessageCount(string User, bool Guest, long Messages);

/// <summary>
/// How many messages one poster sent in one room (deleted ones included): <see cref="UserMessageCount"/> within a room.
/// <see cref="Room"/> is spelled as the caller named it, <see cref="User"/> as in one of the poster's messages there.
/// </summary>
public readonly record struct RoomUserMessageCount(string Room, string User, bool Guest, long Messages);

/// <summary>How many messages were sent in the UTC hour that starts at <see cref="Hour"/>.</summary>
public readonly record struct HourMessageCount(DateTime Hour, long Messages);
