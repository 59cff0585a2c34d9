using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>Who a logged-in connection speaks as. Guests are never stored; everyone else is a registered account.</summary>
public sealed record ChatUser(string Name, string Color, Role Role)
{
    public string Key { get; } = NameRules.Key(Name);
    public bool IsGuest => Role == Role.Guest;

    /// <summary>Guests may chat; creating rooms needs an account.</summary>
    public bool CanCreateRooms => !IsGuest;

    public static ChatUser From(UserRecord record) => new(record.Name, record.Color, record.Role);
}
