using MongoDB.Bson;
using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>
/// The collections and their indexes, created at every start-up. <c>createIndexes</c> with a name and keys that
/// already exist with the same options does nothing, so this is idempotent; an index of the same name with other
/// options fails start-up loudly (MongoDB refuses it) rather than leaving a wrong index in place. docs/storage.md says
/// why each index exists.
/// </summary>
public static class MongoIndexes
{
    public const string Users = "users";
    public const string Sessions = "sessions";
    public const string Rooms = "rooms";
    public const string Messages = "messages";
    public const string ModerationLog = "moderation_log";
    public const string Bans = "bans";
    public const string Mutes = "mutes";
    public const string ReadPositions = "read_positions";
    public const string Migrations = "migrations";
    public const string RetiredNames = "retired_names";

    /// <summary>Names are unique ignoring case: one account per lower-case name.</summary>
    public static CreateIndexModel<UserDocument> UserName { get; } = new(
        Builders<UserDocument>.IndexKeys.Ascending(u => u.NameKey),
        new CreateIndexOptions { Name = "nameKey_unique", Unique = true });

    /// <summary>A room's members, already in name order (<see cref="MongoQueries.MembersOf"/>).</summary>
    public static CreateIndexModel<UserDocument> UserMemberships { get; } = new(
        Builders<UserDocument>.IndexKeys.Ascending("memberships.room").Ascending(u => u.NameKey),
        new CreateIndexOptions { Name = "memberships_room_nameKey" });

    /// <summary>A session is looked up by the hash of its token, never by anything else.</summary>
    public static CreateIndexModel<SessionDocument> SessionToken { get; } = new(
        Builders<SessionDocument>.IndexKeys.Ascending(s => s.TokenHash),
        new CreateIndexOptions { Name = "tokenHash_unique", Unique = true });

    /// <summary>MongoDB deletes a session once <c>expiresAt</c> has passed (the TTL monitor runs about once a minute).</summary>
    public static CreateIndexModel<SessionDocument> SessionExpiry { get; } = new(
        Builders<SessionDocument>.IndexKeys.Ascending(s => s.ExpiresAt),
        new CreateIndexOptions { Name = "expiresAt_ttl", ExpireAfter = TimeSpan.Zero });

    public static CreateIndexModel<RoomDocument> RoomName { get; } = new(
        Builders<RoomDocument>.IndexKeys.Ascending(r => r.NameKey),
        new CreateIndexOptions { Name = "nameKey_unique", Unique = true });

    /// <summary>Keyset history paging: a room's messages in id (= send) order (<see cref="MongoQueries.History"/>).</summary>
    public static CreateIndexModel<MessageDocument> MessageHistory { get; } = new(
        Builders<MessageDocument>.IndexKeys.Ascending(m => m.RoomKey).Ascending(m => m.Id),
        new CreateIndexOptions { Name = "roomKey_id" });

    /// <summary>
    /// Idempotent sends: at most one message per (user, guest flag, ref). Partial — only messages that carry a ref are
    /// in it — so sends without a ref never collide and cost no index entry. A retry that races the original is
    /// refused by this index, whichever server it reached.
    /// </summary>
    public static CreateIndexModel<MessageDocument> MessageRef { get; } = new(
        Builders<MessageDocument>.IndexKeys.Ascending(m => m.UserKey).Ascending(m => m.Guest).Ascending(m => m.Ref),
        new CreateIndexOptions<MessageDocument>
        {
            Name = "userKey_guest_ref_unique",
            Unique = true,
            PartialFilterExpression = Builders<MessageDocument>.Filter.Type(m => m.Ref, BsonType.String),
        });

    /// <summary>Messages per hour over a time window (<see cref="MongoQueries.MessagesPerHour"/>): a range on <c>ts</c>.</summary>
    public static CreateIndexModel<MessageDocument> MessageTime { get; } = new(
        Builders<MessageDocument>.IndexKeys.Ascending(m => m.Timestamp),
        new CreateIndexOptions { Name = "ts" });

    /// <summary>A user's sessions, all revoked at once by a password change or an admin's reset.</summary>
    public static CreateIndexModel<SessionDocument> SessionUser { get; } = new(
        Builders<SessionDocument>.IndexKeys.Ascending(s => s.UserKey),
        new CreateIndexOptions { Name = "userKey" });

