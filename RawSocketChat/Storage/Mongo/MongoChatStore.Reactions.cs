using MongoDB.Bson;
using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>
/// Reactions, embedded in their message document (<see cref="MessageDocument.Reactions"/>). A change reads the
/// message, decides, and writes the whole new list back on condition that nobody changed it in between
/// (<see cref="MessageDocument.ReactionsVersion"/>); a lost race reads again. That keeps both rules — one reaction per
/// user per emoji, at most so many emoji — exact between servers too, without transactions or positional array
/// operators (neither of which the in-memory test server has).
/// </summary>
public sealed partial class MongoChatStore
{
    /// <summary>How often a change is retried after losing the compare-and-set; each loss means someone else's change landed.</summary>
    private const int ReactionAttempts = 32;

    public Task<ReactionOutcome> AddReactionAsync(string messageId, ReactionRecord reaction, int maxEmoji, CancellationToken cancellationToken = default)
    {
        string userKey = MongoQueries.Key(reaction.User);
        return ChangeReactionsAsync(messageId, reactions =>
        {
            if (reactions.Any(r => r.Emoji == reaction.Emoji && r.UserKey == userKey && r.Guest == reaction.Guest))
                return ReactionStatus.Unchanged;
            if (!reactions.Any(r => r.Emoji == reaction.Emoji) && reactions.Select(r => r.Emoji).Distinct().Count() >= maxEmoji)
                return ReactionStatus.TooManyEmoji;
            reactions.Add(new ReactionDocument
            {
                Emoji = reaction.Emoji, User = reaction.User, UserKey = userKey, Guest = reaction.Guest, At = MongoQueries.Utc(reaction.At),
            });
            return ReactionStatus.Changed;
        }, cancellationToken);
    }

    public Task<ReactionOutcome> RemoveReactionAsync(string messageId, string emoji, string user, bool guest, CancellationToken cancellationToken = default)
    {
        string userKey = MongoQueries.Key(user);
        return ChangeReactionsAsync(messageId,
            reactions => reactions.RemoveAll(r => r.Emoji == emoji && r.UserKey == userKey && r.Guest == guest) > 0 ? ReactionStatus.Changed : ReactionStatus.Unchanged,
            cancellationToken);
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the message's reaction list (it edits the list and says what it did) and
    /// stores the result, retrying when another change got there first.
    /// </summary>
    private Task<ReactionOutcome> ChangeReactionsAsync(string messageId, Func<List<ReactionDocument>, ReactionStatus> change, CancellationToken cancellationToken)
    {
        if (!TryParseId(messageId, out ObjectId id))
            return Task.FromResult(new ReactionOutcome(ReactionStatus.NoSuchMessage, null));
        return Guard(async () =>
        {
            for (int attempt = 0; attempt < ReactionAttempts; attempt++)
            {
                MessageDocument? message = await _messages.Find(MongoQueries.LiveMessage(id)).FirstOrDefaultAsync(cancellationToken);
                if (message is null)
                    return new ReactionOutcome(ReactionStatus.NoSuchMessage, null);
                var reactions = message.Reactions ?? [];
                ReactionStatus status = change(reactions);
                if (status != ReactionStatus.Changed)
                    return new ReactionOutcome(status, (await CompleteAsync([message], cancellationToken))[0]);
                MessageDocument? updated = await _messages.FindOneAndUpdateAsync(
                    MongoQueries.LiveMessageAtReactionsVersion(id, message.ReactionsVersion), MongoQueries.SetReactions(reactions, message.ReactionsVersion),
                    new FindOneAndUpdateOptions<MessageDocument> { ReturnDocument = ReturnDocument.After }, cancellationToken);
                if (updated is not null)
                    return new ReactionOutcome(ReactionStatus.Changed, (await CompleteAsync([updated], cancellationToken))[0]);
                // Changed or deleted since we read it: read again and decide again.
            }
            throw new StoreUnavailableException($"the reactions of message {messageId} kept changing under {ReactionAttempts} attempts");
        });
    }
}
