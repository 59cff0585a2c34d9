using System.Text.Json;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>Messages of a room: a new one, an edit, a deletion, reactions, a page of history.</summary>
public static partial class ServerMessages
{
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
        if (message.ReplyTo is not null)
            WriteReplyTo(writer, message);
        WriteMentions(writer, message.Mentions);
        if (message.Deleted)
        {
            writer.WriteBoolean("deleted"u8, true);
            writer.WriteString("deletedBy"u8, DeletedBy(message));
        }
        else if (message.EditedAt is { } edited)
            writer.WriteString("editedAt"u8, FormatTimestamp(edited));
        if (message.Reactions is not null)
            WriteReactions(writer, message.Reactions);
    }

    /// <summary><c>"mentions":["bob"]</c> and <c>"mentionsRoom":true</c>, each only when there is something to say.</summary>
    private static void WriteMentions(Utf8JsonWriter writer, MessageMentions? mentions)
    {
        if (mentions is null)
            return;
        if (mentions.Users.Count > 0)
        {
            writer.WriteStartArray("mentions"u8);
            foreach (string user in mentions.Users)
                writer.WriteStringValue(user);
            writer.WriteEndArray();
        }
        if (mentions.Room)
            writer.WriteBoolean("mentionsRoom"u8, true);
    }

    /// <summary>How much of a parent's text a reply quotes: its first line, at most this many characters (code points).</summary>
    public const int MaxQuoteLength = 120;

    /// <summary>
    /// <c>"replyTo":{"id":"…","user":"alice","text":"the first line…"}</c>: the parent as it is now, quoted short;
    /// a deleted parent is <c>{"id":"…","user":"alice","text":"","deleted":true}</c>, and one the store no longer has
    /// is just its id with <c>"deleted":true</c>. A tombstone keeps its <c>replyTo</c>: where it stood in a
    /// conversation is not what was removed.
    /// </summary>
    private static void WriteReplyTo(Utf8JsonWriter writer, MessageRecord message)
    {
        writer.WriteStartObject("replyTo"u8);
        writer.WriteString("id"u8, message.ReplyTo);
        if (message.Parent is { } parent)
        {
            writer.WriteString("user"u8, parent.User);
            writer.WriteString("text"u8, parent.Deleted ? "" : Quote(parent.Text));
        }
        if (message.Parent is null or { Deleted: true })
            writer.WriteBoolean("deleted"u8, true);
        writer.WriteEndObject();
    }

    /// <summary>The first line, cut at <see cref="MaxQuoteLength"/> code points (never inside a surrogate pair) with an ellipsis.</summary>
    public static string Quote(string text)
    {
        int newline = text.IndexOf('\n');
        string line = (newline < 0 ? text : text[..newline]).TrimEnd();
        int count = 0;
        for (int i = 0; i < line.Length; i += char.IsSurrogatePair(line, i) ? 2 : 1)
        {
            if (++count > MaxQuoteLength)
                return line[..i].TrimEnd() + "…";
        }
        return newline < 0 ? line : line + " …";
    }

    /// <summary>The most users a reaction lists by name; <c>count</c> is always the whole number.</summary>
    public const int MaxReactionUsersListed = 50;

    /// <summary>
    /// <c>"reactions":[{"emoji":"👍","count":3,"users":["bob","carol","dave"]}]</c>: each emoji in the order it was
    /// first used, its users in the order they reacted, the first <see cref="MaxReactionUsersListed"/> of them.
    /// </summary>
    private static void WriteReactions(Utf8JsonWriter writer, MessageReactions? reactions)
    {
        writer.WriteStartArray("reactions"u8);
        foreach (Reaction reaction in reactions?.Items ?? [])
        {
            writer.WriteStartObject();
            writer.WriteString("emoji"u8, reaction.Emoji);
            writer.WriteNumber("count"u8, reaction.Users.Count);
            writer.WriteStartArray("users"u8);
            for (int i = 0; i < reaction.Users.Count && i < MaxReactionUsersListed; i++)
                writer.WriteStringValue(reaction.Users[i]);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    /// <summary><c>read</c>: where the user has now read up to in a room, to each of the user's connections.</summary>
    public static ReadOnlySpan<byte> Read(string room, string id)
    {
        Utf8JsonWriter writer = Begin("read");
        writer.WriteString("room"u8, room);
        writer.WriteString("id"u8, id);
        return End(writer);
    }

    /// <summary>
    /// <c>unread</c>: for each room the user is a member of, where they read up to (absent: never) and how many messages
    /// and mentions came after; counts stop at <c>cap</c>, so <c>"unread":1000</c> with <c>"cap":1000</c> means 1000 or more.
    /// </summary>
    public static ReadOnlySpan<byte> Unread(IReadOnlyList<UnreadLine> lines, int cap, string? reference)
    {
        Utf8JsonWriter writer = Begin("unread");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        writer.WriteNumber("cap"u8, cap);
        writer.WriteStartArray("rooms"u8);
        foreach (UnreadLine line in lines)
        {
            writer.WriteStartObject();
            writer.WriteString("room"u8, line.Room);
            if (line.ReadUpTo is not null)
                writer.WriteString("read"u8, line.ReadUpTo);
            writer.WriteNumber("unread"u8, line.Count.Messages);
            writer.WriteNumber("mentions"u8, line.Count.Mentions);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        return End(writer);
    }

    /// <summary><c>reactions</c>: a message's whole set of reactions after a change (empty when the last one went), to everyone in its room.</summary>
    public static ReadOnlySpan<byte> Reactions(MessageRecord message)
    {
        Utf8JsonWriter writer = Begin("reactions");
        writer.WriteString("room"u8, message.Room);
        writer.WriteString("id"u8, message.Id);
        WriteReactions(writer, message.Reactions);
        return End(writer);
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
        WriteMentions(writer, message.Mentions);
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


    /// <summary>
    /// <c>search_results</c>: the query as sent and as read (<c>terms</c>, each a list of folded words, the last a
    /// prefix when <c>prefix</c> is set: what a client highlights), the messages found newest first, and whether
    /// there are more (ask again with <c>before</c> the last id).
    /// </summary>
    public static ReadOnlySpan<byte> SearchResults(string text, SearchQuery query, IReadOnlyList<MessageRecord> messages, bool more, string? reference)
    {
        Utf8JsonWriter writer = Begin("search_results");
        if (reference is not null)
            writer.WriteString("ref"u8, reference);
        writer.WriteString("query"u8, text);
        writer.WriteStartArray("terms"u8);
        foreach (SearchTerm term in query.Terms)
        {
            writer.WriteStartObject();
            writer.WriteStartArray("words"u8);
            foreach (string word in term.Words)
                writer.WriteStringValue(word);
            writer.WriteEndArray();
            if (term.Prefix)
                writer.WriteBoolean("prefix"u8, true);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        WritePage(writer, messages, more);
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
        WritePage(writer, messages, more);
        return End(writer);
    }

    /// <summary>A page of messages, as history and search return them: each as it is broadcast, and whether there are more.</summary>
    private static void WritePage(Utf8JsonWriter writer, IReadOnlyList<MessageRecord> messages, bool more)
    {
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
    }
}
