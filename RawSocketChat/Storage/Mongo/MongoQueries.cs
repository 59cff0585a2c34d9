using MongoDB.Bson;
using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>
/// Every filter, update, sort, projection and pipeline <see cref="MongoChatStore"/> sends, built in one place so
/// that the tests can render each with the driver's own serializers and compare it with the BSON it must be
/// (<c>MongoQueryRenderingTests</c>), without a server. The store builds no query anywhere else.
/// </summary>
public static class MongoQueries
{
    private static FilterDefinitionBuilder<UserDocument> UserFilter => Builders<UserDocument>.Filter;
    private static FilterDefinitionBuilder<SessionDocument> SessionFilter => Builders<SessionDocument>.Filter;
    private static FilterDefinitionBuilder<RoomDocument> RoomFilter => Builders<RoomDocument>.Filter;
    private static FilterDefinitionBuilder<MessageDocument> MessageFilter => Builders<MessageDocument>.Filter;

    /// <summary>Names are ASCII by the name rules, so lower-casing them is the whole of "ignoring case".</summary>
    public static string Key(string name) => name.ToLowerInvariant();

    /// <summary>A time as stored: UTC (an unspecified kind is taken as UTC, never as local time).</summary>
    public static DateTime Utc(DateTime time) =>
        time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime();

    // ---- users ----

    public static FilterDefinition<UserDocument> UserByName(string name) => UserFilter.Eq(u => u.NameKey, Key(name));

    /// <summary>
    /// Registration as an upsert that only ever inserts: when a user with the same <c>nameKey</c> exists, nothing
    /// changes and nothing is upserted. The unique index decides between two servers registering the same name at
    /// once; the upsert alone already keeps one server (or a server without unique indexes) from storing it twice.
    /// </summary>
    public static UpdateDefinition<UserDocument> InsertUser(UserDocument user) => Builders<UserDocument>.Update
        .SetOnInsert(u => u.Id, user.Id)
        .SetOnInsert(u => u.Name, user.Name)
        .SetOnInsert(u => u.PasswordHash, user.PasswordHash)
        .SetOnInsert(u => u.Color, user.Color)
        .SetOnInsert(u => u.Role, user.Role)
        .SetOnInsert(u => u.CreatedAt, user.CreatedAt)
        .SetOnInsert(u => u.Memberships, user.Memberships);

    public static UpdateDefinition<UserDocument> SetRole(Role role) => Builders<UserDocument>.Update.Set(u => u.Role, role.ToWire());

    public static UpdateDefinition<UserDocument> SetColor(string color) => Builders<UserDocument>.Update.Set(u => u.Color, color);

    /// <summary>The name as shown; <c>nameKey</c>, what finds it, is the same by the caller's check.</summary>
    public static UpdateDefinition<UserDocument> SetNameSpelling(string spelling) => Builders<UserDocument>.Update.Set(u => u.Name, spelling);

    public static UpdateDefinition<UserDocument> SetPasswordHash(string hash) => Builders<UserDocument>.Update.Set(u => u.PasswordHash, hash);

    /// <summary>A user's sessions, but the one with <paramref name="keep"/> (all of them when it is null).</summary>
    public static FilterDefinition<SessionDocument> SessionsOfUserExcept(string user, byte[]? keep) =>
        keep is null ? SessionFilter.Eq(s => s.UserKey, Key(user)) : SessionFilter.Eq(s => s.UserKey, Key(user)) & SessionFilter.Ne(s => s.TokenHash, keep);

    /// <summary>The user, unless already a member of the room (so a second join matches nothing and changes nothing).</summary>
    public static FilterDefinition<UserDocument> UserNotInRoom(string user, string room) =>
        UserFilter.Eq(u => u.NameKey, Key(user)) & UserFilter.Ne("memberships.room", Key(room));

    public static UpdateDefinition<UserDocument> AddMembership(string room, DateTime joinedAt) =>
        Builders<UserDocument>.Update.Push(u => u.Memberships, new MembershipDocument { Room = Key(room), JoinedAt = Utc(joinedAt) });

    public static FilterDefinition<UserDocument> UserInRoom(string user, string room) =>
        UserFilter.Eq(u => u.NameKey, Key(user)) & UserFilter.Eq("memberships.room", Key(room));

