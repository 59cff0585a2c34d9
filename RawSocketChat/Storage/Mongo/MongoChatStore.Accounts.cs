using MongoDB.Bson;
using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>
/// Accounts: registered users and their sessions (only the SHA-256 of a session token is stored). Sessions are here
/// rather than in a file of their own because each belongs to a user: it is stored under the user's key, and
/// finding one reads the user too.
/// </summary>
public sealed partial class MongoChatStore
{
    // ---- Users ----

    public Task<bool> CreateUserAsync(UserRecord user, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        var document = new UserDocument
        {
            Id = ObjectId.GenerateNewId(),
            Name = user.Name,
            NameKey = MongoQueries.Key(user.Name),
            PasswordHash = user.PasswordHash,
            Color = user.Color,
            Role = user.Role.ToWire(),
            CreatedAt = MongoQueries.Utc(user.CreatedAt),
        };
        // A deleted account's name is retired before its user document goes (DeleteUserAsync), so a registration that
        // does not find the user finds the retired name.
        if (await _retiredNames.Find(MongoQueries.RetiredName(user.Name)).AnyAsync(cancellationToken))
            return false;
        try
        {
            UpdateResult result = await _users.UpdateOneAsync(MongoQueries.UserByName(user.Name), MongoQueries.InsertUser(document),
                new UpdateOptions { IsUpsert = true }, cancellationToken);
            return result.UpsertedId is not null;
        }
        catch (MongoWriteException e) when (e.WriteError?.Category == ServerErrorCategory.DuplicateKey)
        {
            return false; // another server registered the same name at the same moment; the index chose it
        }
    });

    public Task<UserRecord?> FindUserAsync(string name, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        UserDocument? user = await _users.Find(MongoQueries.UserByName(name)).FirstOrDefaultAsync(cancellationToken);
        return user is null ? null : new UserRecord(user.Name, user.PasswordHash, user.Color, RoleNames.Parse(user.Role), user.CreatedAt);
    });

    /// <summary>
    /// No transaction (the in-memory test server has none, and a replica set would need one per call): the steps are
    /// ordered so that an interruption leaves a state a retry finishes — the name retired first, so it is never free;
    /// then the messages and reactions, idempotent; the user document last, so the account exists until its traces
    /// are gone and the retry finds it.
    /// </summary>
    public Task<AccountDeletion?> DeleteUserAsync(string name, DateTime deletedAt, CancellationToken cancellationToken = default) =>
        Guard<AccountDeletion?>(async () =>
        {
            UserDocument? user = await _users.Find(MongoQueries.UserByName(name)).FirstOrDefaultAsync(cancellationToken);
            if (user is null)
                return null;
            if (!await _retiredNames.Find(MongoQueries.RetiredName(name)).AnyAsync(cancellationToken))
                await _retiredNames.InsertOneAsync(new RetiredNameDocument
                {
                    Id = ObjectId.GenerateNewId(), Name = user.Name, NameKey = user.NameKey, RetiredAt = MongoQueries.Utc(deletedAt),
                }, cancellationToken: cancellationToken);
            // Reactions given: pulled from every message that has one, each change bumping the version that
            // AddReactionAsync compares, so a reaction change racing this one retries on the new list.
            await _messages.UpdateManyAsync(MongoQueries.ReactedBy(name), MongoQueries.PullReactionsOf(name), cancellationToken: cancellationToken);
            UpdateResult tombstoned = await _messages.UpdateManyAsync(MongoQueries.LiveMessagesOf(name), MongoQueries.Delete(deletedAt),
                cancellationToken: cancellationToken);
            await _readPositions.DeleteManyAsync(MongoQueries.ReadPositionsOf(name), cancellationToken);
            await _sessions.DeleteManyAsync(MongoQueries.SessionsOfUserExcept(name, null), cancellationToken);
            await _users.DeleteOneAsync(MongoQueries.UserByName(name), cancellationToken);
            return new AccountDeletion((int)tombstoned.ModifiedCount);
        });

    public Task<bool> IsNameRetiredAsync(string name, CancellationToken cancellationToken = default) => Guard(async () =>
        await _retiredNames.Find(MongoQueries.RetiredName(name)).AnyAsync(cancellationToken));

    public Task<bool> SetUserRoleAsync(string name, Role role, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        UpdateResult result = await _users.UpdateOneAsync(MongoQueries.UserByName(name), MongoQueries.SetRole(role), cancellationToken: cancellationToken);
        return result.MatchedCount == 1;
    });

    public Task<bool> SetUserColorAsync(string name, string color, CancellationToken cancellationToken = default) => Guard(async () =>
        (await _users.UpdateOneAsync(MongoQueries.UserByName(name), MongoQueries.SetColor(color), cancellationToken: cancellationToken)).MatchedCount == 1);

    public Task<bool> SetUserNameSpellingAsync(string name, string spelling, CancellationToken cancellationToken = default) => Guard(async () =>
        (await _users.UpdateOneAsync(MongoQueries.UserByName(name), MongoQueries.SetNameSpelling(spelling), cancellationToken: cancellationToken))
            .MatchedCount == 1);

    public Task<bool> SetPasswordHashAsync(string name, string passwordHash, CancellationToken cancellationToken = default) => Guard(async () =>
        (await _users.UpdateOneAsync(MongoQueries.UserByName(name), MongoQueries.SetPasswordHash(passwordHash), cancellationToken: cancellationToken))
            .MatchedCount == 1);

    // ---- Sessions ----

    public Task CreateSessionAsync(SessionRecord session, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        await _sessions.InsertOneAsync(new SessionDocument
        {
            Id = ObjectId.GenerateNewId(),
            TokenHash = session.TokenHash,
            UserKey = MongoQueries.Key(session.UserName),
            CreatedAt = MongoQueries.Utc(session.CreatedAt),
            ExpiresAt = MongoQueries.Utc(session.ExpiresAt),
        }, cancellationToken: cancellationToken);
    });

    public Task<SessionRecord?> FindSessionAsync(byte[] tokenHash, DateTime now, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        SessionDocument? session = await _sessions.Find(MongoQueries.LiveSession(tokenHash, now)).FirstOrDefaultAsync(cancellationToken);
        if (session is null)
            return null;
        // The account's spelling of the name, and no session for an account that is gone.
        UserDocument? user = await _users.Find(MongoQueries.UserByName(session.UserKey)).FirstOrDefaultAsync(cancellationToken);
        return user is null ? null : new SessionRecord(session.TokenHash, user.Name, session.CreatedAt, session.ExpiresAt);
    });

    public Task<bool> DeleteSessionAsync(byte[] tokenHash, CancellationToken cancellationToken = default) => Guard(async () =>
        (await _sessions.DeleteOneAsync(MongoQueries.SessionByHash(tokenHash), cancellationToken)).DeletedCount == 1);

    public Task<int> DeleteUserSessionsAsync(string name, byte[]? keepTokenHash, CancellationToken cancellationToken = default) => Guard(async () =>
        (int)(await _sessions.DeleteManyAsync(MongoQueries.SessionsOfUserExcept(name, keepTokenHash), cancellationToken)).DeletedCount);

    public Task<int> DeleteExpiredSessionsAsync(DateTime now, CancellationToken cancellationToken = default) => Guard(async () =>
        (int)(await _sessions.DeleteManyAsync(MongoQueries.ExpiredSessions(now), cancellationToken)).DeletedCount);
}
