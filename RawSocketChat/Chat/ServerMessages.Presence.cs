using System.Text.Json;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>Presence and typing, sent to a room's other members.</summary>
public static partial class ServerMessages
{
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
}