    public static UpdateDefinition<UserDocument> RemoveMembership(string room) =>
        Builders<UserDocument>.Update.PullFilter(u => u.Memberships, Builders<MembershipDocument>.Filter.Eq(m => m.Room, Key(room)));

    /// <summary>Uses the index <c>memberships.room, nameKey</c>: finds and orders a room's members without a sort in memory.</summary>
    public static FilterDefinition<UserDocument> MembersOf(string room) => UserFilter.Eq("memberships.room", Key(room));

    public static SortDefinition<UserDocument> ByUserName => Builders<UserDocument>.Sort.Ascending(u => u.NameKey);

    public static ProjectionDefinition<UserDocument> MemberFields => Builders<UserDocument>.Projection
        .Include(u => u.Name).Include(u => u.Color).Include(u => u.Role).Exclude(u => u.Id);

    // ---- sessions ----

    public static FilterDefinition<SessionDocument> SessionByHash(byte[] tokenHash) => SessionFilter.Eq(s => s.TokenHash, tokenHash);

    /// <summary>Not expired yet: the TTL monitor runs only once a minute, so expiry is also checked on every read.</summary>
    public static FilterDefinition<SessionDocument> LiveSession(byte[] tokenHash, DateTime now) =>
        SessionFilter.Eq(s => s.TokenHash, tokenHash) & SessionFilter.Gt(s => s.ExpiresAt, Utc(now));

    public static FilterDefinition<SessionDocument> ExpiredSessions(DateTime now) => SessionFilter.Lte(s => s.ExpiresAt, Utc(now));

    // ---- rooms ----

    public static FilterDefinition<RoomDocument> RoomByName(string name) => RoomFilter.Eq(r => r.NameKey, Key(name));

    /// <summary>The new topic, or the field removed when there is none (absent rather than null).</summary>
    public static UpdateDefinition<RoomDocument> SetTopic(string? topic) =>
        topic is null ? Builders<RoomDocument>.Update.Unset(r => r.Topic) : Builders<RoomDocument>.Update.Set(r => r.Topic, topic);

    /// <summary>As <see cref="InsertUser"/>: an insert-only upsert on the lower-case name.</summary>
    public static UpdateDefinition<RoomDocument> InsertRoom(RoomDocument room)
    {
        UpdateDefinition<RoomDocument> update = Builders<RoomDocument>.Update
            .SetOnInsert(r => r.Id, room.Id)
            .SetOnInsert(r => r.Name, room.Name)
            .SetOnInsert(r => r.CreatedAt, room.CreatedAt);
        if (room.Private)
            update = update.SetOnInsert(r => r.Private, true);
        return room.CreatedBy is null ? update : update.SetOnInsert(r => r.CreatedBy, room.CreatedBy);
    }

    public static FilterDefinition<RoomDocument> AllRooms => RoomFilter.Empty;

    public static SortDefinition<RoomDocument> ByRoomName => Builders<RoomDocument>.Sort.Ascending(r => r.NameKey);

    // ---- messages ----

    /// <summary>
    /// One page of history: the room's messages below <paramref name="beforeId"/>. With <see cref="NewestFirst"/> and a
    /// limit this is a keyset page read straight off the index <c>roomKey, _id</c>: no skip, no sort in memory, and the
    /// cost of a page does not grow with how far back it is.
    /// </summary>
    public static FilterDefinition<MessageDocument> History(string room, ObjectId? beforeId) => beforeId is { } before
        ? MessageFilter.Eq(m => m.RoomKey, Key(room)) & MessageFilter.Lt(m => m.Id, before)
        : MessageFilter.Eq(m => m.RoomKey, Key(room));

    public static SortDefinition<MessageDocument> NewestFirst => Builders<MessageDocument>.Sort.Descending(m => m.Id);

    public static FilterDefinition<MessageDocument> AllMessages => MessageFilter.Empty;

    public static ProjectionDefinition<MessageDocument> IdOnly => Builders<MessageDocument>.Projection.Include(m => m.Id);

    public static ProjectionDefinition<MessageDocument> IdAndText => Builders<MessageDocument>.Projection.Include(m => m.Id).Include(m => m.Text);