    /// <summary>A user's unread mentions in a room, counted off this index (<see cref="MongoQueries.UnreadMentions"/>).</summary>
    public static CreateIndexModel<MessageDocument> MessageMentions { get; } = new(
        Builders<MessageDocument>.IndexKeys.Ascending(m => m.MentionKeys).Ascending(m => m.RoomKey).Ascending(m => m.Id),
        new CreateIndexOptions { Name = "mentionKeys_roomKey_id" });

    /// <summary>
    /// Search (<see cref="MongoQueries.Search"/>): one entry per distinct word of each message, by room, newest first
    /// within a word. Our own word index rather than a MongoDB text index: <c>$text</c> has no prefix search, stems
    /// by language (so it would find what the SQLite store does not), and the in-memory test server lacks it.
    /// </summary>
    public static CreateIndexModel<MessageDocument> MessageWords { get; } = new(
        Builders<MessageDocument>.IndexKeys.Ascending(m => m.RoomKey).Ascending(m => m.Words).Descending(m => m.Id),
        new CreateIndexOptions { Name = "roomKey_words_id" });

    /// <summary>A deleted account's name, looked up by every registration and guest login.</summary>
    public static CreateIndexModel<RetiredNameDocument> RetiredName { get; } = new(
        Builders<RetiredNameDocument>.IndexKeys.Ascending(r => r.NameKey),
        new CreateIndexOptions { Name = "nameKey_unique", Unique = true });

    /// <summary>One read position per (user, room): <c>read</c> is an upsert on this key.</summary>
    public static CreateIndexModel<ReadPositionDocument> ReadPosition { get; } = new(
        Builders<ReadPositionDocument>.IndexKeys.Ascending(r => r.UserKey).Ascending(r => r.RoomKey),
        new CreateIndexOptions { Name = "userKey_roomKey_unique", Unique = true });

    /// <summary>One ban (or mute) per name ignoring case; setting it again replaces it (an upsert on this key).</summary>
    public static CreateIndexModel<SanctionDocument> SanctionName { get; } = new(
        Builders<SanctionDocument>.IndexKeys.Ascending(s => s.NameKey),
        new CreateIndexOptions { Name = "nameKey_unique", Unique = true });

    /// <summary>
    /// Expired bans and mutes are removed by MongoDB; a ban without <c>expiresAt</c> is not (TTL skips documents
    /// without the field). Reads check the expiry themselves, so the minute the TTL monitor may lag changes nothing.
    /// </summary>
    public static CreateIndexModel<SanctionDocument> SanctionExpiry { get; } = new(
        Builders<SanctionDocument>.IndexKeys.Ascending(s => s.ExpiresAt),
        new CreateIndexOptions { Name = "expiresAt_ttl", ExpireAfter = TimeSpan.Zero });

    /// <summary>Creates the collections' indexes (and with them the collections).</summary>
    public static async Task EnsureAsync(IMongoDatabase database, CancellationToken cancellationToken, bool ttl = true)
    {
        await database.GetCollection<UserDocument>(Users).Indexes.CreateManyAsync([UserName, UserMemberships], cancellationToken);
        await database.GetCollection<SessionDocument>(Sessions).Indexes.CreateManyAsync(ttl ? [SessionToken, SessionExpiry, SessionUser] : [SessionToken, SessionUser], cancellationToken);
        await database.GetCollection<RoomDocument>(Rooms).Indexes.CreateManyAsync([RoomName], cancellationToken);
        await database.GetCollection<MessageDocument>(Messages).Indexes.CreateManyAsync([MessageHistory, MessageRef, MessageTime, MessageMentions, MessageWords], cancellationToken);
        await database.GetCollection<ReadPositionDocument>(ReadPositions).Indexes.CreateManyAsync([ReadPosition], cancellationToken);
        await database.GetCollection<RetiredNameDocument>(RetiredNames).Indexes.CreateManyAsync([RetiredName], cancellationToken);
        await database.GetCollection<SanctionDocument>(Bans).Indexes.CreateManyAsync(ttl ? [SanctionName, SanctionExpiry] : [SanctionName], cancellationToken);
        await database.GetCollection<SanctionDocument>(Mutes).Indexes.CreateManyAsync(ttl ? [SanctionName, SanctionExpiry] : [SanctionName], cancellationToken);
        // moderation_log needs only its _id index: pages are read by id, like history.
    }
}
