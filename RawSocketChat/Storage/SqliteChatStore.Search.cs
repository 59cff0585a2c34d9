using Microsoft.Data.Sqlite;

namespace RawSocketChat.Storage;

/// <summary>
/// Search, on the FTS5 index <c>messages_fts</c> (migration 10): the index is walked newest row first and joined to
/// the messages by <c>search_row</c>, so a page of a common word costs its page, not every match. The query reaches
/// FTS5 only as quoted strings built from folded words (<see cref="MatchExpression"/>): no user text is ever FTS5
/// syntax.
/// </summary>
public sealed partial class SqliteChatStore
{
    public Task<IReadOnlyList<MessageRecord>> SearchMessagesAsync(SearchQuery query, IReadOnlyCollection<string> rooms, string? user, string? beforeId,
        int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (rooms.Count == 0 || limit == 0)
            return Task.FromResult<IReadOnlyList<MessageRecord>>([]);
        return Task.FromResult(Read<IReadOnlyList<MessageRecord>>(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.Parameters.AddWithValue("$match", MatchExpression(query, rooms.Select(Key).ToArray(), user is null ? null : Key(user)));
            command.Parameters.AddWithValue("$limit", limit);
            // One parameter however many rooms a user is in (SQLite allows 32,766 per statement).
            command.Parameters.AddWithValue("$rooms", System.Text.Json.JsonSerializer.Serialize(rooms.Select(Key)));
            string filters = "m.room_key IN (SELECT value FROM json_each($rooms)) AND m.deleted_at IS NULL";
            if (user is not null)
            {
                filters += " AND m.user_key = $user";
                command.Parameters.AddWithValue("$user", Key(user));
            }
            if (beforeId is not null)
            {
                // The row of the message the last page ended on: the index is ordered by rows, not ids.
                filters += " AND f.rowid < (SELECT search_row FROM messages WHERE id = $before)";
                command.Parameters.AddWithValue("$before", beforeId);
            }
            command.CommandText = $"""
                SELECT {string.Join(", ", MessageColumns.Split(", ").Select(c => "m." + c))}
                FROM messages_fts AS f JOIN messages AS m ON m.search_row = f.rowid
                WHERE messages_fts MATCH $match AND {filters}
                ORDER BY f.rowid DESC LIMIT $limit
                """;
            using SqliteDataReader reader = command.ExecuteReader();
            var found = new List<MessageRecord>(Math.Min(limit, 256));
            while (reader.Read())
                found.Add(ReadMessage(reader));
            reader.Close();
            return Complete(connection, null, found);
        }));
    }

    /// <summary>At most this many rooms are named to the index (an OR of that many lists); a wider search is narrowed by SQL alone.</summary>
    internal const int MaxRoomsInMatch = 32;

    /// <summary>
    /// The FTS5 query of <paramref name="query"/>: each term a quoted string in the <c>words</c> column (a phrase when it
    /// has several words, <c>*</c> after a prefix), all joined by AND; then, to let the index skip what is not theirs,
    /// the rooms (when few) and the author as phrases of their columns. The SQL filters stay the authority: the
    /// tokenizer reads <c>dev-ops</c> and <c>dev_ops</c> alike, the exact key comparison does not. Words are letters
    /// and digits and keys letters, digits, '_' and '-'; a quote would be doubled all the same.
    /// </summary>
    internal static string MatchExpression(SearchQuery query, IReadOnlyList<string> roomKeys, string? userKey)
    {
        static string Quote(string text) => "\"" + text.Replace("\"", "\"\"") + "\"";
        var parts = query.Terms.Select(t => "words : " + Quote(string.Join(' ', t.Words)) + (t.Prefix ? "*" : "")).ToList();
        if (roomKeys.Count <= MaxRoomsInMatch)
            parts.Add("(" + string.Join(" OR ", roomKeys.Select(r => "room_key : " + Quote(r))) + ")");
        if (userKey is not null)
            parts.Add("user_key : " + Quote(userKey));
        return string.Join(" AND ", parts);
    }
}
