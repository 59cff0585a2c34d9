using Microsoft.Data.Sqlite;

namespace RawSocketChat.Storage;

/// <summary>
/// The schema as a numbered list of steps. <c>schema_migrations</c> records which steps a database has had; on
/// start-up the missing ones run, each in its own transaction, oldest first. Never edit a step that has shipped:
/// append a new one.
/// </summary>
internal static class SqliteMigrations
{
    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "initial schema", """
            CREATE TABLE users (
                name_key      TEXT PRIMARY KEY,      -- lower-case name: uniqueness ignores case
                name          TEXT NOT NULL,
                password_hash TEXT NOT NULL,         -- pbkdf2-sha256$iterations$salt$hash
                color         TEXT NOT NULL,
                role          TEXT NOT NULL,
                created_at    INTEGER NOT NULL       -- Unix milliseconds, UTC
            ) WITHOUT ROWID;

            CREATE TABLE sessions (
                token_hash BLOB PRIMARY KEY,         -- SHA-256 of the token; the token itself is never stored
                user_key   TEXT NOT NULL REFERENCES users(name_key) ON DELETE CASCADE,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX sessions_by_expiry ON sessions(expires_at);

            CREATE TABLE rooms (
                name_key   TEXT PRIMARY KEY,
                name       TEXT NOT NULL,
                created_by TEXT,
                created_at INTEGER NOT NULL
            ) WITHOUT ROWID;

            CREATE TABLE room_members (
                room_key  TEXT NOT NULL REFERENCES rooms(name_key) ON DELETE CASCADE,
                user_key  TEXT NOT NULL REFERENCES users(name_key) ON DELETE CASCADE,
                joined_at INTEGER NOT NULL,
                PRIMARY KEY (room_key, user_key)
            ) WITHOUT ROWID;

            CREATE TABLE messages (
                id        TEXT PRIMARY KEY,          -- 24 hex digits, sorts in send order
                room_key  TEXT NOT NULL,
                room      TEXT NOT NULL,
                user_key  TEXT NOT NULL,
                user_name TEXT NOT NULL,
                guest     INTEGER NOT NULL,
                color     TEXT NOT NULL,
                text      TEXT NOT NULL,
                ts        INTEGER NOT NULL,
                ref       TEXT
            ) WITHOUT ROWID;
            CREATE INDEX messages_by_room ON messages(room_key, id);
            -- Idempotent sends: one message per (user, guest flag, ref).
            CREATE UNIQUE INDEX messages_by_ref ON messages(user_key, guest, ref) WHERE ref IS NOT NULL;
            """),
        new(2, "edits, deletes, moderation, statistics", """
            -- Edits keep the latest text; a delete empties the text for good and leaves a tombstone.
            ALTER TABLE messages ADD COLUMN edited_at INTEGER;
            ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
            -- Messages per hour over a time window.
            CREATE INDEX messages_by_ts ON messages(ts);

            CREATE TABLE bans (
                name_key   TEXT PRIMARY KEY,      -- a name, registered or not
                name       TEXT NOT NULL,
                by_name    TEXT NOT NULL,
                reason     TEXT,
                created_at INTEGER NOT NULL,
                expires_at INTEGER                -- NULL: until lifted
            ) WITHOUT ROWID;

            CREATE TABLE mutes (
                name_key   TEXT PRIMARY KEY,
                name       TEXT NOT NULL,
                by_name    TEXT NOT NULL,
                reason     TEXT,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            ) WITHOUT ROWID;

            CREATE TABLE moderation_log (
                id         TEXT PRIMARY KEY,      -- 24 hex digits, sorts in time order
                ts         INTEGER NOT NULL,
                action     TEXT NOT NULL,
                actor      TEXT NOT NULL,
                target     TEXT NOT NULL,
                room       TEXT,
                message_id TEXT,
                expires_at INTEGER,
                reason     TEXT
            ) WITHOUT ROWID;
            """),
        new(3, "who deleted a message", """
            -- The moderator who deleted someone else's message; NULL when its author deleted it.
            ALTER TABLE messages ADD COLUMN deleted_by_moderator TEXT;
            -- Tombstones from before: every moderator's delete of another's message is in the log with the message id,
            -- so the log says exactly which ones were not the author's. Driven by the log: one lookup by id per entry.
            UPDATE messages SET deleted_by_moderator = log.actor
            FROM (SELECT message_id, actor FROM moderation_log WHERE action = 'delete' AND message_id IS NOT NULL) AS log
            WHERE messages.id = log.message_id AND messages.deleted_at IS NOT NULL;
            """),
        new(4, "top posters per room", """
            -- A room's posters counted off this index alone, already grouped in its order: no table reads, no sort of
            -- the messages. user_name makes it covering (MIN(user_name) spells the poster).
            CREATE INDEX messages_by_room_user ON messages(room_key, user_key, guest, user_name);
            """),
        new(5, "reactions", """
            -- One row per (message, emoji, user): the key is the "one per user per emoji" rule. A rowid table, so that
            -- rowid is the order reactions were given in, which is the order they are shown in. The key's index serves
            -- both a message's reactions and a history page's (message_id IN (...)).
            CREATE TABLE reactions (
                message_id TEXT NOT NULL,
                emoji      TEXT NOT NULL,
                user_key   TEXT NOT NULL,
                guest      INTEGER NOT NULL,
                user_name  TEXT NOT NULL,
                ts         INTEGER NOT NULL,
                PRIMARY KEY (message_id, emoji, user_key, guest)
            );
            """),
        new(6, "replies", """
            -- The message a reply answers; NULL for the rest. The quote is not copied: it is read from the parent
            -- with the page (one id IN (...) query), so it follows the parent's edits and deletion.
            ALTER TABLE messages ADD COLUMN reply_to TEXT;
            """),
        new(7, "mentions and read positions", """
            -- Who a message mentions, for history: names separated by spaces (names have none), '@room' first for @room.
            ALTER TABLE messages ADD COLUMN mentions TEXT;
            -- The same, one row per mentioned user ('@room' for everyone), for counting a user's unread mentions in a
            -- room off the key alone. Kept in step by the writes of messages (append, edit, delete).
            CREATE TABLE message_mentions (
                user_key   TEXT NOT NULL,
                room_key   TEXT NOT NULL,
                message_id TEXT NOT NULL,
                PRIMARY KEY (user_key, room_key, message_id)
            ) WITHOUT ROWID;
            CREATE INDEX message_mentions_by_message ON message_mentions(message_id); -- edits and deletes replace a message's rows
            -- Where each registered user has read up to, per room.
            CREATE TABLE read_positions (
                user_key   TEXT NOT NULL,
                room_key   TEXT NOT NULL,
                message_id TEXT NOT NULL,
                PRIMARY KEY (user_key, room_key)
            ) WITHOUT ROWID;
            """),
        new(8, "room topics", """
            ALTER TABLE rooms ADD COLUMN topic TEXT;
            """),
        new(9, "private rooms", """
            ALTER TABLE rooms ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
            """),
        new(10, "search", """
            -- FTS5 keys its rows by an integer and messages are keyed by text: search_row is the message's integer key,
            -- given in id order here and by the append after (MAX + 1), so the index's order is send order.
            ALTER TABLE messages ADD COLUMN search_row INTEGER;
            UPDATE messages SET search_row = numbered.n
            FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM messages) AS numbered
            WHERE messages.id = numbered.id;
            CREATE UNIQUE INDEX messages_by_search_row ON messages(search_row);
            -- Contentless: FTS5 keeps the index alone (the text stays in messages) and indexes what search_words
            -- gives it — the message's words by SearchText, the one rule MongoDB's index and the query also use —
            -- rather than its own reading of the text: unicode61 takes some symbols (an emoji of Unicode 7) for word
            -- characters, which would put a word between the two of a phrase. The words are folded already, so
            -- unicode61 only splits them at the spaces. search_words is the server's function (SqliteChatStore).
            -- room_key and user_key are indexed too, so that a search of a few rooms (or one author) is narrowed by the
            -- index itself instead of walking every match of a common word in time order to find theirs. prefix '2 3'
            -- indexes the first 2 and 3 letters of every word: without it, 'wo*' merges the lists of every word that
            -- starts so (300,000 entries in a million messages) before the first result.
            CREATE VIRTUAL TABLE messages_fts USING fts5(words, room_key, user_key, content = '', contentless_delete = 1,
                tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3');
            INSERT INTO messages_fts(rowid, words, room_key, user_key)
            SELECT search_row, search_words(text), room_key, user_key FROM messages;
            -- Kept in step by triggers, so no write of messages can forget it. A delete empties the text, which takes
            -- the message's words out of the index: a tombstone is never found.
            CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
                INSERT INTO messages_fts(rowid, words, room_key, user_key) VALUES (new.search_row, search_words(new.text), new.room_key, new.user_key);
            END;
            CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
                DELETE FROM messages_fts WHERE rowid = old.search_row;
                INSERT INTO messages_fts(rowid, words, room_key, user_key) VALUES (new.search_row, search_words(new.text), new.room_key, new.user_key);
            END;
            CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
                DELETE FROM messages_fts WHERE rowid = old.search_row;
            END;
            """),
        new(11, "deleted accounts", """
            -- The names of deleted accounts, never to be registered again: direct conversations, refs and mentions are
            -- keyed by names, and what was one person's must not pass to the next one to pick the name.
            CREATE TABLE retired_names (
                name_key   TEXT PRIMARY KEY,
                name       TEXT NOT NULL,
                retired_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            """),
    ];

    /// <summary>Brings the database up to the latest version; returns the versions applied.</summary>
    public static IReadOnlyList<int> Apply(SqliteConnection connection)
    {
        Execute(connection, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                applied_at INTEGER NOT NULL
            );
            """);

        long current;
        using (SqliteCommand command = connection.CreateCommand())
        {
            command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
            current = (long)command.ExecuteScalar()!;
        }
        int latest = All[^1].Version;
        if (current > latest)
            throw new InvalidOperationException($"the database has schema version {current}, newer than this server knows ({latest}); upgrade the server");

        var applied = new List<int>();
        foreach (Migration migration in All)
        {
            if (migration.Version <= current)
                continue;
            using SqliteTransaction transaction = connection.BeginTransaction();
            Execute(connection, migration.Sql, transaction);
            using (SqliteCommand record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations(version, name, applied_at) VALUES ($v, $n, $t)";
                record.Parameters.AddWithValue("$v", migration.Version);
                record.Parameters.AddWithValue("$n", migration.Name);
                record.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                record.ExecuteNonQuery();
            }
            transaction.Commit();
            applied.Add(migration.Version);
        }
        return applied;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
