using RawSocketChat.Storage;

namespace RawSocketChat.Chat.Moderation;

/// <summary>
/// The in-process <see cref="ISanctions"/>: the bans and mutes in force, in memory, by name key: checked on every <c>send</c> (mutes) and every login (bans),
/// so neither costs a store read. The store holds the same records durably; the chat writes there first, then here,
/// and reloads from there at start-up. Expired entries are ignored when read and dropped lazily.
/// </summary>
public sealed class Sanctions : ISanctions
{
    // Each entry keeps the order it was set in: two sanctions given within one tick of the clock (or loaded with
    // equal stored times) still list newest first, the same way every time.
    private readonly Dictionary<string, (BanRecord Ban, long Order)> _bans = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (MuteRecord Mute, long Order)> _mutes = new(StringComparer.Ordinal);
    private readonly object _lock = new();
    private long _order;

    public Sanctions(IEnumerable<BanRecord> bans, IEnumerable<MuteRecord> mutes)
    {
        foreach (BanRecord ban in bans.OrderBy(b => b.CreatedAt))
            SetBan(ban);
        foreach (MuteRecord mute in mutes.OrderBy(m => m.CreatedAt))
            SetMute(mute);
    }

    /// <summary>The ban in force for this name at <paramref name="now"/>, or null.</summary>
    public BanRecord? FindBan(string name, DateTime now)
    {
        string key = NameRules.Key(name);
        lock (_lock)
        {
            if (!_bans.TryGetValue(key, out (BanRecord Ban, long) entry))
                return null;
            BanRecord ban = entry.Ban;
            if (ban.ExpiresAt is { } expires && expires <= now)
            {
                _bans.Remove(key);
                return null;
            }
            return ban;
        }
    }

    /// <summary>The mute in force for this name at <paramref name="now"/>, or null.</summary>
    public MuteRecord? FindMute(string name, DateTime now)
    {
        string key = NameRules.Key(name);
        lock (_lock)
        {
            if (!_mutes.TryGetValue(key, out (MuteRecord Mute, long) entry))
                return null;
            MuteRecord mute = entry.Mute;
            if (mute.ExpiresAt <= now)
            {
                _mutes.Remove(key);
                return null;
            }
            return mute;
        }
    }

    /// <summary>The bans and mutes in force at <paramref name="now"/>, newest first (expired ones are dropped).</summary>
    public (List<BanRecord> Bans, List<MuteRecord> Mutes) InForce(DateTime now)
    {
        lock (_lock)
        {
            foreach (string key in _bans.Where(b => b.Value.Ban.ExpiresAt <= now).Select(b => b.Key).ToList())
                _bans.Remove(key);
            foreach (string key in _mutes.Where(m => m.Value.Mute.ExpiresAt <= now).Select(m => m.Key).ToList())
                _mutes.Remove(key);
            return (_bans.Values.OrderByDescending(b => b.Ban.CreatedAt).ThenByDescending(b => b.Order).Select(b => b.Ban).ToList(),
                _mutes.Values.OrderByDescending(m => m.Mute.CreatedAt).ThenByDescending(m => m.Order).Select(m => m.Mute).ToList());
        }
    }

    public void SetBan(BanRecord ban)
    {
        lock (_lock)
            _bans[NameRules.Key(ban.Name)] = (ban, ++_order);
    }

    public void RemoveBan(string name)
    {
        lock (_lock)
            _bans.Remove(NameRules.Key(name));
    }

    public void SetMute(MuteRecord mute)
    {
        lock (_lock)
            _mutes[NameRules.Key(mute.Name)] = (mute, ++_order);
    }

    public void RemoveMute(string name)
    {
        lock (_lock)
            _mutes.Remove(NameRules.Key(name));
    }
}
