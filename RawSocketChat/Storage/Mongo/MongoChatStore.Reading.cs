using MongoDB.Bson;
using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>
/// Read positions (<c>read_positions</c>, one document per user and room, moved forward with <c>$max</c>) and unread
/// counts: a find with a limit of the cap over the <c>roomKey_id</c> index for messages, and over
/// <c>mentionKeys_roomKey_id</c> for mentions, so a count costs at most the cap.
/// </summary>
public sealed partial class MongoChatStore
{
    public Task<string> MarkReadAsync(string user, string room, string messageId, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        var options = new FindOneAndUpdateOptions<ReadPositionDocument> { IsUpsert = true, ReturnDocument = ReturnDocument.After };
        try
        {
            return (await _readPositions.FindOneAndUpdateAsync(MongoQueries.ReadPositionOf(user, room), MongoQueries.MoveReadPosition(messageId),
                options, cancellationToken)).MessageId;
        }
        catch (MongoCommandException e) when (e.Code == 11000)
        {
            // Two devices' first read of a room at once: the unique index let one insert; the other is an update now.
            return (await _readPositions.FindOneAndUpdateAsync(MongoQueries.ReadPositionOf(user, room), MongoQueries.MoveReadPosition(messageId),
                options, cancellationToken)).MessageId;
        }
    });

    public Task<IReadOnlyList<ReadPosition>> GetReadPositionsAsync(string user, CancellationToken cancellationToken = default) =>
        Guard<IReadOnlyList<ReadPosition>>(async () =>
        {
            List<ReadPositionDocument> positions = await _readPositions.Find(Builders<ReadPositionDocument>.Filter.Eq(r => r.UserKey, MongoQueries.Key(user)))
                .SortBy(r => r.RoomKey).ToListAsync(cancellationToken);
            return positions.Select(p => new ReadPosition(p.RoomKey, p.MessageId)).ToList();
        });

    public Task<UnreadCount> CountUnreadAsync(string user, string room, string? afterId, int cap, CancellationToken cancellationToken = default)
    {
        ObjectId? after = ParseBound(afterId, nameof(afterId));
        if (cap <= 0)
            return Task.FromResult(new UnreadCount(0, 0));
        return Guard(async () =>
        {
            // Ids only, at most the cap of them: a count that cannot cost more than the badge can show.
            int messages = (await _messages.Find(MongoQueries.Unread(user, room, after, mentioning: false)).Project<MessageDocument>(MongoQueries.IdOnly)
                .Limit(cap).ToListAsync(cancellationToken)).Count;
            int mentions = messages == 0 ? 0 : (await _messages.Find(MongoQueries.UnreadMentions(user, room, after)).Project<MessageDocument>(MongoQueries.IdOnly)
                .Limit(cap).ToListAsync(cancellationToken)).Count;
            return new UnreadCount(messages, mentions);
        });
    }
}
