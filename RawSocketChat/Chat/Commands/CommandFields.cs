namespace RawSocketChat.Chat.Commands;

/// <summary>
/// The fields of one client message as the parser read them: <c>type</c>, <c>ref</c> and every field a command of
/// <c>rawsocketchat.v1</c> can carry, each null when absent. It lives only between <see cref="CommandParser"/> and
/// <see cref="CommandTable"/>, which binds it into the typed command of its <c>type</c> (see <see cref="Command"/>):
/// a handler never sees a field its command does not define. Fields nobody uses are skipped by the parser, so clients
/// may add their own.
/// </summary>
public struct CommandFields
{
    public string? Type, Ref;
    public string? Name, Password, Color, Token;
    /// <summary>With <c>password</c>: the password that replaces <see cref="Password"/>.</summary>
    public string? NewPassword;
    /// <summary>With <c>register</c>: the secret that makes a name listed in <c>--admin</c> an admin account.</summary>
    public string? AdminSecret;
    public string? Room, Text, Before;
    public int? Limit;
    /// <summary>The recipient of a <c>dm</c>.</summary>
    public string? To;
    /// <summary>The message an <c>edit</c> or <c>delete</c> is about.</summary>
    public string? Id;
    /// <summary>The user a moderation command acts on.</summary>
    public string? User;
    public string? Reason;
    /// <summary>With <c>send</c>: the id of the message this one replies to.</summary>
    public string? ReplyTo;
    /// <summary>The emoji of a <c>react</c> or <c>unreact</c>.</summary>
    public string? Emoji;
    /// <summary>What a <c>search</c> looks for.</summary>
    public string? Query;
    /// <summary>With <c>create</c>: a private room.</summary>
    public bool? Private;
    /// <summary>How long a mute or ban lasts.</summary>
    public int? Seconds;
}

/// <summary>Why a client message could not be parsed; <see cref="Ref"/> is the message's ref when it could be read.</summary>
public readonly record struct CommandError(string Code, string Message, string? Ref);
