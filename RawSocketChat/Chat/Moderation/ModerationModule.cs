using RawSocketChat.Chat.Commands;
using RawSocketChat.Chat.Presence;
using RawSocketChat.Chat.Rooms;
using RawSocketChat.Diagnostics;
using RawSocketChat.Storage;
using static RawSocketChat.Chat.Checks;

namespace RawSocketChat.Chat.Moderation;

/// <summary>
/// Moderation: mute, kick, ban (and their undoing), grant and revoke moderator, the sanctions in force and the audit
/// log. Each action is stored first, then written to the log, then takes effect (notices, disconnects), then the
/// moderator gets <c>moderated</c> — the log entry itself. Bans and mutes live in the store and, for fast checks, in
/// <see cref="ISanctions"/>.
/// </summary>
internal sealed class ModerationModule(IChatStore store, Log log, ServerMetrics metrics, ISanctions sanctions, IUserConnections connections,
    IPresence presence, RoomRegistry rooms, RoomListFeed roomList, IRoomLookup lookup, IModerationLog auditLog, TimeProvider time) : IModerationLog
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

    public async Task MuteAsync(ChatSession session, ChatUser user, SanctionCommand command)
    {
        if (await FindTargetAsync(session, user, command.Ref, command.User) is not { } target
            || !CheckSeconds(session, command.Ref, command.Seconds, DefaultMuteSeconds, out int? seconds) || !CheckReason(session, command.Ref, command.Reason, out string? reason))
            return;
        DateTime now = Millis(time.UtcNow()), until = now.AddSeconds(seconds!.Value);
        var mute = new MuteRecord(target.Name, user.Name, reason, now, until);
        await metrics.StoreWrite.TimedAsync(() => store.SetMuteAsync(mute));
        sanctions.SetMute(mute);
        ModerationRecord entry = await LogAsync(ModerationAction.Mute, user, target.Name, until: until, reason: reason);
        connections.SendToUser(target.Key, ServerMessages.Muted(until, user.Name, reason));
        session.Send(ServerMessages.Moderated(entry, command.Ref));
    }

    public async Task UnmuteAsync(ChatSession session, ChatUser user, UserCommand command)
    {
        if (await FindTargetAsync(session, user, command.Ref, command.User) is not { } target)
            return;
        if (!await metrics.StoreWrite.TimedAsync(() => store.RemoveMuteAsync(target.Name, time.UtcNow())))
        {
            sanctions.RemoveMute(target.Name);
            session.SendError(ChatErrorCode.BadRequest, $"'{target.Name}' is not muted", command.Ref);
            return;
        }
        sanctions.RemoveMute(target.Name);
        ModerationRecord entry = await LogAsync(ModerationAction.Unmute, user, target.Name);
        connections.SendToUser(target.Key, ServerMessages.Unmuted(user.Name));
        session.Send(ServerMessages.Moderated(entry, command.Ref));
    }

    // ---- Kicks ----

    public async Task KickAsync(ChatSession session, ChatUser user, KickCommand command)
    {
        if (!Require(session, command.Ref, command.Room, "room")
            || lookup.Find(session, command.Ref, command.Room) is not { } room || await FindTargetAsync(session, user, command.Ref, command.User) is not { } target
            || !CheckReason(session, command.Ref, command.Reason, out string? reason))
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
            await metrics.StoreWrite.TimedAsync(() => store.RemoveRoomMemberAsync(room.Name, target.Name));
        if (room.Kick(target.Key, user.Name, reason) is not { } kicked)
        {
            session.SendError(ChatErrorCode.NotMember, $"'{target.Name}' is not in '{room.Name}'", command.Ref);
            return;
        }
        roomList.Changed(room);
        ModerationRecord entry = await LogAsync(ModerationAction.Kick, user, kicked.Name, room: room.Name, reason: reason);
        session.Send(ServerMessages.Moderated(entry, command.Ref));
    }

    // ---- Bans ----

    public async Task BanAsync(ChatSession session, ChatUser user, SanctionCommand command)
    {
        if (await FindTargetAsync(session, user, command.Ref, command.User) is not { } target
            || !CheckSeconds(session, command.Ref, command.Seconds, null, out int? seconds) || !CheckReason(session, command.Ref, command.Reason, out string? reason))
            return;
        DateTime now = Millis(time.UtcNow());
        DateTime? until = seconds is { } s ? now.AddSeconds(s) : null;
        var ban = new BanRecord(target.Name, user.Name, reason, now, until);
        await metrics.StoreWrite.TimedAsync(() => store.SetBanAsync(ban));
        // The ban is in force before the connections are looked for: a login completing now sees one or the other.
        sanctions.SetBan(ban);
        ModerationRecord entry = await LogAsync(ModerationAction.Ban, user, target.Name, until: until, reason: reason);
        int closed = 0;
        foreach (ChatSession other in connections.Of(target.Key))
        {
            if (other.User?.Key == target.Key)
            {
                SanctionReplies.Disconnect(other, ban);
                closed++;
            }
        }
        log.Info($"chat ban user={target.Name} by={user.Name} until={(until is { } u ? ServerMessages.FormatTimestamp(u) : "unban")} connections={closed}");
        session.Send(ServerMessages.Moderated(entry, command.Ref));
    }

    public async Task UnbanAsync(ChatSession session, ChatUser user, UserCommand command)
    {
        if (await FindTargetAsync(session, user, command.Ref, command.User) is not { } target)
            return;
        bool lifted = await metrics.StoreWrite.TimedAsync(() => store.RemoveBanAsync(target.Name, time.UtcNow()));
        sanctions.RemoveBan(target.Name);
        if (!lifted)
        {
            session.SendError(ChatErrorCode.BadRequest, $"'{target.Name}' is not banned", command.Ref);
            return;
        }
        ModerationRecord entry = await LogAsync(ModerationAction.Unban, user, target.Name);
        session.Send(ServerMessages.Moderated(entry, command.Ref));
    }

    // ---- What is in force ----

    /// <summary>The bans and mutes in force, for the moderators' list (with Unban and Unmute beside each).</summary>
    public Task ListSanctions(ChatSession session, PlainCommand command)
    {
        (List<BanRecord> bans, List<MuteRecord> mutes) = sanctions.InForce(time.UtcNow());
        session.Send(ServerMessages.SanctionsInForce(bans, mutes, MaxSanctionsListed, command.Ref));
        return Task.CompletedTask;
    }

    // ---- Roles ----

    public async Task SetRoleAsync(ChatSession session, ChatUser user, UserCommand command, Role role)
    {
        if (!Require(session, command.Ref, command.User, "user") || !CheckName(session, command.Ref, command.User!))
            return;
        UserRecord? record = await store.FindUserAsync(command.User!);
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
        await metrics.StoreWrite.TimedAsync(() => store.SetUserRoleAsync(record.Name, role));
        ModerationRecord entry = await LogAsync(role == Role.Moderator ? ModerationAction.Grant : ModerationAction.Revoke, user, record.Name);

        // The new role applies at once: on the user's open connections (under each one's lock, so a connection that
        // logs out meanwhile is not logged back in), in member lists, and in presence.
        ChatUser changed = ChatUser.From(record with { Role = role });
        presence.Update(changed);
        foreach (Room room in rooms.MembershipsOf(changed.Key))
            room.UpdateMember(changed);
        foreach (ChatSession other in connections.Of(changed.Key))
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
        log.Info($"chat role user={record.Name} role={role.ToWire()} by={user.Name}");
        session.Send(ServerMessages.Moderated(entry, command.Ref));
    }

    // ---- Audit log ----

    public async Task AuditAsync(ChatSession session, AuditCommand command)
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
        IReadOnlyList<ModerationRecord> page = await store.GetModerationLogAsync(command.Before, limit + 1);
        bool more = page.Count > limit;
        IReadOnlyList<ModerationRecord> entries = more ? page.Skip(page.Count - limit).ToList() : page;
        session.Send(ServerMessages.Audit(command.Before, entries, more, command.Ref));
    }

    /// <summary>Writes one entry of the audit log, with an id from the message id generator (time-ordered, unique).</summary>
    public Task<ModerationRecord> LogAsync(string action, ChatUser actor, string target,
        string? room = null, string? messageId = null, DateTime? until = null, string? reason = null) =>
        auditLog.LogAsync(action, actor, target, room, messageId, until, reason);

    // ---- Checks and helpers ----

    /// <summary>
    /// The user named by <c>user</c>, when the moderator may act on them: not themselves, and of a lower rank. The
    /// rank is the account's; a name without an account is a guest's.
    /// </summary>
    private async Task<Target?> FindTargetAsync(ChatSession session, ChatUser user, string? reference, string? named)
    {
        if (!Require(session, reference, named, "user") || !CheckName(session, reference, named!))
            return null;
        string name = named!;
        UserRecord? record = await store.FindUserAsync(name);
        Target target = record is not null
            ? new Target(record.Name, NameRules.Key(record.Name), record.Role, Registered: true)
            : new Target(presence.Find(NameRules.Key(name))?.Name ?? name, NameRules.Key(name), Role.Guest, Registered: false);
        if (target.Key == user.Key)
        {
            session.SendError(ChatErrorCode.Forbidden, "you cannot moderate yourself", reference);
            return null;
        }
        if (!user.Outranks(target.Role))
        {
            session.SendError(ChatErrorCode.Forbidden, $"a {user.Role.ToWire()} cannot act on a {target.Role.ToWire()}", reference);
            return null;
        }
        return target;
    }

    private static bool CheckSeconds(ChatSession session, string? reference, int? given, int? fallback, out int? seconds)
    {
        seconds = given ?? fallback;
        if (seconds is null or (>= 1 and <= MaxSanctionSeconds))
            return true;
        session.SendError(ChatErrorCode.BadRequest, $"'seconds' must be 1 to {MaxSanctionSeconds}", reference);
        return false;
    }
}
