using System.Net;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>
/// Accounts: guest login, registration, password login, resume with a session token, logout — and what happens to
/// a user's presence when a connection logs in or out.
/// </summary>
public sealed partial class ChatService
{
    private async Task GuestLoginAsync(ChatSession session, ChatCommand command)
    {
        if (!CheckLoggedOut(session, command) || !Require(session, command, command.Name, "name"))
            return;
        string name = command.Name!;
        if (!CheckName(session, command, name) || !CheckColor(session, command) || IsBanned(session, command, name))
            return;

        var guest = new ChatUser(name, NameRules.ResolveColor(command.Color, name), Role.Guest);
        if (!_presence.TryClaimGuest(guest))
        {
            session.SendError(ChatErrorCode.NameTaken, $"'{name}' is in use right now", command.Ref);
            return;
        }
        bool registered;
        try
        {
            registered = await _store.FindUserAsync(name) is not null;
        }
        catch
        {
            _presence.RemoveConnection(guest.Key);
            throw;
        }
        if (registered)
        {
            _presence.RemoveConnection(guest.Key);
            session.SendError(ChatErrorCode.NameTaken, $"'{name}' is a registered name: log in with its password", command.Ref);
            return;
        }

        session.User = guest;
        Attach(session, guest);
        if (_sanctions.FindBan(guest.Name, DateTime.UtcNow) is { } ban)
        {
            Disconnect(session, ban); // banned while this login was in progress (see CompleteLoginAsync)
            return;
        }
        _log.Info($"chat login id={session.Id} user={guest.Name} role=guest client={session.Connection.ClientAddress}");
        SendWelcome(session, guest, null, null, command.Ref);
    }

    private async Task PasswordLoginAsync(ChatSession session, ChatCommand command)
    {
        if (!CheckLoggedOut(session, command) || !Require(session, command, command.Name, "name"))
            return;
        string name = command.Name!, password = command.Password!;
        string key = NameRules.Key(name);
        IPAddress client = session.Connection.ClientAddress;
        if (!_loginThrottle.IsAllowed(key, client, Environment.TickCount64, out long retryAfter))
        {
            _metrics.LoginRateLimited();
            session.SendError(ChatErrorCode.RateLimited, "too many failed logins; try again later", command.Ref, retryAfter);
            return;
        }
        if (NameRules.IsValidName(name) && IsBanned(session, command, name))
            return;

        UserRecord? record = NameRules.IsValidName(name) && password.Length <= MaxPasswordLength ? await _store.FindUserAsync(name) : null;
        bool verified = await HashWorkAsync(() =>
        {
            if (record is not null)
                return PasswordHasher.Verify(password, record.PasswordHash);
            _hasher.WasteEquivalentTime(password.Length <= MaxPasswordLength ? password : "");
            return false;
        });
        if (!verified)
        {
            _loginThrottle.RecordFailure(key, client, Environment.TickCount64);
            _log.Info($"chat login-failed id={session.Id} name={(NameRules.IsValidName(name) ? name : "(invalid)")} client={client}");
            session.SendError(ChatErrorCode.BadCredentials, "wrong name or password", command.Ref);
            return;
        }
        _loginThrottle.RecordSuccess(key);
        await CompleteLoginAsync(session, ChatUser.From(record!), command, "login", token: null, expiresAt: null);
    }

    private async Task RegisterAsync(ChatSession session, ChatCommand command)
    {
        if (!CheckLoggedOut(session, command)
            || !Require(session, command, command.Name, "name") || !Require(session, command, command.Password, "password"))
            return;
        string name = command.Name!, password = command.Password!;
        if (!CheckName(session, command, name) || !CheckColor(session, command) || IsBanned(session, command, name))
            return;
        if (password.Length < MinPasswordLength || password.Length > MaxPasswordLength)
        {
            session.SendError(ChatErrorCode.WeakPassword, $"a password has {MinPasswordLength} to {MaxPasswordLength} characters", command.Ref);
            return;
        }
        IPAddress client = session.Connection.ClientAddress;
        // Registrations share the per-IP login budget: hashing is expensive, and accounts should not be minted in bulk.
        if (!_loginThrottle.IsAllowed(null, client, Environment.TickCount64, out long retryAfter))
        {
            _metrics.LoginRateLimited();
            session.SendError(ChatErrorCode.RateLimited, "too many attempts from your address; try again later", command.Ref, retryAfter);
            return;
        }

        string key = NameRules.Key(name);
        if (!_presence.TryReserve(key))
        {
            session.SendError(ChatErrorCode.NameTaken, $"'{name}' is in use right now", command.Ref);
            return;
        }
        try
        {
            _loginThrottle.RecordFailure(null, client, Environment.TickCount64);
            // A name of --admin without an account is the operator's: only the admin secret registers it.
            Role role = _admins.IsAdminName(key) ? Role.Admin : Role.Member;
            if (role == Role.Admin && !_admins.Accepts(command.AdminSecret))
            {
                _presence.CancelReservation(key);
                session.SendError(ChatErrorCode.Forbidden, $"'{name}' is reserved for the server's admin: register it with the admin secret from the server's log", command.Ref);
                _log.Warn($"chat register refused user={name} reason=\"reserved admin name without the admin secret\" client={client}");
                return;
            }
            string hash = await HashWorkAsync(() => _hasher.Hash(password));
            var record = new UserRecord(name, hash, NameRules.ResolveColor(command.Color, name), role, DateTime.UtcNow);
            if (!await _store.CreateUserAsync(record))
            {
                _presence.CancelReservation(key);
                session.SendError(ChatErrorCode.NameTaken, $"'{name}' is already registered", command.Ref);
                return;
            }
            _log.Info($"chat register id={session.Id} user={name} role={role.ToWire()} client={client}");
            await CompleteLoginAsync(session, ChatUser.From(record), command, "register", token: null, expiresAt: null, reserved: true);
        }
        catch
        {
            _presence.CancelReservation(key);
            throw;
        }
    }

