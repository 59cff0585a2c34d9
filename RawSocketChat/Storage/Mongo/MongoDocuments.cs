using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;

namespace RawSocketChat.Storage.Mongo;

// The documents of the MongoDB store, one class per collection, mapped with attributes so that each stored name is
// written next to its property (docs/storage.md shows the shapes). Conventions:
// - field names are camelCase, written out explicitly (a rename of a C# property never renames stored data);
// - every _id is an ObjectId, which sorts in creation order (a message's is its message id);
// - dates are BSON dates (UTC milliseconds) and come back as DateTimeKind.Utc;
// - `...Key` fields hold the lower-case name that uniqueness and lookups use; the display spelling is kept beside it;
// - unknown fields are ignored, so a newer server can add fields without breaking an older one reading the data.

/// <summary>A registered account (<c>users</c>), with the rooms it is a lasting member of.</summary>
[BsonIgnoreExtraElements]
public sealed class UserDocument
{
    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("name")] public string Name { get; set; } = "";
    /// <summary>Lower-case <see cref="Name"/>: the unique index that makes names unique ignoring case.</summary>
    [BsonElement("nameKey")] public string NameKey { get; set; } = "";
    [BsonElement("passwordHash")] public string PasswordHash { get; set; } = "";
    [BsonElement("color")] public string Color { get; set; } = "";
    /// <summary><c>member</c>, <c>moderator</c> or <c>admin</c> (<see cref="RoleNames"/>).</summary>
    [BsonElement("role")] public string Role { get; set; } = "";
    [BsonElement("createdAt"), BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime CreatedAt { get; set; }
    /// <summary>
    /// Lasting room memberships. Kept on the user (a handful per user) rather than on the room (unbounded per room), so
    /// joining and leaving are single-document atomic updates and a room's members come back with their current color
    /// and role from one indexed query.
    /// </summary>
    [BsonElement("memberships")] public List<MembershipDocument> Memberships { get; set; } = [];
}