    /// <summary>The parents of a page's replies, by id.</summary>
    public static FilterDefinition<MessageDocument> MessagesByIds(IEnumerable<ObjectId> ids) => MessageFilter.In(m => m.Id, ids);

    /// <summary>What a reply's quote needs of its parent: who wrote it, its text, whether it is deleted.</summary>
    public static ProjectionDefinition<MessageDocument> QuoteFields =>
        Builders<MessageDocument>.Projection.Include(m => m.User).Include(m => m.Text).Include(m => m.DeletedAt);

    /// <summary>The (user, guest flag, ref) key of idempotent sends.</summary>
    public readonly record struct RefKey(string UserKey, bool Guest, string Ref);

    public static RefKey? RefOf(MessageRecord message) =>
        message.Ref is null ? null : new RefKey(Key(message.User), message.Guest, message.Ref);

    public static FilterDefinition<MessageDocument> ByRef(RefKey key) =>
        MessageFilter.Eq(m => m.UserKey, key.UserKey) & MessageFilter.Eq(m => m.Guest, key.Guest) & MessageFilter.Eq(m => m.Ref, key.Ref);

    /// <summary>
    /// The stored messages holding any of these refs, one <c>$in</c> per (user, guest flag) — each branch an
    /// equality prefix of the index <c>userKey, guest, ref</c>.
    /// </summary>
    public static FilterDefinition<MessageDocument> ByRefs(IEnumerable<RefKey> keys)
    {
        List<FilterDefinition<MessageDocument>> branches = keys
            .GroupBy(k => (k.UserKey, k.Guest))
            .OrderBy(g => g.Key.UserKey, StringComparer.Ordinal).ThenBy(g => g.Key.Guest)
            .Select(g => MessageFilter.Eq(m => m.UserKey, g.Key.UserKey) & MessageFilter.Eq(m => m.Guest, g.Key.Guest)
                & MessageFilter.In(m => m.Ref, g.Select(k => k.Ref).Distinct().Order(StringComparer.Ordinal)))
            .ToList();
        return branches.Count == 1 ? branches[0] : MessageFilter.Or(branches);
    }

    public static FilterDefinition<MessageDocument> MessageById(ObjectId id) => MessageFilter.Eq(m => m.Id, id);

    /// <summary>The message, unless deleted: edits and deletes match nothing once it is a tombstone.</summary>
    public static FilterDefinition<MessageDocument> LiveMessage(ObjectId id) =>
        MessageFilter.Eq(m => m.Id, id) & MessageFilter.Eq(m => m.DeletedAt, null);

    /// <summary>The new text, its time, and its mentions in place of the old ones (all three fields absent when it mentions nobody).</summary>
    public static UpdateDefinition<MessageDocument> Edit(string text, DateTime editedAt, MessageMentions? mentions = null)
    {
        UpdateDefinition<MessageDocument> update = Builders<MessageDocument>.Update.Set(m => m.Text, text).Set(m => m.EditedAt, Utc(editedAt))
            .Set(m => m.Words, SearchText.DistinctWords(text));
        if (mentions is null)
            return update.Unset(m => m.Mentions).Unset(m => m.MentionsRoom).Unset(m => m.MentionKeys);
        update = update.Set(m => m.Mentions, mentions.Users.ToList()).Set(m => m.MentionKeys, MentionKeys(mentions));
        return mentions.Room ? update.Set(m => m.MentionsRoom, true) : update.Unset(m => m.MentionsRoom);
    }

    /// <summary>What <c>mentionKeys</c> holds: each mentioned user's key, and <c>"@room"</c> (no name can be it) for an @room.</summary>
    public static List<string> MentionKeys(MessageMentions mentions) =>
        (mentions.Room ? ["@room"] : new List<string>()).Concat(mentions.Users.Select(Key)).ToList();

    /// <summary>
    /// A room's messages after a read position (all when <paramref name="after"/> is null) that are not deleted and
    /// not the user's own — and, with <paramref name="mentioning"/>, only those that mention the user or the room.
    /// </summary>
    public static FilterDefinition<MessageDocument> Unread(string user, string room, ObjectId? after, bool mentioning)
    {
        string userKey = Key(user);
        FilterDefinition<MessageDocument> filter = MessageFilter.Eq(m => m.RoomKey, Key(room)) & MessageFilter.Eq(m => m.DeletedAt, null)
            & MessageFilter.Not(MessageFilter.Eq(m => m.UserKey, userKey) & MessageFilter.Eq(m => m.Guest, false));
        if (after is { } id)
            filter &= MessageFilter.Gt(m => m.Id, id);
        return mentioning ? MessageFilter.In("mentionKeys", new[] { userKey, "@room" }) & filter : filter;
    }

