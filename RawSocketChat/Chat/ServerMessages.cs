using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>
/// The lines of the room list, in <c>rooms</c> and <c>welcome</c>: <see cref="Joined"/> is about the connection that
/// asks, <see cref="Member"/> about its user (a registered user's memberships follow them to every device).
/// </summary>
public readonly record struct RoomSummary(string Name, int Members, int Online, bool Joined, bool Member);

/// <summary>One entry of <c>joined.members</c>.</summary>
public readonly record struct MemberView(string Name, string Color, Role Role, bool Online);

/// <summary>What the server tells the client in <c>welcome.limits</c>, so a client can stay within them.</summary>
public sealed record ChatLimits(int MaxTextLength, double Rate, int Burst, int HistoryOnJoin, int HistoryPageLimit, TimeSpan TypingInterval, int MaxCommandBytes);

/// <summary>
/// Every message the server sends, written with <see cref="Utf8JsonWriter"/> — no reflection, no intermediate
/// objects. Methods returning a span write into a per-thread buffer: send the span at once, before building the
/// next message on the same thread. <see cref="Message"/> returns an array instead, because a broadcast is
/// serialized once and the same bytes go to every member (and into the room's recent-history cache).
/// </summary>
public static class ServerMessages
{
    public const string Protocol = "rawsocketchat.v1";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Our JSON never lands inside HTML, so there is no reason to escape '<', '&' or non-ASCII letters; quotes,
        // backslashes and control characters are still escaped, as JSON requires.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = 16,
    };

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    private static Utf8JsonWriter Begin(string type)
    {
        ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        // Do not keep a buffer that one huge history page grew: the next message would carry it around forever.
        if (buffer.Capacity > 256 * 1024)
            t_buffer = buffer = new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        Utf8JsonWriter writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        writer.WriteStartObject();
        writer.WriteString("type"u8, type);
        return writer;
    }

    private static ReadOnlySpan<byte> End(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.Flush();
        return t_buffer!.WrittenSpan;
    }

    public static string FormatTimestamp(DateTime utc) =>
        utc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    // ---- Messages ----

    /// <summary><c>{"type":"message",...}</c>, as broadcast and as listed in history.</summary>
    public static byte[] Message(MessageRecord message)
    {
        Utf8JsonWriter writer = Begin("message");
        WriteMessageFields(writer, message);
        return End(writer).ToArray();
    }

    /// <summary>
    /// The fields of a message: an edited one carries <c>editedAt</c>; a deleted one is a tombstone with an empty
    /// text, <c>"deleted":true</c> (the store no longer has the text anyway) and <c>deletedBy</c>: <c>author</c> or
    /// <c>moderator</c>. A tombstone is the same bytes for everyone, so it names neither the moderator nor a reason.
    /// </summary>
    private static void WriteMessageFields(Utf8JsonWriter writer, MessageRecord message)
    {
        writer.WriteString("room"u8, message.Room);
        writer.WriteString("id"u8, message.Id);
        writer.WriteString("user"u8, message.User);
        writer.WriteString("color"u8, message.Color);
        writer.WriteString("text"u8, message.Deleted ? "" : message.Text);
        writer.WriteString("ts"u8, FormatTimestamp(message.Timestamp));
        if (message.Guest)
            writer.WriteBoolean("guest"u8, true);
        if (message.Deleted)
        {
            writer.WriteBoolean("deleted"u8, true);
            writer.WriteString("deletedBy"u8, DeletedBy(message));
        }
        else if (message.EditedAt is { } edited)
            writer.WriteString("editedAt"u8, FormatTimestamp(edited));
    }

    /// <summary><c>edited</c>: the new text of a message, to everyone in its room.</summary>
    public static ReadOnlySpan<byte> Edited(MessageRecord message)
    {
        Utf8JsonWriter writer = Begin("edited");
        writer.WriteString("room"u8, message.Room);
        writer.WriteString("id"u8, message.Id);
        writer.WriteString("user"u8, message.User);
        writer.WriteString("text"u8, message.Text);
        writer.WriteString("editedAt"u8, FormatTimestamp(message.EditedAt ?? message.Timestamp));
        return End(writer);
    }

    /// <summary>
    /// <c>deleted</c>: a message is gone, to everyone in its room. <c>user</c> wrote it, <c>by</c> deleted it,
    /// <c>deletedBy</c> says whether as its author or as a moderator; <paramref name="reason"/> is given only in the copy
    /// for those who moderate.
    /// </summary>
    public static ReadOnlySpan<byte> Deleted(MessageRecord message, string by, string? reason = null)
    {
        Utf8JsonWriter writer = Begin("deleted");
        writer.WriteString("room"u8, message.Room);
        writer.WriteString("id"u8, message.Id);
        writer.WriteString("user"u8, message.User);
        writer.WriteString("by"u8, by);
        writer.WriteString("deletedBy"u8, DeletedBy(message));
        if (reason is not null)
            writer.WriteString("reason"u8, reason);
        return End(writer);
    }

    private static string DeletedBy(MessageRecord message) => message.DeletedByModerator is null ? "author" : "moderator";

    public static ReadOnlySpan<byte> Ack(string? reference, string id, bool duplicate)
    {
        Utf8JsonWriter writer = Begin("ack");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        writer.WriteString("id"u8, id);
        if (duplicate)
            writer.WriteBoolean("duplicate"u8, true);
        return End(writer);
    }

    public static ReadOnlySpan<byte> Error(string code, string message, string? reference, long? retryAfterMs = null, DateTime? until = null,
        string? reason = null)
    {
        Utf8JsonWriter writer = Begin("error");
        writer.WriteString("code"u8, code);
        writer.WriteString("message"u8, message);
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        if (until is { } end)
            writer.WriteString("until"u8, FormatTimestamp(end));
        if (reason is not null)
            writer.WriteString("reason"u8, reason);
        if (retryAfterMs is { } retry)
            writer.WriteNumber("retryAfterMs"u8, retry);
        return End(writer);
    }

    // ---- Accounts ----

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

    public static ReadOnlySpan<byte> LoggedOut(string? reference)
    {
        Utf8JsonWriter writer = Begin("logged_out");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        return End(writer);
    }

    // ---- Rooms ----

    public static ReadOnlySpan<byte> Rooms(IEnumerable<RoomSummary> rooms, string? reference)
    {
        Utf8JsonWriter writer = Begin("rooms");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        writer.WritePropertyName("rooms"u8);
        WriteRooms(writer, rooms);
        return End(writer);
    }

    public static ReadOnlySpan<byte> Created(string room, string? reference)
    {
        Utf8JsonWriter writer = Begin("created");
        writer.WriteString("room"u8, room);
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        return End(writer);
    }

    /// <summary>The new counts of rooms that changed (a room not listed before is new), the same for everyone.</summary>
    public static ReadOnlySpan<byte> RoomsChanged(IEnumerable<(string Name, int Members, int Online)> rooms)
    {
        Utf8JsonWriter writer = Begin("rooms_changed");
        writer.WriteStartArray("rooms"u8);
        foreach ((string name, int members, int online) in rooms)
        {
            writer.WriteStartObject();
            writer.WriteString("name"u8, name);
            writer.WriteNumber("members"u8, members);
            writer.WriteNumber("online"u8, online);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        return End(writer);
    }

    /// <summary>
    /// <c>joined</c>: the members (online first, at most <paramref name="maxMembers"/> listed; the counts are always
    /// complete) and the latest messages, oldest first, copied as the bytes they were broadcast as.
    /// </summary>
    public static ReadOnlySpan<byte> Joined(string room, IReadOnlyList<MemberView> members, int memberCount, int onlineCount,
        IEnumerable<byte[]> history, string? reference)
    {
        Utf8JsonWriter writer = Begin("joined");
        writer.WriteString("room"u8, room);
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        writer.WriteStartArray("members"u8);
        foreach (MemberView member in members)
        {
            writer.WriteStartObject();
            WriteUserFields(writer, member.Name, member.Color, member.Role);
            writer.WriteBoolean("online"u8, member.Online);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteNumber("memberCount"u8, memberCount);
        writer.WriteNumber("onlineCount"u8, onlineCount);
        writer.WriteStartArray("history"u8);
        foreach (byte[] message in history)
            writer.WriteRawValue(message, skipInputValidation: true);
        writer.WriteEndArray();
        return End(writer);
    }

    public static ReadOnlySpan<byte> Left(string room, string? reference)
    {
        Utf8JsonWriter writer = Begin("left");
        writer.WriteString("room"u8, room);
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        return End(writer);
    }

    public static ReadOnlySpan<byte> History(string room, string? before, IReadOnlyList<MessageRecord> messages, bool more, string? reference)
    {
        Utf8JsonWriter writer = Begin("history");
        writer.WriteString("room"u8, room);
        if (before is not null)
            writer.WriteString("before"u8, before);
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        writer.WriteStartArray("messages"u8);
        foreach (MessageRecord message in messages)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "message");
            WriteMessageFields(writer, message);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteBoolean("more"u8, more);
        return End(writer);
    }

    // ---- Presence ----

    /// <summary><c>presence</c>: <paramref name="event"/> is joined, left, online or offline.</summary>
    public static ReadOnlySpan<byte> Presence(string room, ChatUser user, string @event)
    {
        Utf8JsonWriter writer = Begin("presence");
        writer.WriteString("room"u8, room);
        writer.WriteString("user"u8, user.Name);
        writer.WriteString("color"u8, user.Color);
        writer.WriteString("role"u8, user.Role.ToWire());
        writer.WriteString("event"u8, @event);
        return End(writer);
    }

    public static ReadOnlySpan<byte> Typing(string room, ChatUser user)
    {
        Utf8JsonWriter writer = Begin("typing");
        writer.WriteString("room"u8, room);
        writer.WriteString("user"u8, user.Name);
        writer.WriteString("color"u8, user.Color);
        return End(writer);
    }

    // ---- Moderation ----

    /// <summary><c>moderated</c>: the reply to a moderation command, which is the entry it wrote to the audit log.</summary>
    public static ReadOnlySpan<byte> Moderated(ModerationRecord entry, string? reference)
    {
        Utf8JsonWriter writer = Begin("moderated");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        WriteAuditFields(writer, entry);
        return End(writer);
    }

    /// <summary><c>muted</c>, to the muted user's connections.</summary>
    public static ReadOnlySpan<byte> Muted(DateTime until, string by, string? reason)
    {
        Utf8JsonWriter writer = Begin("muted");
        writer.WriteString("until"u8, FormatTimestamp(until));
        writer.WriteString("by"u8, by);
        if (reason is not null)
            writer.WriteString("reason"u8, reason);
        return End(writer);
    }

    /// <summary><c>unmuted</c>, to the user's connections.</summary>
    public static ReadOnlySpan<byte> Unmuted(string by)
    {
        Utf8JsonWriter writer = Begin("unmuted");
        writer.WriteString("by"u8, by);
        return End(writer);
    }

    /// <summary><c>kicked</c>, to every connection in the room, the kicked user's included.</summary>
    public static ReadOnlySpan<byte> Kicked(string room, string user, string by, string? reason)
    {
        Utf8JsonWriter writer = Begin("kicked");
        writer.WriteString("room"u8, room);
        writer.WriteString("user"u8, user);
        writer.WriteString("by"u8, by);
        if (reason is not null)
            writer.WriteString("reason"u8, reason);
        return End(writer);
    }

    /// <summary><c>role</c>: the user's role changed (grant, revoke), to that user's connections.</summary>
    public static ReadOnlySpan<byte> RoleChanged(string user, Role role, string by)
    {
        Utf8JsonWriter writer = Begin("role");
        writer.WriteString("user"u8, user);
        writer.WriteString("role"u8, role.ToWire());
        writer.WriteString("by"u8, by);
        return End(writer);
    }

    /// <summary><c>audit</c>: a page of the moderation log, oldest first.</summary>
    public static ReadOnlySpan<byte> Audit(string? before, IReadOnlyList<ModerationRecord> entries, bool more, string? reference)
    {
        Utf8JsonWriter writer = Begin("audit");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        if (before is not null)
            writer.WriteString("before"u8, before);
        writer.WriteStartArray("entries"u8);
        foreach (ModerationRecord entry in entries)
        {
            writer.WriteStartObject();
            WriteAuditFields(writer, entry);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteBoolean("more"u8, more);
        return End(writer);
    }

    /// <summary><c>sanctions</c>: the bans and mutes in force, newest first, at most <paramref name="max"/> of each.</summary>
    public static ReadOnlySpan<byte> SanctionsInForce(IReadOnlyList<BanRecord> bans, IReadOnlyList<MuteRecord> mutes, int max, string? reference)
    {
        Utf8JsonWriter writer = Begin("sanctions");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        writer.WriteStartArray("bans"u8);
        foreach (BanRecord ban in bans.Take(max))
            WriteSanction(writer, ban.Name, ban.By, ban.Reason, ban.CreatedAt, ban.ExpiresAt);
        writer.WriteEndArray();
        writer.WriteStartArray("mutes"u8);
        foreach (MuteRecord mute in mutes.Take(max))
            WriteSanction(writer, mute.Name, mute.By, mute.Reason, mute.CreatedAt, mute.ExpiresAt);
        writer.WriteEndArray();
        writer.WriteNumber("banCount"u8, bans.Count);
        writer.WriteNumber("muteCount"u8, mutes.Count);
        return End(writer);
    }

    private static void WriteSanction(Utf8JsonWriter writer, string user, string by, string? reason, DateTime since, DateTime? until)
    {
        writer.WriteStartObject();
        writer.WriteString("user"u8, user);
        writer.WriteString("by"u8, by);
        if (reason is not null)
            writer.WriteString("reason"u8, reason);
        writer.WriteString("since"u8, FormatTimestamp(since));
        if (until is { } end)
            writer.WriteString("until"u8, FormatTimestamp(end));
        writer.WriteEndObject();
    }

    private static void WriteAuditFields(Utf8JsonWriter writer, ModerationRecord entry)
    {
        writer.WriteString("id"u8, entry.Id);
        writer.WriteString("ts"u8, FormatTimestamp(entry.Timestamp));
        writer.WriteString("action"u8, entry.Action);
        writer.WriteString("by"u8, entry.Actor);
        writer.WriteString("user"u8, entry.Target);
        if (entry.Room is not null)
            writer.WriteString("room"u8, entry.Room);
        if (entry.MessageId is not null)
            writer.WriteString("message"u8, entry.MessageId);
        if (entry.ExpiresAt is { } until)
            writer.WriteString("until"u8, FormatTimestamp(until));
        if (entry.Reason is not null)
            writer.WriteString("reason"u8, entry.Reason);
    }

    // ---- Analytics ----

    /// <summary><c>stats</c>, the reply to an admin's stats request.</summary>
    public static ReadOnlySpan<byte> Stats(ChatStats stats, string? reference)
    {
        Utf8JsonWriter writer = Begin("stats");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        WriteStatsFields(writer, stats);
        return End(writer);
    }

    /// <summary>The body of <c>GET /api/stats</c>: the fields of <see cref="Stats"/> without type and ref.</summary>
    public static byte[] StatsDocument(ChatStats stats)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        writer.WriteStartObject();
        WriteStatsFields(writer, stats);
        writer.WriteEndObject();
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteStatsFields(Utf8JsonWriter writer, ChatStats stats)
    {
        writer.WriteString("at"u8, FormatTimestamp(stats.At));
        writer.WriteStartObject("users"u8);
        writer.WriteNumber("registered"u8, stats.RegisteredUsers);
        writer.WriteNumber("online"u8, stats.OnlineUsers);
        writer.WriteEndObject();
        writer.WriteStartObject("messages"u8);
        writer.WriteNumber("total"u8, stats.TotalMessages);
        writer.WriteNumber("direct"u8, stats.DirectMessages);
        writer.WriteEndObject();
        writer.WriteStartArray("rooms"u8);
        foreach (RoomMessageCount room in stats.Rooms)
        {
            writer.WriteStartObject();
            writer.WriteString("room"u8, room.Room);
            writer.WriteNumber("messages"u8, room.Messages);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WritePropertyName("topPosters"u8);
        WritePosters(writer, stats.TopPosters);
        writer.WriteStartArray("topPostersByRoom"u8);
        foreach (RoomPosters room in stats.TopPostersByRoom)
        {
            writer.WriteStartObject();
            writer.WriteString("room"u8, room.Room);
            writer.WritePropertyName("posters"u8);
            WritePosters(writer, room.Posters);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteStartArray("perHour"u8);
        foreach (HourMessageCount hour in stats.PerHour)
        {
            writer.WriteStartObject();
            writer.WriteString("hour"u8, FormatTimestamp(hour.Hour));
            writer.WriteNumber("messages"u8, hour.Messages);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WritePosters(Utf8JsonWriter writer, IReadOnlyList<UserMessageCount> posters)
    {
        writer.WriteStartArray();
        foreach (UserMessageCount user in posters)
        {
            writer.WriteStartObject();
            writer.WriteString("user"u8, user.User);
            if (user.Guest)
                writer.WriteBoolean("guest"u8, true);
            writer.WriteNumber("messages"u8, user.Messages);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    // ---- Helpers ----

    private static void WriteUserFields(Utf8JsonWriter writer, string name, string color, Role role)
    {
        writer.WriteString("name"u8, name);
        writer.WriteString("color"u8, color);
        writer.WriteString("role"u8, role.ToWire());
    }

    private static void WriteRooms(Utf8JsonWriter writer, IEnumerable<RoomSummary> rooms)
    {
        writer.WriteStartArray();
        foreach (RoomSummary room in rooms)
        {
            writer.WriteStartObject();
            writer.WriteString("name"u8, room.Name);
            writer.WriteNumber("members"u8, room.Members);
            writer.WriteNumber("online"u8, room.Online);
            writer.WriteBoolean("joined"u8, room.Joined);
            writer.WriteBoolean("member"u8, room.Member);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }
}
