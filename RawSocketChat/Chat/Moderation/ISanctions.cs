using RawSocketChat.Storage;

namespace RawSocketChat.Chat.Moderation;

/// <summary>
/// The bans and mutes in force, for the checks on every login and every <c>send</c>. One of the chat's seams: today
/// <see cref="Sanctions"/>, one process's copy of what the store holds; in a cluster, a ban set on one node must be
/// in force on every node before the moderator is told it is done.
/// </summary>
public interface ISanctions
{
    /// <summary>The ban in force for this name at <paramref name="now"/>, or null.</summary>
    BanRecord? FindBan(string name, DateTime now);

    /// <summary>The mute in force for this name at <paramref name="now"/>, or null.</summary>
    MuteRecord? FindMute(string name, DateTime now);

    /// <summary>Every ban and mute in force at <paramref name="now"/>.</summary>
    (List<BanRecord> Bans, List<MuteRecord> Mutes) InForce(DateTime now);

    void SetBan(BanRecord ban);
    void RemoveBan(string name);
    void SetMute(MuteRecord mute);
    void RemoveMute(string name);
}
