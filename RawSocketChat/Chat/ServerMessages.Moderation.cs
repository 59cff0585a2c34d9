using System.Text.Json;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>Moderation: what the moderator, the target and the audit log are told.</summary>
public static partial class ServerMessages
{
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
}