    public static FilterDefinition<MessageDocument> UnreadMentions(string user, string room, ObjectId? after) => Unread(user, room, after, mentioning: true);

    public static FilterDefinition<ReadPositionDocument> ReadPositionsOf(string user) => Builders<ReadPositionDocument>.Filter.Eq(r => r.UserKey, Key(user));

    public static FilterDefinition<RetiredNameDocument> RetiredName(string name) => Builders<RetiredNameDocument>.Filter.Eq(r => r.NameKey, Key(name));

    /// <summary>An account's messages that are not deleted yet (a guest of the same name is someone else).</summary>
    public static FilterDefinition<MessageDocument> LiveMessagesOf(string user) =>
        MessageFilter.Eq(m => m.UserKey, Key(user)) & MessageFilter.Eq(m => m.Guest, false) & MessageFilter.Eq(m => m.DeletedAt, null);

    /// <summary>Messages with a reaction of the account.</summary>
    public static FilterDefinition<MessageDocument> ReactedBy(string user) => MessageFilter.ElemMatch(m => m.Reactions, ReactionOf(user));

    public static UpdateDefinition<MessageDocument> PullReactionsOf(string user) =>
        Builders<MessageDocument>.Update.PullFilter(m => m.Reactions, ReactionOf(user)).Inc(m => m.ReactionsVersion, 1);

    private static FilterDefinition<ReactionDocument> ReactionOf(string user) =>
        Builders<ReactionDocument>.Filter.Eq(r => r.UserKey, Key(user)) & Builders<ReactionDocument>.Filter.Eq(r => r.Guest, false);

    public static FilterDefinition<ReadPositionDocument> ReadPositionOf(string user, string room) =>
        Builders<ReadPositionDocument>.Filter.Eq(r => r.UserKey, Key(user)) & Builders<ReadPositionDocument>.Filter.Eq(r => r.RoomKey, Key(room));

    /// <summary>Forward only: <c>$max</c> keeps the greater id (ids of one length compare as text in id order).</summary>
    public static UpdateDefinition<ReadPositionDocument> MoveReadPosition(string messageId) =>
        Builders<ReadPositionDocument>.Update.Max(r => r.MessageId, messageId);

    /// <summary>
    /// The text goes for good; the document stays, so ids, pages and refs do not change. A moderator's delete of someone
    /// else's message also names the moderator; the author's own leaves the field absent.
    /// </summary>
    public static UpdateDefinition<MessageDocument> Delete(DateTime deletedAt, string? moderator = null)
    {
        UpdateDefinition<MessageDocument> update = Builders<MessageDocument>.Update.Set(m => m.Text, "").Set(m => m.DeletedAt, Utc(deletedAt))
            .Set(m => m.Words, []) // found by no search
            .Unset(m => m.Reactions) // a tombstone shows nothing anyone said about the message,
            .Unset(m => m.Mentions).Unset(m => m.MentionsRoom).Unset(m => m.MentionKeys); // and mentions nobody
        return moderator is null ? update : update.Set(m => m.DeletedByModerator, moderator);
    }

    /// <summary>
    /// The message, unless deleted, as long as its reactions are still those of version <paramref name="version"/>
    /// (version 0 is a message never reacted to: the field is absent).
    /// </summary>
    public static FilterDefinition<MessageDocument> LiveMessageAtReactionsVersion(ObjectId id, int version) =>
        LiveMessage(id) & (version == 0 ? MessageFilter.Exists(m => m.ReactionsVersion, false) : MessageFilter.Eq(m => m.ReactionsVersion, version));

    /// <summary>The whole new list and the next version, in one update: the filter above makes it a compare-and-set.</summary>
    public static UpdateDefinition<MessageDocument> SetReactions(List<ReactionDocument> reactions, int version)
    {
        var update = Builders<MessageDocument>.Update.Set(m => m.ReactionsVersion, version + 1);
        return reactions.Count == 0 ? update.Unset(m => m.Reactions) : update.Set(m => m.Reactions, reactions);
    }

