using System.Text.Json;

namespace RawSocketChat.Chat.Commands;

/// <summary>
/// Turns one text message into its <see cref="CommandFields"/>, or a <see cref="CommandError"/> — never an exception.
/// Sans-I/O like the frame core: bytes in, a value out, so every rule is a one-line unit test.
/// <para>
/// The limits are enforced while reading, before anything is allocated for a value: the message size, the nesting
/// depth (a message is a flat object; depth is allowed up to <see cref="MaxDepth"/> so clients may attach small
/// objects of their own), the number of properties, and the length of each known string.
/// </para>
/// </summary>
public sealed class CommandParser(int maxCommandBytes)
{
    public const int MaxDepth = 8;
    public const int MaxProperties = 32;
    /// <summary>Longest value of a short field (every string but <c>text</c>), in bytes as sent.</summary>
    public const int MaxFieldBytes = 1024;
    public const int MaxRefLength = 64;

    /// <summary>
    /// The largest chat command, as JSON (sent as <c>welcome.limits.maxCommandBytes</c>); over it, <c>too_long</c>. Not
    /// the transport's <c>--max-message-bytes</c>, the largest WebSocket message, checked before this one (over it,
    /// Close 1009).
    /// </summary>
    public int MaxCommandBytes { get; } = maxCommandBytes;

    /// <summary>A size that fits any valid command with text of <paramref name="maxTextLength"/> characters.</summary>
    public static int CommandLimitFor(int maxTextLength) =>
        // Worst case a character is a 12-byte escaped surrogate pair (two \uXXXX), plus room for the other fields.
        (int)Math.Min(int.MaxValue, Math.Max(4096L, maxTextLength * 12L + 2048));

    public bool TryParse(ReadOnlySpan<byte> utf8, out CommandFields fields, out CommandError error)
    {
        fields = default;
        error = default;
        if (utf8.Length > MaxCommandBytes)
        {
            error = new CommandError(ChatErrorCode.TooLong, $"command is larger than {MaxCommandBytes} bytes", null);
            return false;
        }

        string? failure = null;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                failure = "a message is one JSON object";
            else
                failure = ReadObject(ref reader, ref fields);
            // Anything after the object but whitespace makes the reader throw: one message, one object.
            if (failure is null)
                reader.Read();
        }
        catch (JsonException e)
        {
            failure = $"malformed JSON at byte {e.BytePositionInLine ?? 0}";
        }
        catch (InvalidOperationException)
        {
            // GetString on an escape that is not valid UTF-16 (a lone surrogate such as "\ud800").
            failure = "a string is not valid Unicode";
        }

        if (failure is null && fields.Type is null)
            failure = "'type' is required";
        if (failure is null && fields.Ref is { } r && (r.Length is 0 or > MaxRefLength || HasControl(r)))
            failure = $"'ref' must be 1 to {MaxRefLength} printable characters";

        if (failure is not null)
        {
            error = new CommandError(ChatErrorCode.BadRequest, failure, fields.Ref is { Length: > 0 and <= MaxRefLength } r2 && !HasControl(r2) ? r2 : null);
            fields = default; // half-read fields are nobody's command
            return false;
        }

