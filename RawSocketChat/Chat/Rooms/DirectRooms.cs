namespace RawSocketChat.Chat.Rooms;

/// <summary>
/// Direct conversations are rooms with a reserved kind of name: <c>@</c> and the two user names in lower case,
/// sorted (ordinal), joined by <c>+</c> — <c>@alice+bob</c>. User and room names have only ASCII letters, digits,
/// '_' and '-' (<see cref="NameRules"/>), so such a name can never be a room's name, and the '+' splits it one way
/// only. Lower case makes it the same conversation whoever writes first and however they spell their names.
/// </summary>
public static class DirectRooms
{
    public const char Prefix = '@';
    public const char Separator = '+';

    /// <summary>The conversation of two different valid names.</summary>
    public static string NameFor(string user, string other)
    {
        string a = NameRules.Key(user), b = NameRules.Key(other);
        if (a == b)
            throw new ArgumentException("a conversation needs two different users");
        return string.CompareOrdinal(a, b) < 0 ? $"{Prefix}{a}{Separator}{b}" : $"{Prefix}{b}{Separator}{a}";
    }

    /// <summary>Whether <paramref name="room"/> is a conversation's name (checked loosely: only the first character).</summary>
    public static bool IsDirect(string room) => room.Length > 0 && room[0] == Prefix;

    /// <summary>The two user keys of a conversation's name; false for any other name.</summary>
    public static bool TryParse(string room, out string first, out string second)
    {
        first = second = "";
        if (!IsDirect(room))
            return false;
        int plus = room.IndexOf(Separator);
        if (plus < 0)
            return false;
        first = NameRules.Key(room[1..plus]);
        second = NameRules.Key(room[(plus + 1)..]);
        return NameRules.IsValidName(first) && NameRules.IsValidName(second) && first != second
            && NameFor(first, second) == NameRules.Key(room);
    }

    /// <summary>Whether <paramref name="userKey"/> is one of the two users of <paramref name="room"/>.</summary>
    public static bool IsParticipant(string room, string userKey) =>
        TryParse(room, out string a, out string b) && (userKey == a || userKey == b);

    /// <summary>The other user of a conversation, seen from <paramref name="userKey"/>.</summary>
    public static string? OtherOf(string room, string userKey) =>
        TryParse(room, out string a, out string b) ? (userKey == a ? b : userKey == b ? a : null) : null;
}
