using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>Who a logged-in connection speaks as. Guests are never stored; everyone else is a registered account.</summary>
public sealed record ChatUser(string Name, string Color, Role Role)
{
    public string Key { get; } = NameRules.Key(Name);
    public bool IsGuest => Role == Role.Guest;

    /// <summary>Guests may chat; creating rooms needs an account.</summary>
    public bool CanCreateRooms => !IsGuest;

    /// <summary>Moderators and admins delete any message, mute, kick and ban.</summary>
    public bool CanModerate => Role >= Role.Moderator;

    /// <summary>Admins also grant and revoke moderator, read the audit log and the statistics.</summary>
    public bool IsAdmin => Role == Role.Admin;

    /// <summary>
    /// Whether this user may mute, kick or ban someone of <paramref name="target"/>'s role: only someone of a lower
    /// rank (guest &lt; member &lt; moderator &lt; admin), so moderators cannot silence each other and nobody an admin.
    /// </summary>
    public bool Outranks(Role target) => CanModerate && Role > target;

    public static ChatUser From(UserRecord record) => new(record.Name, record.Color, record.Role);
}
