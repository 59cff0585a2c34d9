namespace RawSocketChat.Chat.Presence;

/// <summary>
/// The in-process <see cref="IPresence"/>: each user name online with the number of its open, logged-in
/// connections. A registered user may be logged in from several connections (a phone and a laptop); a guest name
/// belongs to exactly one connection and is free again when it closes.
/// <para>
/// The table is also where name races are settled. Registering reserves the name here before it is written to the
/// store, and a guest login claims its name here before checking that it is not registered — so whichever comes
/// second sees the name taken, without a lock held across the (slow) password hashing or the store.
/// </para>
/// </summary>
public sealed class PresenceTable : IPresence
{
    private sealed class Entry
    {
        public ChatUser? User;          // null while reserved for a registration
        public int Connections;
    }

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    /// <summary>Users online right now.</summary>
    public int OnlineCount
    {
        get
        {
            lock (_lock)
                return _entries.Values.Count(e => e.Connections > 0);
        }
    }

    public bool IsOnline(string key)
    {
        lock (_lock)
            return _entries.TryGetValue(key, out Entry? e) && e.Connections > 0;
    }

    /// <summary>The user online with this name key, or null.</summary>
    public ChatUser? Find(string key)
    {
        lock (_lock)
            return _entries.TryGetValue(key, out Entry? e) && e.Connections > 0 ? e.User : null;
    }

    /// <summary>Replaces the entry of an online user (a new role).</summary>
    public void Update(ChatUser user)
    {
        lock (_lock)
            if (_entries.TryGetValue(user.Key, out Entry? e) && e.User is not null)
                e.User = user;
    }

    /// <summary>Whether the name is online or being registered.</summary>
    public bool IsInUse(string key)
    {
        lock (_lock)
            return _entries.ContainsKey(key);
    }

    /// <summary>Reserves a name for a registration in progress; false when it is online or already reserved.</summary>
    public bool TryReserve(string key)
    {
        lock (_lock)
            return _entries.TryAdd(key, new Entry());
    }

    /// <summary>Drops a reservation that did not become a login.</summary>
    public void CancelReservation(string key)
    {
        lock (_lock)
            if (_entries.TryGetValue(key, out Entry? e) && e.User is null)
                _entries.Remove(key);
    }

    /// <summary>Turns a reservation into the new account's first connection.</summary>
    public void CompleteReservation(ChatUser user)
    {
        lock (_lock)
            _entries[user.Key] = new Entry { User = user, Connections = 1 };
    }

    /// <summary>Claims a name for a guest connection; false when anyone is online with it or registering it.</summary>
    public bool TryClaimGuest(ChatUser guest)
    {
        lock (_lock)
            return _entries.TryAdd(guest.Key, new Entry { User = guest, Connections = 1 });
    }

    /// <summary>
    /// Adds a connection of a registered user; <paramref name="first"/> tells whether the user just came online.
    /// False when the name is held by a guest or a registration (which the name rules make impossible in practice).
    /// </summary>
    public bool TryAddConnection(ChatUser user, out bool first)
    {
        lock (_lock)
        {
            first = false;
            if (_entries.TryGetValue(user.Key, out Entry? e))
            {
                if (e.User is null || e.User.IsGuest)
                    return false;
                e.User = user;
                e.Connections++;
                return true;
            }
            _entries[user.Key] = new Entry { User = user, Connections = 1 };
            first = true;
            return true;
        }
    }

    /// <summary>Removes one connection; true when it was the user's last (the user went offline).</summary>
    public bool RemoveConnection(string key)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out Entry? e) || e.User is null)
                return false;
            if (--e.Connections > 0)
                return false;
            _entries.Remove(key);
            return true;
        }
    }
}
