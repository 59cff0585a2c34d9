using System.Text.Json;

namespace RawSocketChat.Chat;

/// <summary>Rooms: the room list and its changes, <c>created</c>, <c>joined</c>, <c>left</c>.</summary>
public static partial class ServerMessages
{
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
        IEnumerable<byte[]> history, string? reference, string? topic = null, string? createdBy = null, bool isPrivate = false)
    {
        Utf8JsonWriter writer = Begin("joined");
        writer.WriteString("room"u8, room);
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        if (topic is not null)
            writer.WriteString("topic"u8, topic);
        if (createdBy is not null)
            writer.WriteString("createdBy"u8, createdBy);
        if (isPrivate)
            writer.WriteBoolean("private"u8, true);
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

    /// <summary><c>invited</c>: to the invitee's connections — a private room they can now see and join.</summary>
    public static ReadOnlySpan<byte> Invited(string room, string by)
    {
        Utf8JsonWriter writer = Begin("invited");
        writer.WriteString("room"u8, room);
        writer.WriteString("by"u8, by);
        return End(writer);
    }

    /// <summary><c>topic</c>: a room's topic changed (absent: cleared), and who changed it.</summary>
    public static ReadOnlySpan<byte> Topic(string room, string? topic, string by)
    {
        Utf8JsonWriter writer = Begin("topic");
        writer.WriteString("room"u8, room);
        if (topic is not null)
            writer.WriteString("topic"u8, topic);
        writer.WriteString("by"u8, by);
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
}
