namespace RawSocketChat.Chat;

/// <summary>
/// One client message, as parsed: the <c>type</c> and every field a command of this protocol can carry. Which fields
/// a type requires is checked by its handler; fields nobody uses are ignored, so clients may add their own.
/// </summary>
public sealed class ChatCommand
{
    public required string Type { get; init; }
    public string? Name { get; init; }
    public string? Password { get; init; }
    /// <summary>With <c>register</c>: the secret that makes a name listed in <c>--admin</c> an admin account.</summary>
    public string? AdminSecret { get; init; }
    public string? Color { get; init; }
    public string? Token { get; init; }
    public string? Room { get; init; }
    public string? Text { get; init; }
    public string? Ref { get; init; }
    public string? Before { get; init; }
    public int? Limit { get; init; }
    /// <summary>The recipient of a <c>dm</c>.</summary>
    public string? To { get; init; }
    /// <summary>The message an <c>edit</c> or <c>delete</c> is about.</summary>
    public string? Id { get; init; }
    /// <summary>The user a moderation command acts on.</summary>
    public string? User { get; init; }
    public string? Reason { get; init; }
    /// <summary>How long a mute or ban lasts.</summary>
    public int? Seconds { get; init; }
}

/// <summary>Why a client message could not be parsed; <see cref="Ref"/> is the message's ref when it could be read.</summary>
public readonly record struct CommandError(string Code, string Message, string? Ref);