    private async Task ResumeAsync(ChatSession session, ChatCommand command)
    {
        if (!CheckLoggedOut(session, command) || !Require(session, command, command.Token, "token"))
            return;
        IPAddress client = session.Connection.ClientAddress;
        if (!_loginThrottle.IsAllowed(null, client, Environment.TickCount64, out long retryAfter))
        {
            _metrics.LoginRateLimited();
            session.SendError(ChatErrorCode.RateLimited, "too many failed logins; try again later", command.Ref, retryAfter);
            return;
        }
        byte[]? hash = SessionTokens.HashOf(command.Token!);
        SessionRecord? stored = hash is null ? null : await _store.FindSessionAsync(hash, DateTime.UtcNow);
        UserRecord? record = stored is null ? null : await _store.FindUserAsync(stored.UserName);
        if (record is null)
        {
            _loginThrottle.RecordFailure(null, client, Environment.TickCount64);
            session.SendError(ChatErrorCode.InvalidToken, "the session is unknown, expired or logged out: log in again", command.Ref);
            return;
        }
        if (IsBanned(session, command, record.Name))
            return;
        await CompleteLoginAsync(session, ChatUser.From(record), command, "resume", command.Token, stored!.ExpiresAt, existingHash: hash);
    }

    /// <summary>
    /// The common end of login, register and resume: a session token (new unless resuming), the connection counted
    /// online, <c>welcome</c>, and <c>online</c> presence in the user's rooms when this is their first connection.
    /// </summary>
    private async Task CompleteLoginAsync(ChatSession session, ChatUser user, ChatCommand command, string how,
        string? token, DateTime? expiresAt, byte[]? existingHash = null, bool reserved = false)
    {
        bool first = true;
        if (reserved)
            _presence.CompleteReservation(user);
        else if (!_presence.TryAddConnection(user, out first))
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
                DateTime now = DateTime.UtcNow;
                expiresAt = now + _settings.SessionTtl;
                await _store.CreateSessionAsync(new SessionRecord(tokenHash, user.Name, now, expiresAt.Value));
            }
            else
            {
                tokenHash = existingHash!;
            }
        }
        catch
        {
            _presence.RemoveConnection(user.Key);
            throw;
        }

        session.User = user;
        session.TokenHash = tokenHash;
        Attach(session, user);
        // A ban that landed while this login was in progress did not see this connection: look again now that the
        // ban would (it sets the ban, then looks for connections; this indexes the connection, then looks for the ban).
        if (_sanctions.FindBan(user.Name, DateTime.UtcNow) is { } ban)
        {
            Disconnect(session, ban);
            return;
        }
        if (how != "register")
            _log.Info($"chat {how} id={session.Id} user={user.Name} role={user.Role.ToWire()} client={session.Connection.ClientAddress}");
        SendWelcome(session, user, token, expiresAt, command.Ref);
        if (first)
        {
            foreach (Room room in _rooms.MembershipsOf(user.Key))
            {
                room.AnnouncePresence(user, "online");
                _roomList.Changed(room);
            }
        }
    }

    // A welcome may carry the session token, so it is never compressed (see ChatSession.SendSecret).
    private void SendWelcome(ChatSession session, ChatUser user, string? token, DateTime? expiresAt, string? reference) =>
        session.SendSecret(ServerMessages.Welcome(user, token, expiresAt, Summaries(session), _limits, reference));

    private async Task LogoutAsync(ChatSession session, ChatCommand command)
    {
        if (session.TokenHash is { } hash)
            await _store.DeleteSessionAsync(hash);
        string name = session.User?.Name ?? "-";
        SignOut(session);
        _log.Info($"chat logout id={session.Id} user={name}");
        session.Send(ServerMessages.LoggedOut(command.Ref));
    }

    /// <summary>
    /// The connection stops being anyone: it leaves its subscriptions; a guest's memberships end (the name is free
    /// again); a registered user whose last connection this was goes offline in their rooms.
    /// </summary>
    private void SignOut(ChatSession session)
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
        Detach(session, user);
        foreach (Room room in subscribed)
            room.Unsubscribe(session);

        if (user.IsGuest)
        {
            foreach (Room room in _rooms.MembershipsOf(user.Key).ToList())
                if (room.Leave(user, null, null))
                    _roomList.Changed(room);
            _presence.RemoveConnection(user.Key);
            return;
        }
        if (_presence.RemoveConnection(user.Key))
        {
            foreach (Room room in _rooms.MembershipsOf(user.Key))
            {
                room.AnnouncePresence(user, "offline");
                _roomList.Changed(room);
            }
        }
    }
}