/// <summary>One entry of <see cref="UserDocument.Memberships"/>.</summary>
[BsonIgnoreExtraElements]
public sealed class MembershipDocument
{
    /// <summary>The room's lower-case name.</summary>
    [BsonElement("room")] public string Room { get; set; } = "";
    [BsonElement("joinedAt"), BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime JoinedAt { get; set; }
}

/// <summary>A login session (<c>sessions</c>): only the SHA-256 of the token is stored.</summary>
[BsonIgnoreExtraElements]
public sealed class SessionDocument
{
    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("tokenHash")] public byte[] TokenHash { get; set; } = [];
    [BsonElement("userKey")] public string UserKey { get; set; } = "";
    [BsonElement("createdAt"), BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime CreatedAt { get; set; }
    /// <summary>The TTL index on this field lets MongoDB delete expired sessions by itself.</summary>
    [BsonElement("expiresAt"), BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime ExpiresAt { get; set; }
}

/// <summary>A room (<c>rooms</c>).</summary>
[BsonIgnoreExtraElements]
public sealed class RoomDocument
{
    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("name")] public string Name { get; set; } = "";
    [BsonElement("nameKey")] public string NameKey { get; set; } = "";
    [BsonElement("createdBy"), BsonIgnoreIfNull] public string? CreatedBy { get; set; }
    [BsonElement("createdAt"), BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime CreatedAt { get; set; }
    [BsonElement("topic"), BsonIgnoreIfNull] public string? Topic { get; set; }
    /// <summary>Seen and joined by its members only; absent for a public room.</summary>
    [BsonElement("private"), BsonIgnoreIfDefault] public bool Private { get; set; }
}

/// <summary>One chat message (<c>messages</c>). Its <see cref="Id"/> is the message id, so <c>_id</c> order is send order.</summary>
[BsonIgnoreExtraElements]
public sealed class MessageDocument
{
    [BsonId] public ObjectId Id { get; set; }
    /// <summary>The room's spelling when the message was sent.</summary>
    [BsonElement("room")] public string Room { get; set; } = "";
    [BsonElement("roomKey")] public string RoomKey { get; set; } = "";
    /// <summary>The sender's name as shown (a guest's or an account's).</summary>
    [BsonElement("user")] public string User { get; set; } = "";
    [BsonElement("userKey")] public string UserKey { get; set; } = "";
    /// <summary>Guests and accounts are different people even with the same name: part of the <c>ref</c> key.</summary>
    [BsonElement("guest")] public bool Guest { get; set; }
    [BsonElement("color")] public string Color { get; set; } = "";
    [BsonElement("text")] public string Text { get; set; } = "";
    [BsonElement("ts"), BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime Timestamp { get; set; }
    /// <summary>The client's idempotency key; absent when the client sent none (then it never matches).</summary>
    [BsonElement("ref"), BsonIgnoreIfNull] public string? Ref { get; set; }
    /// <summary>When the text was last replaced; absent when never edited.</summary>
    [BsonElement("editedAt"), BsonIgnoreIfNull, BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime? EditedAt { get; set; }
    /// <summary>Set when the message was deleted: the text is then empty for good, the document stays as a tombstone.</summary>
    [BsonElement("deletedAt"), BsonIgnoreIfNull, BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime? DeletedAt { get; set; }
    /// <summary>The moderator who deleted someone else's message; absent when its author deleted it (or it is not deleted).</summary>
    [BsonElement("deletedByModerator"), BsonIgnoreIfNull] public string? DeletedByModerator { get; set; }
    /// <summary>
    /// One entry per (user, guest flag, emoji), in the order given; absent when there are none. Embedded, as
    /// Rocket.Chat does: a history page needs no second query, and deleting the message takes them with it.
    /// </summary>
    [BsonElement("reactions"), BsonIgnoreIfNull] public List<ReactionDocument>? Reactions { get; set; }
    /// <summary>
    /// Bumped by every reaction change, which is conditional on the value it read: the optimistic lock that keeps the
    /// emoji limit and the one-per-user rule under concurrent changes, with updates every MongoDB-compatible server has.
    /// Absent until the first change.
    /// </summary>
    [BsonElement("reactionsVersion"), BsonIgnoreIfDefault] public int ReactionsVersion { get; set; }
    /// <summary>The message this one replies to; absent for the rest. The quote is read from that message, never copied.</summary>
    [BsonElement("replyTo"), BsonIgnoreIfNull] public ObjectId? ReplyTo { get; set; }
    /// <summary>Who the message mentions, as shown (absent: nobody); <see cref="MentionsRoom"/> for an <c>@room</c>.</summary>
    [BsonElement("mentions"), BsonIgnoreIfNull] public List<string>? Mentions { get; set; }
    [BsonElement("mentionsRoom"), BsonIgnoreIfDefault] public bool MentionsRoom { get; set; }
    /// <summary>The same as lower-case keys, with <c>"@room"</c> for an @room: what unread mention counts match on (indexed).</summary>
    [BsonElement("mentionKeys"), BsonIgnoreIfNull] public List<string>? MentionKeys { get; set; }
    /// <summary>
    /// The distinct folded words of the text (<see cref="SearchText"/>), indexed for <c>search</c>; empty for a
    /// tombstone. Absent only on a message stored before search, until the start-up backfill reaches it.
    /// </summary>
    [BsonElement("words"), BsonIgnoreIfNull] public List<string>? Words { get; set; }
}

/// <summary>The name of a deleted account (<c>retired_names</c>), which is never registered again.</summary>
public sealed class RetiredNameDocument
{
    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("name")] public string Name { get; set; } = "";
    [BsonElement("nameKey")] public string NameKey { get; set; } = "";
    [BsonElement("retiredAt"), BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime RetiredAt { get; set; }
}

/// <summary>A one-time data migration that has run (<c>migrations</c>): its name, and when.</summary>
public sealed class MigrationDocument
{
    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("name")] public string Name { get; set; } = "";
    [BsonElement("at"), BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime At { get; set; }
}

/// <summary>Where a registered user has read up to in a room (<c>read_positions</c>): one document per (user, room).</summary>
[BsonIgnoreExtraElements]
public sealed class ReadPositionDocument
{
    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("userKey")] public string UserKey { get; set; } = "";
    [BsonElement("roomKey")] public string RoomKey { get; set; } = "";
    [BsonElement("messageId")] public string MessageId { get; set; } = "";
}

/// <summary>One user's reaction, embedded in its <see cref="MessageDocument"/>.</summary>
[BsonIgnoreExtraElements]
public sealed class ReactionDocument
{
    [BsonElement("emoji")] public string Emoji { get; set; } = "";
    [BsonElement("user")] public string User { get; set; } = "";
    [BsonElement("userKey")] public string UserKey { get; set; } = "";
    [BsonElement("guest")] public bool Guest { get; set; }
    [BsonElement("at"), BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime At { get; set; }
}

/// <summary>
/// A ban (<c>bans</c>) or a mute (<c>mutes</c>) of a name, registered or not: one document per lower-case name,
/// replaced when the name is banned or muted again.
/// </summary>
[BsonIgnoreExtraElements]
public sealed class SanctionDocument
{
    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("name")] public string Name { get; set; } = "";
    [BsonElement("nameKey")] public string NameKey { get; set; } = "";
    /// <summary>The moderator's name.</summary>
    [BsonElement("by")] public string By { get; set; } = "";
    [BsonElement("reason"), BsonIgnoreIfNull] public string? Reason { get; set; }
    [BsonElement("createdAt"), BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime CreatedAt { get; set; }
    /// <summary>Absent for a ban until lifted (mutes always end). The TTL index removes the document some time after.</summary>
    [BsonElement("expiresAt"), BsonIgnoreIfNull, BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime? ExpiresAt { get; set; }
}

/// <summary>One entry of the moderation audit log (<c>moderation_log</c>); its <c>_id</c> is the caller's 24-hex id.</summary>
[BsonIgnoreExtraElements]
public sealed class ModerationDocument
{
    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("ts"), BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime Timestamp { get; set; }
    /// <summary>One of <see cref="ModerationAction"/>.</summary>
    [BsonElement("action")] public string Action { get; set; } = "";
    [BsonElement("actor")] public string Actor { get; set; } = "";
    [BsonElement("target")] public string Target { get; set; } = "";
    [BsonElement("room"), BsonIgnoreIfNull] public string? Room { get; set; }
    [BsonElement("messageId"), BsonIgnoreIfNull] public string? MessageId { get; set; }
    [BsonElement("expiresAt"), BsonIgnoreIfNull, BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime? ExpiresAt { get; set; }
    [BsonElement("reason"), BsonIgnoreIfNull] public string? Reason { get; set; }
}

/// <summary>
/// One row of <see cref="MongoQueries.MessagesPerRoom"/>, <see cref="MongoQueries.MessagesPerUser"/> or
/// <see cref="MongoQueries.MessagesPerUserInRoom"/>.
/// </summary>
[BsonIgnoreExtraElements]
public sealed class MessageCountDocument
{
    /// <summary>The group key: the room's lower-case name, or <c>{ user, guest }</c>.</summary>
    [BsonId] public BsonValue Key { get; set; } = BsonNull.Value;
    /// <summary>The room's or sender's spelling.</summary>
    [BsonElement("name")] public string Name { get; set; } = "";
    [BsonElement("guest"), BsonIgnoreIfDefault] public bool Guest { get; set; }
    [BsonElement("count")] public long Count { get; set; }
}

/// <summary>One row of <see cref="MongoQueries.MessagesPerHour"/>.</summary>
[BsonIgnoreExtraElements]
public sealed class HourCountDocument
{
    /// <summary>The start of the hour, UTC.</summary>
    [BsonId, BsonDateTimeOptions(Kind = DateTimeKind.Utc)] public DateTime Hour { get; set; }
    [BsonElement("count")] public long Count { get; set; }
}
