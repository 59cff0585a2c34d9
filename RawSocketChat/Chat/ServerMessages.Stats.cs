using System.Buffers;
using System.Text.Json;
using RawSocketChat.Chat.Stats;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>Analytics: <c>stats</c> on the socket and the same document for <c>GET /api/stats</c>.</summary>
public static partial class ServerMessages
{
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
}
