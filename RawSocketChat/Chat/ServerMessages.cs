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
public readonly record struct RoomSummary(string Name, int Members, int Online, bool Joined, bool Member, bool Private = false);

/// <summary>One entry of <c>joined.members</c>.</summary>
public readonly record struct MemberView(string Name, string Color, Role Role, bool Online);

/// <summary>One room of <c>unread</c>: where its user read up to (null: never) and what came after.</summary>
public readonly record struct UnreadLine(string Room, string? ReadUpTo, UnreadCount Count);

/// <summary>What the server tells the client in <c>welcome.limits</c>, so a client can stay within them.</summary>
public sealed record ChatLimits(int MaxTextLength, double Rate, int Burst, int HistoryOnJoin, int HistoryPageLimit, TimeSpan TypingInterval, int MaxCommandBytes,
    int MaxReactionEmoji);

/// <summary>
/// Every message the server sends, written with <see cref="Utf8JsonWriter"/> — no reflection, no intermediate
/// objects. Methods returning a span write into a per-thread buffer: send the span at once, before building the
/// next message on the same thread. <see cref="Message"/> returns an array instead, because a broadcast is
/// serialized once and the same bytes go to every member (and into the room's recent-history cache).
/// <para>
/// This file holds the writer and what every module sends (<c>ack</c>, <c>error</c>); each area's messages are in its own
/// file beside it (<c>ServerMessages.Rooms.cs</c>, <c>ServerMessages.Moderation.cs</c>, …).
/// </para>
/// </summary>
public static partial class ServerMessages
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
            if (room.Private)
                writer.WriteBoolean("private"u8, true);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }
}
