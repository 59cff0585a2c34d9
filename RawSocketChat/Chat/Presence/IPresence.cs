namespace RawSocketChat.Chat.Presence;

/// <summary>
/// Who is online, and the one place where the race for a name is settled (a guest claiming it, a registration
/// reserving it, a second device logging in). One of the chat's seams: today <see cref="PresenceTable"/>, one
/// process's table; in a cluster, a shared one (every node must see a name taken on another, and a dead node's users
/// go offline). Counts are per user: a user with two devices is one user online.
/// </summary>
public interface IPresence
{
    /// <summary>Users online right now.</summary>
    int OnlineCount { get; }

    bool IsOnline(string key);

    /// <summary>The user online with this name key, or null.</summary>
    ChatUser? Find(string key);

    /// <summary>Replaces the entry of an online user (a new role).</summary>
    void Update(ChatUser user);

    /// <summary>Whether the name is online or being registered.</summary>
    bool IsInUse(string key);

    /// <summary>Reserves a name for a registration in progress; false when it is online or already reserved.</summary>
    bool TryReserve(string key);

    /// <summary>Drops a reservation that did not become a login.</summary>
    void CancelReservation(string key);

    /// <summary>Turns a reservation into the new account's first connection.</summary>
    void CompleteReservation(ChatUser user);

    /// <summary>Claims a name for a guest connection; false when anyone is online with it or registering it.</summary>
    bool TryClaimGuest(ChatUser guest);

    /// <summary>Adds a connection of a registered user; <paramref name="first"/> tells whether the user just came online.</summary>
    bool TryAddConnection(ChatUser user, out bool first);

    /// <summary>Removes one connection; true when it was the user's last (the user went offline).</summary>
    bool RemoveConnection(string key);
}
