using RawSocketChat.Protocol;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat.Moderation;

/// <summary>
/// What a banned or muted user is told, the same way by every module that checks: accounts (a ban refuses a login),
/// messages and direct messages (a mute refuses a send), moderation (a ban closes the user's connections).
/// </summary>
internal static class SanctionReplies
{
    /// <summary>True (and <c>muted</c> was sent) when the user may not write at <paramref name="now"/> (wall time: a mute ends at a time of day).</summary>
    public static bool RefuseIfMuted(this ISanctions sanctions, ChatSession session, ChatUser user, string? reference, DateTime now)
    {
        if (sanctions.FindMute(user.Name, now) is not { } mute)
            return false;
        long retryAfter = Math.Max(1, (long)Math.Ceiling((mute.ExpiresAt - now).TotalMilliseconds));
        session.SendError(ChatErrorCode.Muted, $"you are muted until {ServerMessages.FormatTimestamp(mute.ExpiresAt)}", reference,
            retryAfter, mute.ExpiresAt);
        return true;
    }

    /// <summary>True (and <c>banned</c> was sent) when the name is banned at <paramref name="now"/>.</summary>
    public static bool RefuseIfBanned(this ISanctions sanctions, ChatSession session, string? reference, string name, DateTime now)
    {
        if (sanctions.FindBan(name, now) is not { } ban)
            return false;
        session.SendError(ChatErrorCode.Banned, BannedMessage(ban), reference, until: ban.ExpiresAt, reason: ban.Reason);
        return true;
    }

    /// <summary>Tells a banned user's connection why, then closes it: 1008, policy violation (RFC 6455 §7.4.1).</summary>
    public static void Disconnect(ChatSession session, BanRecord ban)
    {
        session.SendError(ChatErrorCode.Banned, BannedMessage(ban), null, until: ban.ExpiresAt, reason: ban.Reason);
        session.Connection.Close(CloseCode.PolicyViolation, "banned");
    }

    private static string BannedMessage(BanRecord ban) =>
        (ban.Reason is null ? "you are banned" : $"you are banned: {ban.Reason}")
        + (ban.ExpiresAt is { } until ? $" (until {ServerMessages.FormatTimestamp(until)})" : "");
}
