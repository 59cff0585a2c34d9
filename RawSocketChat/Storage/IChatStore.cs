namespace RawSocketChat.Storage;

/// <summary>
/// Everything the chat keeps across restarts. The chat layer only talks to this interface; the embedded default is
/// <see cref="SqliteChatStore"/>, and every implementation must pass the same conformance suite
/// (<c>RawSocketChat.Tests/Storage/StoreConformanceTests.cs</c>).
/// <para>
/// Contract shared by all implementations:
/// <list type="bullet">
/// <item>User and room names are unique ignoring case (ASCII letters only, by the name rules); every lookup by
/// name ignores case, and records keep the spelling they were created with.</item>
/// <item>Times are UTC with millisecond precision (finer parts are dropped).</item>
/// <item>Message ids and moderation-log ids are assigned by the caller (<see cref="MessageIdGenerator"/>); the store
/// orders by id.</item>
/// <item>A method returns only after its change is durable.</item>
/// <item>Methods are safe to call concurrently.</item>
/// <item>Every message read back carries its reactions and, for a reply, its parent as it is now.</item>
/// </list>
/// </para>
/// <para>
/// The members are grouped by area, and each implementation has one file per area, named alike on both sides: users
/// and sessions in <c>….Accounts.cs</c>, then <c>.Rooms.cs</c>, <c>.Messages.cs</c>, <c>.Moderation.cs</c> and
/// <c>.Stats.cs</c> (<c>SqliteChatStore.Messages.cs</c>, <c>Mongo/MongoChatStore.Messages.cs</c>, …).
/// </para>
/// </summary>
public interface IChatStore : IAsyncDisposable
{
    // ---- Accounts: users ----

    /// <summary>Adds a user; false when the name is taken (ignoring case).</summary>
    Task<bool> CreateUserAsync(UserRecord user, CancellationToken cancellationToken = default);

    Task<UserRecord?> FindUserAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Changes a user's role; false when there is no such user.</summary>
    Task<bool> SetUserRoleAsync(string name, Role role, CancellationToken cancellationToken = default);

