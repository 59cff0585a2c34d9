namespace RawSocketChat.Chat.Commands;

/// <summary>
/// One command of <c>rawsocketchat.v1</c> as its handler sees it: the fields its type defines and nothing else,
/// bound from the parsed <see cref="CommandFields"/> by <see cref="CommandTable"/>. Required fields are still
/// nullable here: "'room' is required" is the handler's answer, with the command's <see cref="Ref"/>, so a client
/// learns which field it forgot.
/// </summary>
public abstract record Command(string? Ref);

/// <summary><c>rooms</c>, <c>logout</c>, <c>sanctions</c>, <c>stats</c>: nothing but the ref.</summary>
public sealed record PlainCommand(string? Ref) : Command(Ref);

/// <summary><c>login</c>: a guest without a password, an account with one.</summary>
public sealed record LoginCommand(string? Ref, string? Name, string? Password, string? Color) : Command(Ref);

public sealed record RegisterCommand(string? Ref, string? Name, string? Password, string? Color, string? AdminSecret) : Command(Ref);

public sealed record ResumeCommand(string? Ref, string? Token) : Command(Ref);

/// <summary><c>create</c>, <c>join</c>, <c>leave</c>, <c>typing</c>: one room.</summary>
public sealed record RoomCommand(string? Ref, string? Room) : Command(Ref);

/// <summary><c>create</c>; a <see cref="Private"/> room is seen and joined by its members only.</summary>
public sealed record CreateCommand(string? Ref, string? Room, bool Private) : Command(Ref);

/// <summary><c>invite</c>: a registered user, into a private room.</summary>
public sealed record InviteCommand(string? Ref, string? Room, string? User) : Command(Ref);

/// <summary><c>send</c>; <see cref="ReplyTo"/> makes it a reply to that message of the same room.</summary>
public sealed record SendCommand(string? Ref, string? Room, string? Text, string? ReplyTo = null) : Command(Ref);

public sealed record HistoryCommand(string? Ref, string? Room, string? Before, int? Limit) : Command(Ref);

public sealed record EditCommand(string? Ref, string? Room, string? Id, string? Text) : Command(Ref);

/// <summary><c>delete</c>; the reason is for moderation, used only on someone else's message.</summary>
public sealed record DeleteCommand(string? Ref, string? Room, string? Id, string? Reason) : Command(Ref);

/// <summary>
/// <c>react</c> and <c>unreact</c>. <see cref="User"/> is only for <c>unreact</c> by a moderator, removing someone
/// else's reaction; absent, it is one's own.
/// </summary>
public sealed record ReactionCommand(string? Ref, string? Room, string? Id, string? Emoji, string? User = null) : Command(Ref);

/// <summary><c>topic</c>: the room and its new topic (empty clears it).</summary>
public sealed record TopicCommand(string? Ref, string? Room, string? Text) : Command(Ref);

/// <summary><c>profile</c>: what the user changes about how they are shown — their color, their name's spelling, or both.</summary>
public sealed record ProfileCommand(string? Ref, string? Color, string? Name = null) : Command(Ref);

/// <summary><c>password</c>: the current password and the new one.</summary>
public sealed record PasswordCommand(string? Ref, string? Password, string? NewPassword) : Command(Ref);

/// <summary><c>delete_account</c>: the account's password, as proof that its owner asks.</summary>
public sealed record DeleteAccountCommand(string? Ref, string? Password) : Command(Ref);

/// <summary><c>read</c>: the user has read the room up to this message.</summary>
public sealed record ReadCommand(string? Ref, string? Room, string? Id) : Command(Ref);

/// <summary>
/// <c>search</c>: the query, and what narrows it — one room, one author, messages before an id (the next page).
/// </summary>
public sealed record SearchCommand(string? Ref, string? Query, string? Room, string? User, string? Before, int? Limit) : Command(Ref);

public sealed record DirectCommand(string? Ref, string? To, string? Text, string? ReplyTo = null) : Command(Ref);

/// <summary><c>mute</c>, <c>ban</c>: a user, for how long, and why.</summary>
public sealed record SanctionCommand(string? Ref, string? User, int? Seconds, string? Reason) : Command(Ref);

/// <summary><c>unmute</c>, <c>unban</c>, <c>grant</c>, <c>revoke</c>: one user.</summary>
public sealed record UserCommand(string? Ref, string? User) : Command(Ref);

public sealed record KickCommand(string? Ref, string? Room, string? User, string? Reason) : Command(Ref);

public sealed record AuditCommand(string? Ref, string? Before, int? Limit) : Command(Ref);