    /// <summary>
    /// The live messages of <paramref name="rooms"/> with every word of the query, in the index <c>roomKey_words_id</c>:
    /// a whole word is an element of <c>words</c> (<c>$all</c>), a prefix an element starting with it (an anchored
    /// <c>$regex</c>, which an index serves as a range). Phrases need their words in order: the index finds messages
    /// with the words anywhere, <see cref="SearchQuery.Matches"/> keeps those that have them in order.
    /// </summary>
    public static FilterDefinition<MessageDocument> Search(SearchQuery query, IEnumerable<string> rooms, string? user, ObjectId? beforeId)
    {
        var filters = new List<FilterDefinition<MessageDocument>>
        {
            MessageFilter.In(m => m.RoomKey, rooms.Select(Key)),
            MessageFilter.Eq(m => m.DeletedAt, null),
        };
        string[] whole = query.Terms.SelectMany(t => t.Prefix ? t.Words.Take(t.Words.Count - 1) : t.Words).Distinct(StringComparer.Ordinal).ToArray();
        if (whole.Length > 0)
            filters.Add(MessageFilter.All(m => m.Words, whole));
        foreach (SearchTerm term in query.Terms.Where(t => t.Prefix))
            filters.Add(MessageFilter.Regex(m => m.Words, new BsonRegularExpression("^" + System.Text.RegularExpressions.Regex.Escape(term.Words[^1]))));
        if (user is not null)
            filters.Add(MessageFilter.Eq(m => m.UserKey, Key(user)));
        if (beforeId is { } before)
            filters.Add(MessageFilter.Lt(m => m.Id, before));
        return MessageFilter.And(filters);
    }

    /// <summary>Messages stored before search, not yet given their <c>words</c>.</summary>
    public static FilterDefinition<MessageDocument> WithoutWords => MessageFilter.Exists(m => m.Words, false);

    // ---- bans, mutes, moderation log ----

    public static FilterDefinition<SanctionDocument> SanctionOf(string name) => Builders<SanctionDocument>.Filter.Eq(s => s.NameKey, Key(name));

    /// <summary>
    /// Bans or mutes a name, replacing what it had: an upsert on the lower-case name, so banning twice at once leaves
    /// one document (and the unique index makes sure of it between servers). Absent fields are removed, not kept.
    /// </summary>
    public static UpdateDefinition<SanctionDocument> SetSanction(SanctionDocument sanction)
    {
        UpdateDefinitionBuilder<SanctionDocument> update = Builders<SanctionDocument>.Update;
        var parts = new List<UpdateDefinition<SanctionDocument>>
        {
            update.SetOnInsert(s => s.Id, sanction.Id),
            update.Set(s => s.Name, sanction.Name),
            update.Set(s => s.By, sanction.By),
            sanction.Reason is null ? update.Unset(s => s.Reason) : update.Set(s => s.Reason, sanction.Reason),
            update.Set(s => s.CreatedAt, Utc(sanction.CreatedAt)),
            sanction.ExpiresAt is { } expires ? update.Set(s => s.ExpiresAt, Utc(expires)) : update.Unset(s => s.ExpiresAt),
        };
        return update.Combine(parts);
    }

    /// <summary>In force at <paramref name="now"/>: no expiry, or an expiry after it.</summary>
    public static FilterDefinition<SanctionDocument> SanctionsInForce(DateTime now) => Builders<SanctionDocument>.Filter.Or(
        Builders<SanctionDocument>.Filter.Eq(s => s.ExpiresAt, null),
        Builders<SanctionDocument>.Filter.Gt(s => s.ExpiresAt, Utc(now)));

    public static SortDefinition<SanctionDocument> BySanctionName => Builders<SanctionDocument>.Sort.Ascending(s => s.NameKey);

    /// <summary>A page of the moderation log, read off the <c>_id</c> index like a page of history.</summary>
    public static FilterDefinition<ModerationDocument> ModerationLog(ObjectId? beforeId) => beforeId is { } before
        ? Builders<ModerationDocument>.Filter.Lt(e => e.Id, before)
        : Builders<ModerationDocument>.Filter.Empty;

