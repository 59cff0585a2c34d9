using RawSocketChat.Chat.Rooms;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat.Messages;

/// <summary>
/// Finds the <c>@name</c> mentions in a message's text and resolves them against the room: a mention is an
/// <c>@</c> at the start of the text or after a character that cannot be part of a name (so <c>a@b.example</c> is
/// no mention), followed by a whole name by the name rules (2 to 24 letters, digits, <c>_</c> or <c>-</c>), that
/// names a member of the room. <c>@room</c> is everyone, and only a moderator's (anyone else's is plain text).
/// One's own name, repeats and names past <see cref="ChatSettings.MaxMentions"/> are not mentions. Direct
/// conversations have none: every message there is for the other person already.
/// </summary>
public static class Mentions
{
    /// <summary>
    /// The names after an <c>@</c>, in order, as typed (not yet resolved); <c>room</c> appears as itself. Code is not
    /// speech: an <c>@</c> inside <c>`code`</c> or a <c>```block```</c> (a run of backticks up to the next run of the
    /// same length, as the client renders it) mentions nobody.
    /// </summary>
    public static IEnumerable<string> Scan(string text)
    {
        int codeEnd = -1; // the end of the code span the scan is in, or before
        for (int at = text.IndexOf('@'); at >= 0 && at < text.Length - 1; at = text.IndexOf('@', at + 1))
        {
            if (InCode(text, at, ref codeEnd))
                continue;
            if (at > 0 && (IsNameChar(text[at - 1]) || text[at - 1] == '@'))
                continue;
            int end = at + 1;
            while (end < text.Length && IsNameChar(text[end]))
                end++;
            int length = end - (at + 1);
            if (length is >= 2 and <= 24)
                yield return text.Substring(at + 1, length);
        }
    }

    /// <summary>The mentions of <paramref name="text"/> by <paramref name="author"/> in <paramref name="room"/>, or null when there are none.</summary>
    internal static MessageMentions? Resolve(string text, ChatUser author, Room room, int max)
    {
        if (room.IsDirect || max <= 0 || !text.Contains('@'))
            return null;
        bool everyone = false;
        var users = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in Scan(text))
        {
            string key = NameRules.Key(name);
            if (key == "room")
            {
                everyone |= author.CanModerate;
                continue;
            }
            if (key == author.Key || users.Count >= max || !seen.Add(key) || room.Member(key) is not { } member)
                continue;
            users.Add(member.Name);
        }
        return everyone || users.Count > 0 ? new MessageMentions(users, everyone) : null;
    }

    /// <summary>Whether <paramref name="at"/> lies in a code span; spans are found once, left to right, as the scan moves on.</summary>
    private static bool InCode(string text, int at, ref int codeEnd)
    {
        if (at < codeEnd)
            return true;
        for (int i = text.IndexOf('`', Math.Max(0, codeEnd)); i >= 0 && i < at; i = text.IndexOf('`', i))
        {
            int run = 1;
            while (i + run < text.Length && text[i + run] == '`')
                run++;
            int close = text.IndexOf(new string('`', run), i + run, StringComparison.Ordinal);
            if (close < 0)
                return false; // an unmatched run is plain text, and so is everything after it
            codeEnd = close + run;
            if (at < codeEnd)
                return true;
            i = codeEnd;
        }
        return false;
    }

    private static bool IsNameChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-';
}
