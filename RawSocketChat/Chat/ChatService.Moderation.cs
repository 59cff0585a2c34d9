using System.Diagnostics;
using RawSocketChat.Protocol;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>
/// Moderation: mute, kick, ban (and their undoing), grant and revoke moderator, and the audit log. Each action is
/// stored first, then written to the log, then takes effect (notices, disconnects), then the moderator gets
/// <c>moderated</c> — the log entry itself. Bans and mutes live in the store and, for fast checks, in
/// <see cref="Sanctions"/>.
/// </summary>
public sealed partial class ChatService
{
    public const int MaxReasonLength = 200;
    public const int DefaultMuteSeconds = 600;
    public const int MaxSanctionSeconds = 30 * 24 * 3600;
    public const int AuditPageDefault = 50;
    public const int AuditPageLimit = 100;
    /// <summary>How many bans (and how many mutes) <c>sanctions</c> lists; the counts are always complete.</summary>
    public const int MaxSanctionsListed = 500;

    /// <summary>Who a moderation command is about: an account, or just a name (a guest's, online or not).</summary>
    private readonly record struct Target(string Name, string Key, Role Role, bool Registered);

    // ---- Mutes ----

    private async Task MuteAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (await FindTargetAsync(session, user, command) is not { } target
            || !CheckSeconds(session, command, DefaultMuteSeconds, out int? seconds) || !CheckReason(session, command, out string? reason))
            return;
        DateTime now = Millis(DateTime.UtcNow), until = now.AddSeconds(seconds!.Value);
        var mute = new MuteRecord(target.Name, user.Name, reason, now, until);
        await TimedWriteAsync(() => _store.SetMuteAsync(mute));
        _sanctions.SetMute(mute);
        ModerationRecord entry = await LogModerationAsync(ModerationAction.Mute, user, target.Name, until: until, reason: reason);
        SendToUser(target.Key, ServerMessages.Muted(until, user.Name, reason));
        session.Send(ServerMessages.Moderated(entry, command.Ref));
    }

    private async Task UnmuteAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (await FindTargetAsync(session, user, command) is not { } target)
            return;
        if (!await TimedWriteAsync(() => _store.RemoveMuteAsync(target.Name, DateTime.UtcNow)))
        {
            _sanctions.RemoveMute(target.Name);
            session.SendError(ChatErrorCode.BadRequest, $"'{target.Name}' is not muted", command.Ref);
            return;
        }
        _sanctions.RemoveMute(target.Name);
        ModerationRecord entry = await LogModerationAsync(ModerationAction.Unmute, user, target.Name);
        SendToUser(target.Key, ServerMessages.Unmuted(user.Name));
        session.Send(ServerMessages.Moderated(entry, command.Ref));
    }

    /// <summary>True (and <c>muted</c> was sent) when the user may not write now.</summary>
    private bool IsMuted(ChatSession session, ChatUser user, ChatCommand command)
    {
        DateTime now = DateTime.UtcNow;
        if (_sanctions.FindMute(user.Name, now) is not { } mute)
            return false;
        long retryAfter = Math.Max(1, (long)Math.Ceiling((mute.ExpiresAt - now).TotalMilliseconds));
        session.SendError(ChatErrorCode.Muted, $"you are muted until {ServerMessages.FormatTimestamp(mute.ExpiresAt)}", command.Ref,
            retryAfter, mute.ExpiresAt);
        return true;
    }

    // ---- Kicks ----

    private async Task KickAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (!Require(session, command, command.Room, "room")
            || FindRoom(session, command) is not { } room || await FindTargetAsync(session, user, command) is not { } target
            || !CheckReason(session, command, out string? reason))
            return;
        if (room.IsDirect)
        {
            session.SendError(ChatErrorCode.Forbidden, "nobody can be kicked from a direct conversation", command.Ref);
            return;
        }
        if (!room.IsMember(target.Key))
        {
            session.SendError(ChatErrorCode.NotMember, $"'{target.Name}' is not in '{room.Name}'", command.Ref);
            return;
        }
        if (target.Registered)
            await TimedWriteAsync(() => _store.RemoveRoomMemberAsync(room.Name, target.Name));
        if (room.Kick(target.Key, user.Name, reason) is not { } kicked)
        {
            session.SendError(ChatErrorCode.NotMember, $"'{target.Name}' is not in '{room.Name}'", command.Ref);
            return;
        }
        _roomList.Changed(room);
        ModerationRecord entry = await LogModerationAsync(ModerationAction.Kick, user, kicked.Name, room: room.Name, reason: reason);
        session.Send(ServerMessages.Moderated(entry, command.Ref));
    }

    // ---- Bans ----

    private async Task BanAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (await FindTargetAsync(session, user, command) is not { } target
            || !CheckSeconds(session, command, null, out int? seconds) || !CheckReason(session, command, out string? reason))
            return;
        DateTime now = Millis(DateTime.UtcNow);
        DateTime? until = seconds is { } s ? now.AddSeconds(s) : null;
        var ban = new BanRecord(target.Name, user.Name, reason, now, until);
        await TimedWriteAsync(() => _store.SetBanAsync(ban));
        // The ban is in force before the connections are looked for: a login completing now sees one or the other.
        _sanctions.SetBan(ban);
        ModerationRecord entry = await LogModerationAsync(ModerationAction.Ban, user, target.Name, until: until, reason: reason);
        int closed = 0;
        foreach (ChatSession other in ConnectionsOf(target.Key))
        {
            if (other.User?.Key == target.Key)
            {
                Disconnect(other, ban);
                closed++;
            }
        }
        _log.Info($"chat ban user={target.Name} by={user.Name} until={(until is { } u ? ServerMessages.FormatTimestamp(u) : "unban")} connections={closed}");
        session.Send(ServerMessages.Moderated(entry, command.Ref));
    }

    private async Task UnbanAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (await FindTargetAsync(session, user, command) is not { } target)
            return;
        bool lifted = await TimedWriteAsync(() => _store.RemoveBanAsync(target.Name, DateTime.UtcNow));
        _sanctions.RemoveBan(target.Name);
        if (!lifted)
        {
            session.SendError(ChatErrorCode.BadRequest, $"'{target.Name}' is not banned", command.Ref);
            return;
        }
        ModerationRecord entry = await LogModerationAsync(ModerationAction.Unban, user, target.Name);
        session.Send(ServerMessages.Moderated(entry, command.Ref));
    }

    /// <summary>True (and <c>banned</c> was sent) when the name is banned now.</summary>
    private bool IsBanned(ChatSession session, ChatCommand command, string name)
    {
        if (_sanctions.FindBan(name, DateTime.UtcNow) is not { } ban)
            return false;
        session.SendError(ChatErrorCode.Banned, BannedMessage(ban), command.Ref, until: ban.ExpiresAt, reason: ban.Reason);
        return true;
    }

    /// <summary>Tells a banned user's connection why, then closes it: 1008, policy violation (RFC 6455 §7.4.1).</summary>
    private static void Disconnect(ChatSession session, BanRecord ban)
    {
        session.SendError(ChatErrorCode.Banned, BannedMessage(ban), null, until: ban.ExpiresAt, reason: ban.Reason);
        session.Connection.Close(CloseCode.PolicyViolation, "banned");
    }

    private static string BannedMessage(BanRecord ban) =>
        (ban.Reason is null ? "you are banned" : $"you are banned: {ban.Reason}")
        + (ban.ExpiresAt is { } until ? $" (until {ServerMessages.FormatTimestamp(until)})" : "");

    // ---- What is in force ----

    /// <summary>The bans and mutes in force, for the moderators' list (with Unban and Unmute beside each).</summary>
    private Task ListSanctions(ChatSession session, ChatCommand command)
    {
        (List<BanRecord> bans, List<MuteRecord> mutes) = _sanctions.InForce(DateTime.UtcNow);
        session.Send(ServerMessages.SanctionsInForce(bans, mutes, MaxSanctionsListed, command.Ref));
        return Task.CompletedTask;
    }

    // ---- Roles ----

    private async Task SetRoleAsync(ChatSession session, ChatUser user, ChatCommand command, Role role)
    {
        if (!Require(session, command, command.User, "user") || !CheckName(session, command, command.User!))
            return;
        UserRecord? record = await _store.FindUserAsync(command.User!);
        if (record is null)
        {
            session.SendError(ChatErrorCode.NoSuchUser, $"no registered user '{command.User}'", command.Ref);
            return;
        }
        if (record.Role == Role.Admin)
        {
            session.SendError(ChatErrorCode.Forbidden, "admins are named by --admin; their role cannot be changed here", command.Ref);
            return;
        }
        await TimedWriteAsync(() => _store.SetUserRoleAsync(record.Name, role));
        ModerationRecord entry = await LogModerationAsync(role == Role.Moderator ? ModerationAction.Grant : ModerationAction.Revoke, user, record.Name);

        // The new role applies at once: on the user's open connections (under each one's lock, so a connection that
        // logs out meanwhile is not logged back in), in member lists, and in presence.
        ChatUser changed = ChatUser.From(record with { Role = role });
        _presence.Update(changed);
        foreach (Room room in _rooms.MembershipsOf(changed.Key))
            room.UpdateMember(changed);
        foreach (ChatSession other in ConnectionsOf(changed.Key))
        {
            lock (other.SyncRoot)
            {
                if (other.User is { } current && current.Key == changed.Key)
                    other.User = current with { Role = role };
                else
                    continue;
            }
            other.Send(ServerMessages.RoleChanged(changed.Name, role, user.Name));
        }
        _log.Info($"chat role user={record.Name} role={role.ToWire()} by={user.Name}");
        session.Send(ServerMessages.Moderated(entry, command.Ref));
    }

    // ---- Audit log ----

    private async Task AuditAsync(ChatSession session, ChatCommand command)
    {
        if (command.Before is not null && !MessageIdGenerator.IsValid(command.Before))
        {
            session.SendError(ChatErrorCode.BadRequest, "'before' must be an entry id", command.Ref);
            return;
        }
        int limit = command.Limit ?? AuditPageDefault;
        if (limit < 1)
        {
            session.SendError(ChatErrorCode.BadRequest, $"'limit' must be 1 to {AuditPageLimit}", command.Ref);
            return;
        }
        limit = Math.Min(limit, AuditPageLimit);
        IReadOnlyList<ModerationRecord> page = await _store.GetModerationLogAsync(command.Before, limit + 1);
        bool more = page.Count > limit;
        IReadOnlyList<ModerationRecord> entries = more ? page.Skip(page.Count - limit).ToList() : page;
        session.Send(ServerMessages.Audit(command.Before, entries, more, command.Ref));
    }

    /// <summary>Writes one entry of the audit log, with an id from the message id generator (time-ordered, unique).</summary>
    private async Task<ModerationRecord> LogModerationAsync(string action, ChatUser actor, string target,
        string? room = null, string? messageId = null, DateTime? until = null, string? reason = null)
    {
        DateTime now = Millis(DateTime.UtcNow);
        var entry = new ModerationRecord(_ids.Next(now), now, action, actor.Name, target, room, messageId, until, reason);
        await TimedWriteAsync(() => _store.AppendModerationAsync(entry));
        _log.Info($"chat moderation action={action} by={actor.Name} user={target}{(room is null ? "" : " room=" + room)}");
        return entry;
    }

    // ---- Checks and helpers ----

    /// <summary>
    /// The user named by <c>user</c>, when the moderator may act on them: not themselves, and of a lower rank. The
    /// rank is the account's; a name without an account is a guest's.
    /// </summary>
    private async Task<Target?> FindTargetAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (!Require(session, command, command.User, "user") || !CheckName(session, command, command.User!))
            return null;
        string name = command.User!;
        UserRecord? record = await _store.FindUserAsync(name);
        Target target = record is not null
            ? new Target(record.Name, NameRules.Key(record.Name), record.Role, Registered: true)
            : new Target(_presence.Find(NameRules.Key(name))?.Name ?? name, NameRules.Key(name), Role.Guest, Registered: false);
        if (target.Key == user.Key)
        {
            session.SendError(ChatErrorCode.Forbidden, "you cannot moderate yourself", command.Ref);
            return null;
        }
        if (!user.Outranks(target.Role))
        {
            session.SendError(ChatErrorCode.Forbidden, $"a {user.Role.ToWire()} cannot act on a {target.Role.ToWire()}", command.Ref);
            return null;
        }
        return target;
    }

    private static bool CheckSeconds(ChatSession session, ChatCommand command, int? fallback, out int? seconds)
    {
        seconds = command.Seconds ?? fallback;
        if (seconds is null or (>= 1 and <= MaxSanctionSeconds))
            return true;
        session.SendError(ChatErrorCode.BadRequest, $"'seconds' must be 1 to {MaxSanctionSeconds}", command.Ref);
        return false;
    }

    private static bool CheckReason(ChatSession session, ChatCommand command, out string? reason)
    {
        reason = null;
        if (command.Reason is null)
            return true;
        reason = TextRules.Normalize(command.Reason, MaxReasonLength, out string? code, out string? message);
        if (reason is not null)
            return true;
        session.SendError(code!, "reason: " + message, command.Ref);
        return false;
    }

    /// <summary>Sends one message to every connection logged in as <paramref name="userKey"/>.</summary>
    private void SendToUser(string userKey, ReadOnlySpan<byte> json)
    {
        foreach (ChatSession session in ConnectionsOf(userKey))
            if (session.User?.Key == userKey)
                session.Send(json);
    }

    private async Task TimedWriteAsync(Func<Task> write)
    {
        long started = Stopwatch.GetTimestamp();
        await write();
        _metrics.StoreWrite.ObserveSince(started);
    }

    private async Task<T> TimedWriteAsync<T>(Func<Task<T>> write)
    {
        long started = Stopwatch.GetTimestamp();
        T result = await write();
        _metrics.StoreWrite.ObserveSince(started);
        return result;
    }

    /// <summary>Times kept to the millisecond, as the store keeps them, so what is sent equals what is stored.</summary>
    private static DateTime Millis(DateTime utc) => new(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
}
