using System.Net;
using RawSocketChat.Chat.Commands;
using RawSocketChat.Chat.Moderation;
using RawSocketChat.Chat.Presence;
using RawSocketChat.Chat.Rooms;
using RawSocketChat.Diagnostics;
using RawSocketChat.Storage;
using static RawSocketChat.Chat.Checks;

namespace RawSocketChat.Chat.Accounts;

/// <summary>
/// Accounts: guest login, registration, password login, resume with a session token, logout — and what happens to
/// a user's presence when a connection logs in or out. Owns the password hashing (and its gate) and the login
/// throttle; who is online is <see cref="IPresence"/>, where the races for a name are settled.
/// </summary>
internal sealed class AccountsModule(ChatSettings settings, IChatStore store, Log log, ServerMetrics metrics, IPresence presence,
    IUserConnections connections, ILoginThrottle loginThrottle, ISanctions sanctions, AdminBootstrap admins,
    RoomRegistry rooms, RoomListFeed roomList, IRoomLookup lookup, PresenceModule presenceModule, ChatLimits limits, IModerationLog moderationLog,
    MessageWriter writer, TimeProvider time)
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 1024;

    private readonly PasswordHasher _hasher = new(settings.Pbkdf2Iterations);
    // PBKDF2 at 600,000 iterations is ~0.2 s of one core. Without a cap, a burst of logins would take every core.
    private readonly SemaphoreSlim _hashGate = new(Math.Max(1, Environment.ProcessorCount));

    public ILoginThrottle Throttle => loginThrottle;

    /// <summary><c>login</c>: a guest without a password, an account with one.</summary>
    public Task LoginAsync(ChatSession session, LoginCommand command) =>
        command.Password is null ? GuestLoginAsync(session, command) : PasswordLoginAsync(session, command);

    private async Task GuestLoginAsync(ChatSession session, LoginCommand command)
    {
        if (!CheckLoggedOut(session, command.Ref) || !Require(session, command.Ref, command.Name, "name"))
            return;
        string name = command.Name!;
        if (!CheckName(session, command.Ref, name) || !CheckColor(session, command.Ref, command.Color) || sanctions.RefuseIfBanned(session, command.Ref, name, time.UtcNow()))
            return;

        var guest = new ChatUser(name, NameRules.ResolveColor(command.Color, name), Role.Guest);
        if (!presence.TryClaimGuest(guest))
        {
            session.SendError(ChatErrorCode.NameTaken, $"'{name}' is in use right now", command.Ref);
            return;
        }
        string? taken;
        try
        {
            taken = await store.FindUserAsync(name) is not null ? $"'{name}' is a registered name: log in with its password"
                : await store.IsNameRetiredAsync(name) ? $"'{name}' belonged to an account that was deleted: the name is retired"
                : null;
        }
        catch
        {
            presence.RemoveConnection(guest.Key);
            throw;
        }
        if (taken is not null)
        {
            presence.RemoveConnection(guest.Key);
            session.SendError(ChatErrorCode.NameTaken, taken, command.Ref);
            return;
        }

        session.User = guest;
        connections.Attach(session, guest);
        if (sanctions.FindBan(guest.Name, time.UtcNow()) is { } ban)
        {
            SanctionReplies.Disconnect(session, ban); // banned while this login was in progress (see CompleteLoginAsync)
            return;
        }
        log.Info($"chat login id={session.Id} user={guest.Name} role=guest client={session.Connection.ClientAddress}");
        SendWelcome(session, guest, null, null, command.Ref);
    }

    private async Task PasswordLoginAsync(ChatSession session, LoginCommand command)
    {
        if (!CheckLoggedOut(session, command.Ref) || !Require(session, command.Ref, command.Name, "name"))
            return;
        string name = command.Name!, password = command.Password!;
        string key = NameRules.Key(name);
        IPAddress client = session.Connection.ClientAddress;
        if (IsThrottled(session, command.Ref, key, client, "too many failed logins; try again later"))
            return;
        if (NameRules.IsValidName(name) && sanctions.RefuseIfBanned(session, command.Ref, name, time.UtcNow()))
            return;

        UserRecord? record = NameRules.IsValidName(name) && password.Length <= MaxPasswordLength ? await store.FindUserAsync(name) : null;
        bool verified = await HashWorkAsync(() =>
        {
            if (record is not null)
                return PasswordHasher.Verify(password, record.PasswordHash);
            _hasher.WasteEquivalentTime(password.Length <= MaxPasswordLength ? password : "");
            return false;
        });
        if (!verified)
        {
            loginThrottle.RecordFailure(key, client, time.Milliseconds());
            log.Info($"chat login-failed id={session.Id} name={(NameRules.IsValidName(name) ? name : "(invalid)")} client={client}");
            session.SendError(ChatErrorCode.BadCredentials, "wrong name or password", command.Ref);
            return;
        }
        loginThrottle.RecordSuccess(key);
        await CompleteLoginAsync(session, ChatUser.From(record!), command, "login", token: null, expiresAt: null);
    }

    public async Task RegisterAsync(ChatSession session, RegisterCommand command)
    {
        if (!CheckLoggedOut(session, command.Ref)
            || !Require(session, command.Ref, command.Name, "name") || !Require(session, command.Ref, command.Password, "password"))
            return;
        string name = command.Name!, password = command.Password!;
        if (!CheckName(session, command.Ref, name) || !CheckColor(session, command.Ref, command.Color) || sanctions.RefuseIfBanned(session, command.Ref, name, time.UtcNow()))
            return;
        if (password.Length < MinPasswordLength || password.Length > MaxPasswordLength)
        {
            session.SendError(ChatErrorCode.WeakPassword, $"a password has {MinPasswordLength} to {MaxPasswordLength} characters", command.Ref);
            return;
        }
        IPAddress client = session.Connection.ClientAddress;
        // Registrations share the per-IP login budget: hashing is expensive, and accounts should not be minted in bulk.
        if (IsThrottled(session, command.Ref, null, client, "too many attempts from your address; try again later"))
            return;

        string key = NameRules.Key(name);
        if (!presence.TryReserve(key))
        {
            session.SendError(ChatErrorCode.NameTaken, $"'{name}' is in use right now", command.Ref);
            return;
        }
        try
        {
            loginThrottle.RecordFailure(null, client, time.Milliseconds());
            // A name of --admin without an account is the operator's: only the admin secret registers it.
            Role role = admins.IsAdminName(key) ? Role.Admin : Role.Member;
            if (role == Role.Admin && !admins.Accepts(command.AdminSecret))
            {
                presence.CancelReservation(key);
                session.SendError(ChatErrorCode.Forbidden, $"'{name}' is reserved for the server's admin: register it with the admin secret from the server's log", command.Ref);
                log.Warn($"chat register refused user={name} reason=\"reserved admin name without the admin secret\" client={client}");
                return;
            }
            string hash = await HashWorkAsync(() => _hasher.Hash(password));
            var record = new UserRecord(name, hash, NameRules.ResolveColor(command.Color, name), role, time.UtcNow());
            if (!await store.CreateUserAsync(record))
            {
                presence.CancelReservation(key);
                session.SendError(ChatErrorCode.NameTaken, $"'{name}' is already registered, or retired with a deleted account", command.Ref);
                return;
            }
            log.Info($"chat register id={session.Id} user={name} role={role.ToWire()} client={client}");
            await CompleteLoginAsync(session, ChatUser.From(record), command, "register", token: null, expiresAt: null, reserved: true);
        }
        catch
        {
            presence.CancelReservation(key);
            throw;
        }
    }

    public async Task ResumeAsync(ChatSession session, ResumeCommand command)
    {
        if (!CheckLoggedOut(session, command.Ref) || !Require(session, command.Ref, command.Token, "token"))
            return;
        IPAddress client = session.Connection.ClientAddress;
        if (IsThrottled(session, command.Ref, null, client, "too many failed logins; try again later"))
            return;
        byte[]? hash = SessionTokens.HashOf(command.Token!);
        SessionRecord? stored = hash is null ? null : await store.FindSessionAsync(hash, time.UtcNow());
        UserRecord? record = stored is null ? null : await store.FindUserAsync(stored.UserName);
        if (record is null)
        {
            loginThrottle.RecordFailure(null, client, time.Milliseconds());
            session.SendError(ChatErrorCode.InvalidToken, "the session is unknown, expired or logged out: log in again", command.Ref);
            return;
        }
        if (sanctions.RefuseIfBanned(session, command.Ref, record.Name, time.UtcNow()))
            return;
        await CompleteLoginAsync(session, ChatUser.From(record), command, "resume", command.Token, stored!.ExpiresAt, existingHash: hash);
    }

    /// <summary>
    /// The common end of login, register and resume: a session token (new unless resuming), the connection counted
    /// online, <c>welcome</c>, and <c>online</c> presence in the user's rooms when this is their first connection.
    /// </summary>
    private async Task CompleteLoginAsync(ChatSession session, ChatUser user, Command command, string how,
        string? token, DateTime? expiresAt, byte[]? existingHash = null, bool reserved = false)
    {
        bool first = true;
        if (reserved)
            presence.CompleteReservation(user);
        else if (!presence.TryAddConnection(user, out first))
        {
            session.SendError(ChatErrorCode.NameTaken, $"'{user.Name}' is in use right now", command.Ref);
            return;
        }

        byte[] tokenHash;
        try
        {
            if (token is null)
            {
                (token, tokenHash) = SessionTokens.Create();
                DateTime now = time.UtcNow();
                expiresAt = now + settings.SessionTtl;
                await store.CreateSessionAsync(new SessionRecord(tokenHash, user.Name, now, expiresAt.Value));
            }
            else
            {
                tokenHash = existingHash!;
            }
        }
        catch
        {
            presence.RemoveConnection(user.Key);
            throw;
        }

        session.User = user;
        session.TokenHash = tokenHash;
        connections.Attach(session, user);
        // A ban that landed while this login was in progress did not see this connection: look again now that the
        // ban would (it sets the ban, then looks for connections; this indexes the connection, then looks for the ban).
        if (sanctions.FindBan(user.Name, time.UtcNow()) is { } ban)
        {
            SanctionReplies.Disconnect(session, ban);
            return;
        }
        if (how != "register")
            log.Info($"chat {how} id={session.Id} user={user.Name} role={user.Role.ToWire()} client={session.Connection.ClientAddress}");
        SendWelcome(session, user, token, expiresAt, command.Ref);
        if (first)
            presenceModule.CameOnline(user);
    }

    // A welcome may carry the session token, so it is never compressed (see ChatSession.SendSecret).
    private void SendWelcome(ChatSession session, ChatUser user, string? token, DateTime? expiresAt, string? reference) =>
        session.SendSecret(ServerMessages.Welcome(user, token, expiresAt, lookup.Summaries(session), limits, reference));

    // ---- Profile ----

    /// <summary>
    /// <c>profile {color?, name?}</c>: a new color, or a new spelling of the name (the same letters in other case:
    /// <c>alice</c> to <c>Alice</c> — a name is who someone is to everyone, so it does not change otherwise), kept for
    /// an account (a guest's last as long as the name). They apply at once — on every connection of the user (each
    /// told with <c>profile</c>), in member lists and presence, where the others in the user's rooms see it
    /// (<c>presence</c> with event <c>profile</c>). Messages keep the color and spelling they were sent with, as they
    /// keep their text.
    /// </summary>
    public async Task SetProfileAsync(ChatSession session, ChatUser user, ProfileCommand command)
    {
        if (command.Color is null && command.Name is null)
        {
            session.SendError(ChatErrorCode.BadRequest, "give 'color', 'name' or both", command.Ref);
            return;
        }
        if (command.Color is not null && !CheckColor(session, command.Ref, command.Color))
            return;
        if (command.Name is not null && (!CheckName(session, command.Ref, command.Name) || NameRules.Key(command.Name) != user.Key))
        {
            if (NameRules.IsValidName(command.Name))
                session.SendError(ChatErrorCode.InvalidName, $"only the spelling of '{user.Name}' can change: the same letters, in other case", command.Ref);
            return;
        }
        string color = command.Color?.ToLowerInvariant() ?? user.Color;
        string name = command.Name ?? user.Name;
        if (!user.IsGuest)
        {
            if (color != user.Color)
                await metrics.StoreWrite.TimedAsync(() => store.SetUserColorAsync(user.Name, color));
            if (name != user.Name)
                await metrics.StoreWrite.TimedAsync(() => store.SetUserNameSpellingAsync(user.Name, name));
        }
        ChatUser changed = user with { Color = color, Name = name };
        presence.Update(changed);
        foreach (Room room in rooms.MembershipsOf(changed.Key))
        {
            room.UpdateMember(changed);
            room.AnnouncePresence(changed, "profile");
        }
        foreach (ChatSession device in connections.Of(changed.Key))
        {
            lock (device.SyncRoot)
            {
                if (device.User is { } current && current.Key == changed.Key)
                    device.User = current with { Color = color, Name = name };
                else
                    continue;
            }
            device.Send(ServerMessages.Profile(changed, device == session ? command.Ref : null));
        }
    }

    // ---- Passwords ----

    /// <summary>
    /// <c>password</c>: a registered user replaces their password, proving the current one (a wrong one counts against
    /// the login throttle, so this is no side door for guessing). Every other session of the account is revoked and
    /// every other connection signed out: whoever knew the old password is out. This connection stays.
    /// </summary>
    public async Task ChangePasswordAsync(ChatSession session, ChatUser user, PasswordCommand command)
    {
        if (user.IsGuest)
        {
            session.SendError(ChatErrorCode.Forbidden, "a guest has no password: register to keep the name", command.Ref);
            return;
        }
        if (!Require(session, command.Ref, command.Password, "password") || !Require(session, command.Ref, command.NewPassword, "newPassword")
            || !CheckNewPassword(session, command.Ref, command.NewPassword!))
            return;
        if (!await ProvePasswordAsync(session, user, command.Password!, command.Ref, "the current password is wrong"))
            return;
        string hash = await HashWorkAsync(() => _hasher.Hash(command.NewPassword!));
        await metrics.StoreWrite.TimedAsync(() => store.SetPasswordHashAsync(user.Name, hash));
        int revoked = await metrics.StoreWrite.TimedAsync(() => store.DeleteUserSessionsAsync(user.Name, session.TokenHash));
        int signedOut = SignOutEverywhere(user.Key, except: session, reason: "password_changed");
        metrics.PasswordChanged();
        log.Info($"chat password-changed id={session.Id} user={user.Name} sessions-revoked={revoked} connections-signed-out={signedOut}");
        session.Send(ServerMessages.PasswordChanged(revoked, signedOut, command.Ref));
    }

    // ---- Deleting one's account ----

    /// <summary>
    /// <c>delete_account {password}</c>: a registered user deletes their account, proving it is theirs with the password
    /// (throttled like a login). Their messages become tombstones deleted by their author, their reactions go, and the
    /// name is retired for good (<see cref="IChatStore.DeleteUserAsync"/> says why). Their other connections are signed
    /// out before, and the messages those had queued stored. Then, in memory: the rooms' cached messages are read again,
    /// the user leaves every room, this connection is signed out (with the ref), and everyone logged in gets
    /// <c>user_deleted</c> to update what they hold. Admins keep their accounts:
    /// they are named by <c>--admin</c>, which would reserve the name again at the next start.
    /// </summary>
    public async Task DeleteAccountAsync(ChatSession session, ChatUser user, DeleteAccountCommand command)
    {
        if (user.IsGuest)
        {
            session.SendError(ChatErrorCode.Forbidden, "a guest has no account: log out, and the name is free again", command.Ref);
            return;
        }
        if (user.IsAdmin)
        {
            session.SendError(ChatErrorCode.Forbidden, "an admin's account is named by --admin on the server: it cannot be deleted from the chat", command.Ref);
            return;
        }
        if (!Require(session, command.Ref, command.Password, "password"))
            return;
        if (!await ProvePasswordAsync(session, user, command.Password!, command.Ref, "the password is wrong"))
            return;

        // The other devices first, and what they sent until now stored: a message of theirs committed after the
        // deletion would outlive the account. (This connection is here, in this command: it sends nothing meanwhile.)
        int signedOut = SignOutEverywhere(user.Key, except: session, reason: "account_deleted");
        await writer.DrainAsync();
        AccountDeletion? deleted = await metrics.StoreWrite.TimedAsync(() => store.DeleteUserAsync(user.Name, time.UtcNow()));
        foreach (Room room in rooms.All)
        {
            IReadOnlyList<string> touched = room.RecentInvolving(user.Key);
            if (touched.Count == 0)
                continue;
            await room.Mutations.WaitAsync();
            try
            {
                foreach (string id in touched)
                    if (await store.FindMessageAsync(id) is { } stored)
                        room.ReplaceRecent(stored);
            }
            finally
            {
                room.Mutations.Release();
            }
        }
        foreach (Room room in rooms.MembershipsOf(user.Key).ToList())
            if (room.Leave(user, null, null))
                roomList.Changed(room);
        // A device that logged in again while this ran (its session is gone from the store, not its connection).
        signedOut += SignOutEverywhere(user.Key, except: session, reason: "account_deleted");
        SignOut(session);
        connections.SendToEveryone(ServerMessages.UserDeleted(user.Name));
        metrics.AccountDeleted();
        log.Info($"chat account-deleted id={session.Id} user={user.Name} messages={deleted?.MessagesDeleted ?? 0} connections-signed-out={signedOut}");
        session.Send(ServerMessages.LoggedOut(command.Ref, "account_deleted"));
    }

    /// <summary>
    /// <c>reset</c> (admins): a user who lost their password gets a one-time one, given to the admin to pass on; every
    /// session and connection of theirs is signed out, and the audit log says who did it. Admins' own passwords are
    /// theirs alone (<c>forbidden</c>).
    /// </summary>
    public async Task ResetPasswordAsync(ChatSession session, ChatUser admin, UserCommand command)
    {
        if (!Require(session, command.Ref, command.User, "user") || !CheckName(session, command.Ref, command.User!))
            return;
        if (await store.FindUserAsync(command.User!) is not { } target)
        {
            session.SendError(ChatErrorCode.NoSuchUser, $"no registered user '{command.User}'", command.Ref);
            return;
        }
        if (target.Role == Role.Admin)
        {
            session.SendError(ChatErrorCode.Forbidden, "an admin's password can only be changed by that admin", command.Ref);
            return;
        }
        string password = OneTimePassword();
        string hash = await HashWorkAsync(() => _hasher.Hash(password));
        await metrics.StoreWrite.TimedAsync(() => store.SetPasswordHashAsync(target.Name, hash));
        int revoked = await metrics.StoreWrite.TimedAsync(() => store.DeleteUserSessionsAsync(target.Name, keepTokenHash: null));
        SignOutEverywhere(NameRules.Key(target.Name), except: null, reason: "password_reset");
        await moderationLog.LogAsync(ModerationAction.Reset, admin, target.Name);
        log.Info($"chat password-reset id={session.Id} by={admin.Name} user={target.Name} sessions-revoked={revoked}");
        session.SendSecret(ServerMessages.PasswordReset(target.Name, password, revoked, command.Ref));
    }

    private static bool CheckNewPassword(ChatSession session, string? reference, string password)
    {
        if (password.Length is >= MinPasswordLength and <= MaxPasswordLength)
            return true;
        session.SendError(ChatErrorCode.WeakPassword, $"a password has {MinPasswordLength} to {MaxPasswordLength} characters", reference);
        return false;
    }

    /// <summary>Twenty characters of an unambiguous alphabet (no 0/O, 1/l/I): ~100 bits, and easy to read out.</summary>
    private static string OneTimePassword()
    {
        const string alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXYZ2345679";
        return System.Security.Cryptography.RandomNumberGenerator.GetString(alphabet, 20);
    }

    /// <summary>Signs out every connection of the user but <paramref name="except"/>, telling each why; returns how many.</summary>
    private int SignOutEverywhere(string userKey, ChatSession? except, string reason)
    {
        int count = 0;
        foreach (ChatSession other in connections.Of(userKey))
        {
            if (other == except || other.User?.Key != userKey)
                continue;
            SignOut(other);
            other.Send(ServerMessages.LoggedOut(null, reason));
            count++;
        }
        return count;
    }

    public async Task LogoutAsync(ChatSession session, PlainCommand command)
    {
        if (session.TokenHash is { } hash)
            await store.DeleteSessionAsync(hash);
        string name = session.User?.Name ?? "-";
        SignOut(session);
        log.Info($"chat logout id={session.Id} user={name}");
        session.Send(ServerMessages.LoggedOut(command.Ref));
    }

    /// <summary>
    /// The connection stops being anyone: it leaves its subscriptions; a guest's memberships end (the name is free
    /// again); a registered user whose last connection this was goes offline in their rooms.
    /// </summary>
    public void SignOut(ChatSession session)
    {
        ChatUser? user;
        List<Room> subscribed;
        lock (session.SyncRoot)
        {
            user = session.User;
            if (user is null)
                return;
            session.User = null;
            session.TokenHash = null;
            subscribed = session.Rooms.Values.ToList();
        }
        connections.Detach(session, user);
        foreach (Room room in subscribed)
            room.Unsubscribe(session);

        if (user.IsGuest)
        {
            foreach (Room room in rooms.MembershipsOf(user.Key).ToList())
                if (room.Leave(user, null, null))
                    roomList.Changed(room);
            presence.RemoveConnection(user.Key);
            return;
        }
        if (presence.RemoveConnection(user.Key))
            presenceModule.WentOffline(user);
    }

    private static bool CheckLoggedOut(ChatSession session, string? reference)
    {
        if (session.User is null)
            return true;
        session.SendError(ChatErrorCode.AlreadyLoggedIn, "already logged in: send logout first", reference);
        return false;
    }

    /// <summary>
    /// Whether a logged-in user's <paramref name="password"/> is theirs, for what needs more than a session (a new
    /// password, deleting the account). A wrong one counts against the login throttle like a failed login, so none
    /// of these is a side door for guessing; refusals (<c>rate_limited</c>, <c>bad_credentials</c>) are sent here.
    /// </summary>
    private async Task<bool> ProvePasswordAsync(ChatSession session, ChatUser user, string password, string? reference, string wrong)
    {
        IPAddress client = session.Connection.ClientAddress;
        if (IsThrottled(session, reference, user.Key, client, "too many wrong passwords; try again later"))
            return false;
        UserRecord? record = password.Length <= MaxPasswordLength ? await store.FindUserAsync(user.Name) : null;
        if (record is null || !await HashWorkAsync(() => PasswordHasher.Verify(password, record.PasswordHash)))
        {
            loginThrottle.RecordFailure(user.Key, client, time.Milliseconds());
            session.SendError(ChatErrorCode.BadCredentials, wrong, reference);
            return false;
        }
        loginThrottle.RecordSuccess(user.Key);
        return true;
    }

    /// <summary>True (and <c>rate_limited</c> was sent) while the login throttle refuses this account or address.</summary>
    private bool IsThrottled(ChatSession session, string? reference, string? accountKey, IPAddress client, string message)
    {
        if (loginThrottle.IsAllowed(accountKey, client, time.Milliseconds(), out long retryAfter))
            return false;
        metrics.LoginRateLimited();
        session.SendError(ChatErrorCode.RateLimited, message, reference, retryAfter);
        return true;
    }

    /// <summary>Runs password hashing off the socket loop, at most one per core at a time.</summary>
    private async Task<T> HashWorkAsync<T>(Func<T> work)
    {
        await _hashGate.WaitAsync();
        try
        {
            return await Task.Run(work);
        }
        finally
        {
            _hashGate.Release();
        }
    }

    /// <summary>
    /// The user a session token (as sent by a client) belongs to, with their current role, or null when the token is
    /// malformed, unknown, expired or logged out. For HTTP requests that carry a token (<c>/api/stats</c>).
    /// </summary>
    public async Task<(ChatUser User, bool Banned)?> AuthenticateAsync(string token, CancellationToken cancellationToken = default)
    {
        if (SessionTokens.HashOf(token) is not { } hash)
            return null;
        DateTime now = time.UtcNow();
        if (await store.FindSessionAsync(hash, now, cancellationToken) is not { } session
            || await store.FindUserAsync(session.UserName, cancellationToken) is not { } record)
            return null;
        return (ChatUser.From(record), sanctions.FindBan(record.Name, now) is not null);
    }
}