        return true;
    }

    /// <summary>Reads the properties of the top-level object; returns a failure message or null.</summary>
    private string? ReadObject(ref Utf8JsonReader reader, ref CommandFields fields)
    {
        int count = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
                return null;
            // The reader only yields property names here.
            if (++count > MaxProperties)
                return $"more than {MaxProperties} properties";
            string? name = KnownName(ref reader);
            if (!reader.Read())
                return "malformed JSON";
            if (name is null)
            {
                reader.Skip(); // a field of the client's own: allowed, ignored
                continue;
            }

            if (name is "limit" or "seconds")
            {
                ref int? number = ref (name == "limit" ? ref fields.Limit : ref fields.Seconds);
                if (number is not null)
                    return $"duplicate property '{name}'";
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int value32))
                    return $"'{name}' must be an integer";
                number = value32;
                continue;
            }

            if (name == "private")
            {
                if (fields.Private is not null)
                    return "duplicate property 'private'";
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                    return "'private' must be true or false";
                fields.Private = reader.TokenType == JsonTokenType.True;
                continue;
            }

            if (reader.TokenType != JsonTokenType.String)
                return $"'{name}' must be a string";
            // A query is capped by the chat in characters (too_long), like a text; here only by the command's size.
            int max = name is "text" or "query" ? MaxCommandBytes : MaxFieldBytes;
            if (reader.ValueSpan.Length > max)
                return name == "text" ? "'text' is too long" : $"'{name}' is too long";
            string value = reader.GetString()!;
            ref string? slot = ref Slot(ref fields, name);
            if (slot is not null)
                return $"duplicate property '{name}'";
            slot = value;
        }
        return "malformed JSON";
    }

    private static string? KnownName(ref Utf8JsonReader reader)
    {
        // Compare the raw bytes: no string is allocated for the names of fields we ignore.
        ReadOnlySpan<byte> raw = reader.ValueSpan;
        if (reader.ValueIsEscaped)
            return Known(reader.GetString()!);
        return raw.Length switch
        {
            2 when raw.SequenceEqual("to"u8) => "to",
            2 when raw.SequenceEqual("id"u8) => "id",
            3 when raw.SequenceEqual("ref"u8) => "ref",
            4 when raw.SequenceEqual("type"u8) => "type",
            4 when raw.SequenceEqual("name"u8) => "name",
            4 when raw.SequenceEqual("room"u8) => "room",
            4 when raw.SequenceEqual("text"u8) => "text",
            4 when raw.SequenceEqual("user"u8) => "user",
            5 when raw.SequenceEqual("color"u8) => "color",
            5 when raw.SequenceEqual("token"u8) => "token",
            5 when raw.SequenceEqual("limit"u8) => "limit",
            5 when raw.SequenceEqual("emoji"u8) => "emoji",
            5 when raw.SequenceEqual("query"u8) => "query",
            6 when raw.SequenceEqual("before"u8) => "before",
            6 when raw.SequenceEqual("reason"u8) => "reason",
            7 when raw.SequenceEqual("seconds"u8) => "seconds",
            7 when raw.SequenceEqual("replyTo"u8) => "replyTo",
            7 when raw.SequenceEqual("private"u8) => "private",
            8 when raw.SequenceEqual("password"u8) => "password",
            11 when raw.SequenceEqual("adminSecret"u8) => "adminSecret",
            11 when raw.SequenceEqual("newPassword"u8) => "newPassword",
            _ => null,
        };
    }

    private static string? Known(string name) => name switch
    {
        "ref" or "type" or "name" or "room" or "text" or "color" or "token" or "limit" or "before" or "password"
            or "to" or "id" or "user" or "reason" or "seconds" or "adminSecret" or "emoji" or "replyTo" or "newPassword" or "private" or "query" => name,
        _ => null,
    };

    private static ref string? Slot(ref CommandFields fields, string name)
    {
        switch (name)
        {
            case "type": return ref fields.Type;
            case "name": return ref fields.Name;
            case "password": return ref fields.Password;
            case "color": return ref fields.Color;
            case "token": return ref fields.Token;
            case "room": return ref fields.Room;
            case "text": return ref fields.Text;
            case "ref": return ref fields.Ref;
            case "to": return ref fields.To;
            case "id": return ref fields.Id;
            case "user": return ref fields.User;
            case "reason": return ref fields.Reason;
            case "adminSecret": return ref fields.AdminSecret;
            case "emoji": return ref fields.Emoji;
            case "replyTo": return ref fields.ReplyTo;
            case "newPassword": return ref fields.NewPassword;
            case "query": return ref fields.Query;
            default: return ref fields.Before;
        }
    }

    private static bool HasControl(string value)
    {
        foreach (char c in value)
            if (char.IsControl(c))
                return true;
        return false;
    }
}
