namespace RawSocketChat.Chat;

/// <summary>
/// The <c>code</c> of every <c>{"type":"error"}</c> the chat sends. Clients branch on these, so they never change;
/// the human-readable <c>message</c> next to them may. docs/protocol.md lists them with their meaning.
/// </summary>
public static class ChatErrorCode
{
    /// <summary>Not JSON, not an object, a missing or mistyped field, a value out of range.</summary>
    public const string BadRequest = "bad_request";
    /// <summary>A <c>type</c> this protocol does not have.</summary>
    public const string UnknownType = "unknown_type";
    /// <summary>The command needs a logged-in user.</summary>
    public const string NotLoggedIn = "not_logged_in";
    /// <summary>login, register or resume on a connection that is already logged in (send logout first).</summary>
    public const string AlreadyLoggedIn = "already_logged_in";
    /// <summary>A user or room name that breaks the name rules (2–24 letters, digits, '_' or '-').</summary>
    public const string InvalidName = "invalid_name";
    /// <summary>A password shorter than 8 characters (or absurdly long).</summary>
    public const string WeakPassword = "weak_password";
    /// <summary>The name is registered, or a guest is online with it, or someone is registering it right now.</summary>
    public const string NameTaken = "name_taken";
    /// <summary>Wrong name or password. Deliberately does not say which.</summary>
    public const string BadCredentials = "bad_credentials";
    /// <summary>The session token of a resume is malformed, unknown, expired or revoked: log in again.</summary>
    public const string InvalidToken = "invalid_token";
    /// <summary>No room has that name (direct conversations of others included).</summary>
    public const string NoSuchRoom = "no_such_room";
    /// <summary>edit or delete of an id that is not a message of that room, or a deleted one.</summary>
    public const string NoSuchMessage = "no_such_message";
    /// <summary>dm to a name neither registered nor online; grant or revoke of a name that is not registered.</summary>
    public const string NoSuchUser = "no_such_user";
    /// <summary>create with the name of an existing room.</summary>
    public const string RoomExists = "room_exists";
    /// <summary>The server holds as many rooms as it allows.</summary>
    public const string TooManyRooms = "too_many_rooms";
    /// <summary>send, history or typing in a room this connection has not joined; leave of a room you are not in.</summary>
    public const string NotMember = "not_member";
    /// <summary>Text longer than the limit, or a whole message larger than the JSON size limit.</summary>
    public const string TooLong = "too_long";
    /// <summary>Text with control characters other than newline and tab, or with invalid UTF-16.</summary>
    public const string InvalidText = "invalid_text";
    /// <summary>A reaction that is not one emoji (one grapheme cluster of emoji characters, at most 32 UTF-16 units).</summary>
    public const string InvalidEmoji = "invalid_emoji";
    /// <summary>react with an emoji new to a message that already has the most distinct emoji allowed (<c>--max-reaction-emoji</c>).</summary>
    public const string TooManyReactions = "too_many_reactions";
    /// <summary>A send reused a ref of an earlier message of yours that had a different room or text.</summary>
    public const string RefConflict = "ref_conflict";
    /// <summary>Over the message rate, or too many failed logins; <c>retryAfterMs</c> says when to try again.</summary>
    public const string RateLimited = "rate_limited";
    /// <summary>
    /// Your role does not allow this: guests cannot create rooms, moderation needs a moderator or admin (and a target
    /// of lower rank), grant, revoke, audit and stats need an admin; editing someone else's message.
    /// </summary>
    public const string Forbidden = "forbidden";
    /// <summary>The name is banned: login, register and resume are refused, and open connections are closed (1008).</summary>
    public const string Banned = "banned";
    /// <summary>You are muted: send, dm and edit are refused until the error's <c>until</c>.</summary>
    public const string Muted = "muted";
    /// <summary>Something failed on our side (for example, the message could not be stored). Safe to retry with the same ref.</summary>
    public const string InternalError = "internal_error";
    /// <summary>The database cannot be reached right now (MongoDB down or unreachable): nothing was stored. Retry with the same ref.</summary>
    public const string StoreUnavailable = "store_unavailable";
}