    public static SortDefinition<ModerationDocument> NewestEntryFirst => Builders<ModerationDocument>.Sort.Descending(e => e.Id);

    // ---- statistics ----

    public static FilterDefinition<UserDocument> AllUsers => UserFilter.Empty;

    /// <summary>
    /// Messages per room, most first, then by lower-case name; a room is spelled as in its first message. The leading
    /// <c>$sort</c> is exactly the <c>roomKey_id</c> index, so the planner walks the index instead of sorting, and
    /// <c>$group</c> meets each room's messages together and oldest first.
    /// </summary>
    public static PipelineDefinition<MessageDocument, MessageCountDocument> MessagesPerRoom() =>
        PipelineDefinition<MessageDocument, MessageCountDocument>.Create(
        [
            new BsonDocument("$sort", new BsonDocument { { "roomKey", 1 }, { "_id", 1 } }),
            new BsonDocument("$group", new BsonDocument
            {
                { "_id", "$roomKey" },
                { "name", new BsonDocument("$first", "$room") },
                { "count", new BsonDocument("$sum", 1) },
            }),
            new BsonDocument("$sort", new BsonDocument { { "count", -1 }, { "_id", 1 } }),
        ]);

    /// <summary>
    /// The <paramref name="limit"/> busiest posters (limit ≥ 1): grouped by lower-case name and guest flag, most
    /// messages first, then by name, registered (false) before guest (true).
    /// </summary>
    public static PipelineDefinition<MessageDocument, MessageCountDocument> MessagesPerUser(int limit) =>
        PipelineDefinition<MessageDocument, MessageCountDocument>.Create(PosterStages(limit));

    /// <summary>
    /// The <paramref name="limit"/> busiest posters (limit ≥ 1) of one room: <see cref="MessagesPerUser"/> after a
    /// <c>$match</c> on <c>roomKey</c>, which reads just that room's messages along the <c>roomKey_id</c> index. The
    /// store runs it once per room: MongoDB 4.4 has no per-group limit ($topN is 5.2), and grouping every room's
    /// posters into one array each could pass the 16 MB a document may hold in a busy room.
    /// </summary>
    public static PipelineDefinition<MessageDocument, MessageCountDocument> MessagesPerUserInRoom(string room, int limit) =>
        PipelineDefinition<MessageDocument, MessageCountDocument>.Create(
            [new BsonDocument("$match", new BsonDocument("roomKey", Key(room))), .. PosterStages(limit)]);

    private static BsonDocument[] PosterStages(int limit) =>
    [
        new BsonDocument("$group", new BsonDocument
        {
            { "_id", new BsonDocument { { "user", "$userKey" }, { "guest", "$guest" } } },
            { "name", new BsonDocument("$min", "$user") },
            { "guest", new BsonDocument("$first", "$guest") },
            { "count", new BsonDocument("$sum", 1) },
        }),
        new BsonDocument("$sort", new BsonDocument { { "count", -1 }, { "_id.user", 1 }, { "_id.guest", 1 } }),
        new BsonDocument("$limit", limit),
    ];

    /// <summary>
    /// Messages with <paramref name="from"/> &lt;= ts &lt; <paramref name="to"/> per UTC hour, oldest first; hours
    /// without messages are absent. The window is a range on the <c>ts</c> index. The hour is
    /// <c>ts - (ts mod 3600000 ms)</c>: plain arithmetic that every server version (and the in-memory test server)
    /// evaluates alike.
    /// </summary>
    public static PipelineDefinition<MessageDocument, HourCountDocument> MessagesPerHour(DateTime from, DateTime to) =>
        PipelineDefinition<MessageDocument, HourCountDocument>.Create(
        [
            new BsonDocument("$match", new BsonDocument("ts", new BsonDocument { { "$gte", Utc(from) }, { "$lt", Utc(to) } })),
            new BsonDocument("$group", new BsonDocument
            {
                { "_id", new BsonDocument("$subtract", new BsonArray
                    { "$ts", new BsonDocument("$mod", new BsonArray { new BsonDocument("$toLong", "$ts"), 3_600_000 }) }) },
                { "count", new BsonDocument("$sum", 1) },
            }),
            new BsonDocument("$sort", new BsonDocument("_id", 1)),
        ]);
}
