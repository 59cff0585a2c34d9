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
    public string? Color { get; init; }
    public string? Token { get; init; }
    public string? Room { get; init; }
    public string? Text { get; init; }
    public string? Ref { get; init; }
    public string? Before { get; init; }
    public int? Limit { get; init; }
}

/// <summary>Why a client message could not be parsed; <see cref="Ref"/> is the message's ref when it could be read.</summary>
public readonly record struct CommandError(string Code, string Message, string? Ref);