    /// <summary>Changes a user's color; false when there is no such user.</summary>
    Task<bool> SetUserColorAsync(string name, string color, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes an account, for good, as its user asked: every message it sent becomes a tombstone deleted by its
    /// author (text, mentions and reactions gone; ids and refs stay, so pages do not shift), its reactions on others'
    /// messages go, and so do its sessions, memberships and read positions. The name is retired: it can never be
    /// registered again (<see cref="CreateUserAsync"/> refuses it) and <see cref="IsNameRetiredAsync"/> says so, because
    /// what is keyed by a name — direct conversations, refs, mentions — must not pass to a stranger. Null when there is
    /// no such user.
    /// </summary>
    Task<AccountDeletion?> DeleteUserAsync(string name, DateTime deletedAt, CancellationToken cancellationToken = default);

    /// <summary>Whether the name belonged to an account that was deleted (any spelling).</summary>
    Task<bool> IsNameRetiredAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes how a user's name is spelled (<paramref name="spelling"/> is the same name in other case, which the
    /// caller checked); false when there is no such user. Messages keep the spelling they were sent with.
    /// </summary>
    Task<bool> SetUserNameSpellingAsync(string name, string spelling, CancellationToken cancellationToken = default);

    /// <summary>Replaces a user's password hash; false when there is no such user.</summary>
    Task<bool> SetPasswordHashAsync(string name, string passwordHash, CancellationToken cancellationToken = default);

    // ---- Accounts: sessions ----

    Task CreateSessionAsync(SessionRecord session, CancellationToken cancellationToken = default);

    /// <summary>The session with this token hash, or null when there is none or it expired before <paramref name="now"/>.</summary>
    Task<SessionRecord?> FindSessionAsync(byte[] tokenHash, DateTime now, CancellationToken cancellationToken = default);

    /// <summary>Revokes a session; false when there was none.</summary>
    Task<bool> DeleteSessionAsync(byte[] tokenHash, CancellationToken cancellationToken = default);

    /// <summary>
    /// Revokes every session of a user but the one with <paramref name="keepTokenHash"/> (none kept when null): after a
    /// password change, or an admin's reset. Returns how many were revoked.
    /// </summary>
    Task<int> DeleteUserSessionsAsync(string name, byte[]? keepTokenHash, CancellationToken cancellationToken = default);

    /// <summary>Deletes sessions that expired before <paramref name="now"/>; returns how many.</summary>
    Task<int> DeleteExpiredSessionsAsync(DateTime now, CancellationToken cancellationToken = default);

    // ---- Rooms ----

    /// <summary>Adds a room; false when the name is taken (ignoring case).</summary>
    Task<bool> CreateRoomAsync(RoomRecord room, CancellationToken cancellationToken = default);

    Task<RoomRecord?> FindRoomAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>All rooms, by name.</summary>
    Task<IReadOnlyList<RoomRecord>> ListRoomsAsync(CancellationToken cancellationToken = default);

    /// <summary>Sets a room's topic (null clears it); false when there is no such room.</summary>
    Task<bool> SetRoomTopicAsync(string room, string? topic, CancellationToken cancellationToken = default);

    /// <summary>Makes a registered user a lasting member of a room; false when already a member.</summary>
    Task<bool> AddRoomMemberAsync(string room, string user, DateTime joinedAt, CancellationToken cancellationToken = default);

    /// <summary>Ends a membership; false when the user was not a member.</summary>
    Task<bool> RemoveRoomMemberAsync(string room, string user, CancellationToken cancellationToken = default);

    /// <summary>The registered members of a room, with their current color and role, by name.</summary>
    Task<IReadOnlyList<RoomMemberRecord>> ListRoomMembersAsync(string room, CancellationToken cancellationToken = default);

    // ---- Messages ----

    /// <summary>
    /// Stores a batch of messages atomically (one transaction), in order, with their <see cref="MessageRecord.ReplyTo"/>
    /// (the result carries the offered <see cref="MessageRecord.Parent"/>: the caller checked it). A message whose (user, guest flag, ref)
    /// is already stored — earlier or in the same batch — is not stored again: its result is the earlier message
    /// with <see cref="AppendResult.Duplicate"/> set. Returns one result per message, in the same order.
    /// </summary>
    Task<IReadOnlyList<AppendResult>> AppendMessagesAsync(IReadOnlyList<MessageRecord> messages, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> messages of a room with ids below <paramref name="beforeId"/> (or the latest
    /// ones when it is null): the newest such messages, returned oldest first.
    /// </summary>
    Task<IReadOnlyList<MessageRecord>> GetMessagesAsync(string room, string? beforeId, int limit, CancellationToken cancellationToken = default);

    /// <summary>The greatest message id stored, to seed the id generator after a restart.</summary>
    Task<string?> GetLatestMessageIdAsync(CancellationToken cancellationToken = default);

    /// <summary>The message with this id, deleted or not; null when there is none.</summary>
    Task<MessageRecord?> FindMessageAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the text of a message that is not deleted, and its mentions with <paramref name="mentions"/> (the new
    /// text's), and sets its <see cref="MessageRecord.EditedAt"/>. Returns the message as it is now stored, or null when
    /// there is no such message or it was deleted. Everything else (id, room, user, timestamp, ref) stays.
    /// </summary>
    Task<MessageRecord?> EditMessageAsync(string id, string text, DateTime editedAt, MessageMentions? mentions = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes a message: its text is removed for good (stored as empty) and <see cref="MessageRecord.DeletedAt"/> is
    /// set; the message stays in place, so history pages and idempotent refs are unchanged. <paramref name="moderator"/>
    /// is who deleted it when that was not its author (kept as <see cref="MessageRecord.DeletedByModerator"/>); null
    /// when the author did. Returns the message as it is now stored, or null when there is no such message or it was
    /// already deleted.
    /// </summary>
    Task<MessageRecord?> DeleteMessageAsync(string id, DateTime deletedAt, string? moderator = null, CancellationToken cancellationToken = default);

    // ---- Search ----

    /// <summary>
    /// Up to <paramref name="limit"/> messages of <paramref name="rooms"/> that contain every term of
    /// <paramref name="query"/> (words, prefixes, phrases; case and accents ignored, by <see cref="SearchText"/>),
    /// newest first, stored before <paramref name="beforeId"/> when it is given, by <paramref name="user"/> (any
    /// spelling) when it is given. Deleted messages are never found: their text is gone.
    /// </summary>
    Task<IReadOnlyList<MessageRecord>> SearchMessagesAsync(SearchQuery query, IReadOnlyCollection<string> rooms, string? user, string? beforeId,
        int limit, CancellationToken cancellationToken = default);

    // ---- Reactions (returned with their message, in MessageRecord.Reactions) ----

    /// <summary>
    /// Adds a user's reaction to a message that is not deleted: one per (user, guest flag, emoji), at most
    /// <paramref name="maxEmoji"/> distinct emoji per message. Atomic: concurrent callers never push a message past
    /// the limit or store a reaction twice. Deleting the message removes its reactions.
    /// </summary>
    Task<ReactionOutcome> AddReactionAsync(string messageId, ReactionRecord reaction, int maxEmoji, CancellationToken cancellationToken = default);

    /// <summary>Removes a user's reaction; <see cref="ReactionStatus.Unchanged"/> when they had not reacted so.</summary>
    Task<ReactionOutcome> RemoveReactionAsync(string messageId, string emoji, string user, bool guest, CancellationToken cancellationToken = default);

    // ---- Read positions (registered users only: guests are never stored) ----

    /// <summary>
    /// Moves a user's read position in a room forward to <paramref name="messageId"/>; never back (a device that was
    /// offline reporting an older id changes nothing). Returns the position now stored.
    /// </summary>
    Task<string> MarkReadAsync(string user, string room, string messageId, CancellationToken cancellationToken = default);

    /// <summary>Every read position of a user, by room key.</summary>
    Task<IReadOnlyList<ReadPosition>> GetReadPositionsAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>
    /// A room's messages after <paramref name="afterId"/> (all of them when null) that the user did not write and that
    /// are not deleted, and those of them that mention the user or the room; each count stops at <paramref name="cap"/>.
    /// </summary>
    Task<UnreadCount> CountUnreadAsync(string user, string room, string? afterId, int cap, CancellationToken cancellationToken = default);

    // ---- Moderation ----

    /// <summary>Bans a name, replacing any ban it had (names ignore case; the name need not be registered).</summary>
    Task SetBanAsync(BanRecord ban, CancellationToken cancellationToken = default);

    /// <summary>Lifts the ban of a name; false when it had none (an expired ban counts as none).</summary>
    Task<bool> RemoveBanAsync(string name, DateTime now, CancellationToken cancellationToken = default);

    /// <summary>The bans still in force at <paramref name="now"/> (no expiry, or expiring after it), by name.</summary>
    Task<IReadOnlyList<BanRecord>> ListBansAsync(DateTime now, CancellationToken cancellationToken = default);

    /// <summary>Mutes a name, replacing any mute it had.</summary>
    Task SetMuteAsync(MuteRecord mute, CancellationToken cancellationToken = default);

    /// <summary>Lifts the mute of a name; false when it had none (an expired mute counts as none).</summary>
    Task<bool> RemoveMuteAsync(string name, DateTime now, CancellationToken cancellationToken = default);

    /// <summary>The mutes still in force at <paramref name="now"/> (expiring after it), by name.</summary>
    Task<IReadOnlyList<MuteRecord>> ListMutesAsync(DateTime now, CancellationToken cancellationToken = default);

    /// <summary>Appends an entry to the moderation log. Ids are assigned by the caller and unique.</summary>
    Task AppendModerationAsync(ModerationRecord entry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> log entries with ids below <paramref name="beforeId"/> (or the latest ones when it
    /// is null): the newest such entries, returned oldest first — the paging of <see cref="GetMessagesAsync"/>.
    /// </summary>
    Task<IReadOnlyList<ModerationRecord>> GetModerationLogAsync(string? beforeId, int limit, CancellationToken cancellationToken = default);

    // ---- Statistics (aggregates over what is stored, computed when asked) ----

    /// <summary>How many registered users there are.</summary>
    Task<long> CountUsersAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Messages per room (deleted ones included), for every room that has messages — rooms are grouped ignoring case —
    /// most messages first, then by room name (lower case, ordinal).
    /// </summary>
    Task<IReadOnlyList<RoomMessageCount>> CountMessagesPerRoomAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The <paramref name="limit"/> posters with the most messages (deleted ones included), grouped by user name
    /// ignoring case and by the guest flag: most messages first, then by name (lower case, ordinal), registered before
    /// guest.
    /// </summary>
    Task<IReadOnlyList<UserMessageCount>> CountMessagesPerUserAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// For each of <paramref name="rooms"/> (ignoring case), its <paramref name="limit"/> posters with the most messages
    /// there (deleted ones included), grouped as <see cref="CountMessagesPerUserAsync"/> groups them. Ordered by room
    /// (lower case, ordinal), then most messages first, then by name (lower case, ordinal), registered before guest. A
    /// room without messages has no rows.
    /// </summary>
    Task<IReadOnlyList<RoomUserMessageCount>> CountMessagesPerRoomAndUserAsync(IReadOnlyCollection<string> rooms, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Messages with <paramref name="from"/> &lt;= timestamp &lt; <paramref name="to"/>, counted per UTC hour (the hour
    /// a message's timestamp falls in). Only hours with messages are returned, oldest first.
    /// </summary>
    Task<IReadOnlyList<HourMessageCount>> CountMessagesPerHourAsync(DateTime from, DateTime to, CancellationToken cancellationToken = default);
}
