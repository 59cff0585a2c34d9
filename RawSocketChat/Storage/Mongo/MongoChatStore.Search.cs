using MongoDB.Bson;
using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>
/// Search, on the word index <c>roomKey_words_id</c> (<see cref="MongoQueries.Search"/>): each message keeps its
/// distinct folded words in <c>words</c>, written with the text by every append and edit. Messages stored before
/// search get theirs from a backfill at start-up, once per database (<see cref="BackfillWordsAsync"/>).
/// </summary>
public sealed partial class MongoChatStore
{
    /// <summary>How many candidates a query with a phrase reads at a time while it looks for a page of matches.</summary>
    private const int PhraseBatch = 200;

    private const string WordsMigration = "message-words-v1";

    public Task<IReadOnlyList<MessageRecord>> SearchMessagesAsync(SearchQuery query, IReadOnlyCollection<string> rooms, string? user, string? beforeId,
        int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ObjectId? before = ParseBound(beforeId, nameof(beforeId));
        if (rooms.Count == 0 || limit == 0)
            return Task.FromResult<IReadOnlyList<MessageRecord>>([]);
        // The index has the words, not their order: with a phrase, read candidates newest first, a batch at a time,
        // and keep those with the phrase. Without one, every candidate is a match and one read of a page is all.
        bool phrase = query.Terms.Any(t => t.IsPhrase);
        int batchSize = phrase ? PhraseBatch : limit;
        return Guard<IReadOnlyList<MessageRecord>>(async () =>
        {
            var found = new List<MessageDocument>(limit);
            while (found.Count < limit)
            {
                List<MessageDocument> batch = await _messages.Find(MongoQueries.Search(query, rooms, user, before)).Sort(MongoQueries.NewestFirst)
                    .Limit(batchSize).ToListAsync(cancellationToken);
                found.AddRange(batch.Where(m => !phrase || query.Matches(m.Text)).Take(limit - found.Count));
                if (batch.Count < batchSize)
                    break;
                before = batch[^1].Id;
            }
            return await CompleteAsync(found, cancellationToken);
        });
    }

    /// <summary>
    /// Gives every message stored before search its <c>words</c>, a thousand at a time, then records that it ran so
    /// that later starts skip it. Idempotent: two servers starting together both write the same words.
    /// </summary>
    private static async Task BackfillWordsAsync(IMongoDatabase database, CancellationToken cancellationToken)
    {
        IMongoCollection<MigrationDocument> migrations = database.GetCollection<MigrationDocument>(MongoIndexes.Migrations);
        if (await migrations.Find(m => m.Name == WordsMigration).AnyAsync(cancellationToken))
            return;
        IMongoCollection<MessageDocument> messages = database.GetCollection<MessageDocument>(MongoIndexes.Messages);
        while (true)
        {
            List<MessageDocument> batch = await messages.Find(MongoQueries.WithoutWords).Project<MessageDocument>(MongoQueries.IdAndText)
                .Limit(1000).ToListAsync(cancellationToken);
            if (batch.Count == 0)
                break;
            await messages.BulkWriteAsync(batch.Select(m => new UpdateOneModel<MessageDocument>(MongoQueries.MessageById(m.Id),
                Builders<MessageDocument>.Update.Set(d => d.Words, SearchText.DistinctWords(m.Text)))), new BulkWriteOptions { IsOrdered = false },
                cancellationToken);
        }
        // Two servers that both got here record it twice, which says the same thing.
        await migrations.InsertOneAsync(new MigrationDocument { Id = ObjectId.GenerateNewId(), Name = WordsMigration, At = DateTime.UtcNow },
            cancellationToken: cancellationToken);
    }
}
