using System.Diagnostics;
using System.Globalization;
using System.Text;
using HdrHistogram;
using Microsoft.Data.Sqlite;
using RawSocketChat.Bench.Compare;
using RawSocketChat.Storage;
using RawSocketChat.Storage.Mongo;

namespace RawSocketChat.Bench.Search;

/// <summary>
/// <c>search [options]</c>: full-text search over a large store, through <see cref="IChatStore.SearchMessagesAsync"/>
/// exactly as the server calls it (a scope of room names, <c>limit + 1</c>). The store is filled once with a
/// deterministic corpus (<see cref="SearchCorpus"/>) and reused by later runs; then every query kind runs
/// <c>--queries</c> times, interleaved, after a warm-up that is not recorded, and each call is timed on its own.
/// The goal is p99 ≤ 50 ms per kind at 1,000,000 messages. The store is in the OS page cache (it was just written, or
/// the warm-up read it): this measures the query, not the disk.
/// </summary>
internal static class SearchCommand
{
    /// <summary>As the server's default (<c>ChatSettings.MaxSearchTerms</c>); the queries here have two terms at most.</summary>
    private const int MaxTerms = 8;

    /// <summary>Latencies in microseconds, 1 µs to 10 minutes, 3 significant digits (as <c>load</c> records them).</summary>
    private const long HighestMicros = 600_000_000;

    public const string Help = """
        search [options]   full-text search over a filled store, per query kind

          --data FILE [./data/search-bench.db]  SQLite file; filled on first use, reused after (delete it to refill)
          --mongo URL                           MongoDB instead (mongodb://…/database); --data is then unused
          --messages N [1000000]                messages the store must hold; missing ones are appended
          --rooms R [50]                        rooms r0 … rR-1 the messages are spread over (uniformly)
          --member-of M [10]                    rooms the searching user is a member of: the scope of each search
          --queries Q [500]                     measured queries per kind (a tenth more, at least 10, warm up first)
          --limit L [20]                        page size; the store is asked for L + 1, as the server does
          --seed S [1]                          corpus and query mix; a store filled with another seed is refused

        Kinds: common, mid and rare words (by frequency rank), two words (AND), prefixes of 2 and 3 letters, a phrase
        of two adjacent words of a stored message, an accent-folded word (cafe for café), one room, and a second page.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        SearchOptions options = SearchOptions.Parse(args);
        var corpus = new SearchCorpus(options.Seed, options.Rooms);
        string storeName = options.Mongo is { } url ? "MongoDB " + MongoStoreOptions.Redact(url) : "SQLite " + Path.GetFullPath(options.Data);

        IChatStore store = await OpenAsync(options);
        FillResult fill;
        try
        {
            fill = await FillAsync(store, corpus, options);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
        if (options.Mongo is null && fill.Appended > 0)
        {
            // Closing folds the WAL into the file (checkpoint), so a fresh fill is measured as a reused store would be.
            await store.DisposeAsync();
            store = await OpenAsync(options);
        }

        try
        {
            List<Kind> kinds = BuildKinds(corpus, options, fill.Stored);
            await MeasureAsync(store, kinds, options);
            Console.Write(Report(options, storeName, fill, kinds));
        }
        finally
        {
            await store.DisposeAsync();
        }
        return 0;
    }

    private static async Task<IChatStore> OpenAsync(SearchOptions options) =>
        options.Mongo is { } url
            ? await MongoChatStore.OpenAsync(new MongoStoreOptions { ConnectionString = url })
            : SqliteChatStore.OpenFile(options.Data);

    // ---- Fill ----

    private sealed record FillResult(long Stored, long Appended, double Seconds);

    /// <summary>
    /// How many corpus messages the store holds, read off its greatest id (the corpus numbers its ids 1, 2, 3 … in the
    /// counter), checked against the corpus: that last message must be the one this seed and room count generate.
    /// </summary>
    private static async Task<long> CountStoredAsync(IChatStore store, SearchCorpus corpus)
    {
        string? latest = await store.GetLatestMessageIdAsync();
        if (latest is null)
            return 0;
        if (!MessageIdGenerator.TryParse(latest, out _, out ulong counter) || counter == 0 || latest != SearchCorpus.IdOf((long)counter - 1))
            throw new UsageException($"the store holds messages that are not this benchmark's (latest id {latest}); give another --data, or delete it");
        MessageRecord expected = corpus.Message((long)counter - 1);
        MessageRecord? stored = await store.FindMessageAsync(latest);
        if (stored is null || stored.Text != expected.Text || stored.Room != expected.Room)
            throw new UsageException("the store was filled with another --seed or --rooms; give another --data, or delete it");
        return (long)counter;
    }

    private static async Task<FillResult> FillAsync(IChatStore store, SearchCorpus corpus, SearchOptions options)
    {
        const int Batch = 2000;
        long stored = await CountStoredAsync(store, corpus);
        if (stored >= options.Messages)
        {
            Console.Error.WriteLine($"reusing the store: {stored:N0} messages (≥ {options.Messages:N0})");
            return new FillResult(stored, 0, 0);
        }
        long first = stored;
        Console.Error.WriteLine($"filling {options.Messages - first:N0} messages ({first:N0} already stored), batches of {Batch:N0}");
        var clock = Stopwatch.StartNew();
        double lastReport = 0;
        long lastCount = first;
        var batch = new List<MessageRecord>(Batch);
        while (stored < options.Messages)
        {
            batch.Clear();
            for (long i = stored; i < options.Messages && batch.Count < Batch; i++)
                batch.Add(corpus.Message(i));
            await store.AppendMessagesAsync(batch);
            stored += batch.Count;
            double now = clock.Elapsed.TotalSeconds;
            if (now - lastReport >= 5 || stored == options.Messages)
            {
                double interval = (stored - lastCount) / Math.Max(now - lastReport, 1e-3);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {stored:N0}/{options.Messages:N0}  {now:0}s  {interval:N0} msg/s now, {(stored - first) / Math.Max(now, 1e-3):N0} msg/s overall"));
                lastReport = now;
                lastCount = stored;
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"filled {stored - first:N0} messages in {seconds:0.0} s: {(stored - first) / seconds:N0} msg/s"));
        return new FillResult(stored, stored - first, seconds);
    }

    // ---- Queries ----

    /// <summary>One query to run: its text (as a user types it), scope, and for a second page the word of its first.</summary>
    private sealed record Query(string Text, SearchQuery Parsed, string[] Rooms, bool SecondPage, string? User = null);

    private sealed class Kind(string name, string terms)
    {
        public string Name { get; } = name;
        /// <summary>Where the terms come from, for the table (frequency ranks, …).</summary>
        public string Terms { get; } = terms;
        public List<Query> Warmup { get; } = [];
        public List<Query> Measured { get; } = [];
        public LongHistogram Latency { get; } = new(HighestMicros, 3);
        public long Results { get; set; }
        public int Runs { get; set; }
        /// <summary>Second-page queries whose first page had no more (none expected with the words chosen).</summary>
        public int NoSecondPage { get; set; }
    }

    private static List<Kind> BuildKinds(SearchCorpus corpus, SearchOptions options, long stored)
    {
        int warmup = Math.Max(10, options.Queries / 10);
        var kinds = new List<Kind>();
        int kindIndex = 0;

        void Add(string name, string terms, Func<SplitMix64, (string Text, string[]? Rooms)> make, bool secondPage = false, Func<SplitMix64, string>? user = null)
        {
            var kind = new Kind(name, terms);
            var rng = new SplitMix64(SearchCorpus.Hash(options.Seed, 0x5EA2C4_0000L + kindIndex++));
            for (int i = 0; i < warmup + options.Queries; i++)
            {
                (string text, string[]? rooms) = make(rng);
                rooms ??= Scope(rng, options.Rooms, options.MemberOf, null);
                SearchQuery parsed = SearchQuery.Parse(text, MaxTerms, out string? error)
                    ?? throw new InvalidOperationException($"query '{text}' of kind {name} does not parse: {error}");
                (i < warmup ? kind.Warmup : kind.Measured).Add(new Query(text, parsed, rooms, secondPage, user?.Invoke(rng)));
            }
            kinds.Add(kind);
        }

        string Rank(SplitMix64 rng, int from, int to) => corpus.Word(from + rng.Below(to - from + 1));

        Add("common", "rank 1–10", rng => (Rank(rng, 1, 10), null));
        Add("mid", "rank 450–550", rng => (Rank(rng, 450, 550), null));
        Add("rare", "rank 14,000–16,000", rng => (Rank(rng, 14_000, 16_000), null));
        Add("two words", "rank 1–50 AND 51–500", rng => ($"{Rank(rng, 1, 50)} {Rank(rng, 51, 500)}", null));
        Add("prefix 2", "2 letters of rank 1–10 + *", rng => (Rank(rng, 1, 10)[..2] + "*", null));
        Add("prefix 3", "3 letters of rank 1–300 + *", rng =>
        {
            string word;
            do word = Rank(rng, 1, 300); while (word.Length < 3);
            return (word[..3] + "*", null);
        });
        Add("phrase", "2 adjacent words of a stored message", rng =>
        {
            long index = (long)(rng.Next() % (ulong)stored);
            List<string> words = corpus.Words(index, out int room, out _);
            int at = rng.Below(words.Count - 1);
            // The message's own room is in the scope, so the phrase is found at least there.
            return ($"\"{words[at]} {words[at + 1]}\"", Scope(rng, options.Rooms, options.MemberOf, room));
        });
        Add("accent", "cafe naive resume ÆRØ (folded)", rng => (SearchCorpus.FoldedQueries[rng.Below(SearchCorpus.FoldedQueries.Length)], null));
        Add("one room", "rank 11–200, scope 1 room", rng => (Rank(rng, 11, 200), Scope(rng, options.Rooms, 1, null)));
        Add("page 2", "rank 1–50, before = page 1's last", rng => (Rank(rng, 1, 50), null), secondPage: true);
        // The worst case for an index walked in time order: a word in a large share of messages, none in the scope (a
        // quiet room), or from one author among a thousand.
        Add("empty scope", "rank 1–10, scope a room without messages", rng => (Rank(rng, 1, 10), ["quiet"]));
        Add("one author", "rank 1–10, by one of 1,000 users", rng => (Rank(rng, 1, 10), null), user: rng => $"u{rng.Below(1000)}");
        return kinds;
    }

    /// <summary><paramref name="count"/> distinct room names out of r0 … r<c>rooms - 1</c>, with <paramref name="include"/> among them.</summary>
    private static string[] Scope(SplitMix64 rng, int rooms, int count, int? include)
    {
        int[] all = Enumerable.Range(0, rooms).ToArray();
        for (int i = 0; i < count; i++)
        {
            int j = i + rng.Below(rooms - i);
            (all[i], all[j]) = (all[j], all[i]);
        }
        if (include is { } room && Array.IndexOf(all, room, 0, count) < 0)
            all[0] = room;
        return all.Take(count).Select(SearchCorpus.RoomName).ToArray();
    }

    private static async Task MeasureAsync(IChatStore store, List<Kind> kinds, SearchOptions options)
    {
        int asked = options.Limit + 1;
        int warmup = kinds[0].Warmup.Count;
        Console.Error.WriteLine($"warm-up: {warmup} queries per kind, not recorded");
        for (int i = 0; i < warmup; i++)
            foreach (Kind kind in kinds)
                await RunAsync(kind.Warmup[i], record: null);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        Console.Error.WriteLine($"measuring: {options.Queries} queries per kind, {kinds.Count} kinds, interleaved");
        var progress = Stopwatch.StartNew();
        for (int i = 0; i < options.Queries; i++)
        {
            // Round-robin over the kinds: no kind runs on a cache only its own earlier queries warmed.
            foreach (Kind kind in kinds)
                await RunAsync(kind.Measured[i], kind);
            if (progress.Elapsed.TotalSeconds >= 5)
            {
                Console.Error.WriteLine($"  {i + 1}/{options.Queries}");
                progress.Restart();
            }
        }

        async Task RunAsync(Query query, Kind? record)
        {
            string? before = null;
            if (query.SecondPage)
            {
                IReadOnlyList<MessageRecord> first = await store.SearchMessagesAsync(query.Parsed, query.Rooms, query.User, null, asked);
                if (first.Count <= options.Limit)
                {
                    if (record is not null)
                        record.NoSecondPage++;
                    return;
                }
                before = first[options.Limit - 1].Id; // the last message shown on the first page
            }
            long start = Stopwatch.GetTimestamp();
            IReadOnlyList<MessageRecord> found = await store.SearchMessagesAsync(query.Parsed, query.Rooms, query.User, before, asked);
            long elapsed = Stopwatch.GetTimestamp() - start;
            if (record is null)
                return;
            record.Latency.RecordValue(Math.Clamp(elapsed * 1_000_000 / Stopwatch.Frequency, 1, HighestMicros));
            record.Results += found.Count;
            record.Runs++;
        }
    }

    // ---- Report ----

    private static string Report(SearchOptions options, string storeName, FillResult fill, List<Kind> kinds)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"search benchmark: {fill.Stored:N0} messages in {options.Rooms} rooms, scope {options.MemberOf} rooms, limit {options.Limit} (asks {options.Limit + 1}), {options.Queries} queries per kind, seed {options.Seed}");
        text.AppendLine($"machine: {CompareCommand.MachineDescription()}; .NET {Environment.Version}; SQLite {SqliteVersion()}");
        text.AppendLine($"command: RawSocketChat.Bench search {options.CommandLine}");
        text.AppendLine($"store:   {storeName}{(options.Mongo is null ? ", " + FileSize(options.Data) : "")}");
        text.AppendLine(fill.Appended == 0
            ? "fill:    reused (already filled)"
            : string.Create(inv, $"fill:    {fill.Appended:N0} messages appended in {fill.Seconds:0.0} s ({fill.Appended / fill.Seconds:N0} msg/s, batches of 2,000)"));
        text.AppendLine(inv, $"corpus:  {SearchCorpus.VocabularySize:N0} made-up words, Zipf s = {SearchCorpus.ZipfExponent}, {SearchCorpus.MinWords}–{SearchCorpus.MaxWords} words a message; rank 1 is in ~{Share(1):0}% of messages, rank 500 in ~{Share(500):0.00}%, rank 15,000 in ~{Share(15_000):0.000}%");
        text.AppendLine();

        string[] header = ["kind", "terms", "example", "queries", "results/q", "p50 ms", "p90 ms", "p99 ms", "max ms"];
        var rows = new List<string[]>();
        var all = new LongHistogram(HighestMicros, 3);
        foreach (Kind kind in kinds)
        {
            all.Add(kind.Latency);
            rows.Add([
                kind.Name, kind.Terms, "`" + kind.Measured[0].Text + "`" + (kind.Measured[0].Rooms.Length == 1 ? " in " + kind.Measured[0].Rooms[0] : ""),
                kind.Runs.ToString(inv), kind.Runs == 0 ? "-" : ((double)kind.Results / kind.Runs).ToString("0.0", inv),
                Ms(kind.Latency, 50), Ms(kind.Latency, 90), Ms(kind.Latency, 99), Max(kind.Latency),
            ]);
        }
        rows.Add(["**all**", "", "", all.TotalCount.ToString(inv), "", Ms(all, 50), Ms(all, 90), Ms(all, 99), Max(all)]);
        int[] widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        bool[] right = [false, false, false, true, true, true, true, true, true];
        string Line(string[] cells) => "| " + string.Join(" | ", cells.Select((c, i) => right[i] ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))) + " |";
        text.AppendLine(Line(header));
        text.AppendLine("|" + string.Join("|", widths.Select((w, i) => right[i] ? new string('-', w + 1) + ":" : ":" + new string('-', w + 1))) + "|");
        foreach (string[] row in rows)
            text.AppendLine(Line(row));
        text.AppendLine();

        string[] over = kinds.Where(k => k.Latency.TotalCount > 0 && k.Latency.GetValueAtPercentile(99) > 50_000).Select(k => k.Name).ToArray();
        text.AppendLine(over.Length == 0
            ? "goal p99 ≤ 50 ms: met by every kind"
            : $"goal p99 ≤ 50 ms: missed by {string.Join(", ", over)}");
        foreach (Kind kind in kinds.Where(k => k.NoSecondPage > 0))
            text.AppendLine($"note: {kind.NoSecondPage} {kind.Name} queries had no second page and were not timed");
        return text.ToString();

        static double Share(int rank) => 100 * SearchCorpus.ShareOfMessages(rank);
    }

    private static string Ms(HistogramBase h, double percentile) =>
        h.TotalCount == 0 ? "-" : (h.GetValueAtPercentile(percentile) / 1000.0).ToString("0.00", CultureInfo.InvariantCulture);

    private static string Max(HistogramBase h) =>
        h.TotalCount == 0 ? "-" : (h.GetMaxValue() / 1000.0).ToString("0.00", CultureInfo.InvariantCulture);

    private static string FileSize(string path)
    {
        long main = File.Exists(path) ? new FileInfo(path).Length : 0;
        long wal = File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0;
        string size = (main / 1048576.0).ToString("N1", CultureInfo.InvariantCulture) + " MiB";
        return wal > 0 ? size + string.Create(CultureInfo.InvariantCulture, $" + {wal / 1048576.0:N1} MiB WAL") : size;
    }

    private static string SqliteVersion()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";
        return command.ExecuteScalar() as string ?? "?";
    }
}

/// <summary>The command line of <c>search</c>.</summary>
internal sealed class SearchOptions
{
    public string Data { get; private set; } = "./data/search-bench.db";
    public string? Mongo { get; private set; }
    public long Messages { get; private set; } = 1_000_000;
    public int Rooms { get; private set; } = 50;
    public int MemberOf { get; private set; } = 10;
    public int Queries { get; private set; } = 500;
    public int Limit { get; private set; } = 20;
    public long Seed { get; private set; } = 1;

    /// <summary>Every option with its value in effect, for the report (the password of --mongo redacted).</summary>
    public string CommandLine => string.Create(CultureInfo.InvariantCulture,
        $"{(Mongo is null ? "--data " + Data : "--mongo " + MongoStoreOptions.Redact(Mongo))} --messages {Messages} --rooms {Rooms} --member-of {MemberOf} --queries {Queries} --limit {Limit} --seed {Seed}");

    public static SearchOptions Parse(string[] args)
    {
        var options = new SearchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{name} needs a value");
            long Long()
            {
                string value = Value();
                return long.TryParse(value.Replace("_", ""), NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out long n)
                    ? n
                    : throw new UsageException($"{name} needs a whole number, not '{value}'");
            }
            int Int() => (int)Math.Clamp(Long(), int.MinValue, int.MaxValue);
            switch (name)
            {
                case "--data": options.Data = Value(); break;
                case "--mongo":
                    options.Mongo = Value();
                    try { MongoStoreOptions.ParseConnectionString(options.Mongo); }
                    catch (ArgumentException e) { throw new UsageException($"--mongo: {e.Message}"); }
                    break;
                case "--messages": options.Messages = Long(); break;
                case "--rooms": options.Rooms = Int(); break;
                case "--member-of": options.MemberOf = Int(); break;
                case "--queries": options.Queries = Int(); break;
                case "--limit": options.Limit = Int(); break;
                case "--seed": options.Seed = Long(); break;
                case "--help" or "-h": throw new UsageException(SearchCommand.Help);
                default: throw new UsageException($"unknown search option '{name}' (see search --help)");
            }
        }
        if (options.Messages < 1 || options.Messages > 100_000_000)
            throw new UsageException("--messages must be 1 to 100,000,000");
        if (options.Rooms < 1 || options.Rooms > 100_000)
            throw new UsageException("--rooms must be 1 to 100,000");
        if (options.MemberOf < 1 || options.MemberOf > options.Rooms)
            throw new UsageException($"--member-of must be 1 to --rooms ({options.Rooms})");
        if (options.Queries < 1 || options.Queries > 1_000_000)
            throw new UsageException("--queries must be 1 to 1,000,000");
        if (options.Limit < 1 || options.Limit > 1000)
            throw new UsageException("--limit must be 1 to 1000");
        return options;
    }
}

/// <summary>
/// The benchmark's messages, each a pure function of (seed, rooms, index), so a fill can resume where it stopped and a
/// query can quote a stored message without reading it. A vocabulary of <see cref="VocabularySize"/> made-up words,
/// shortest first, is drawn from by rank with a Zipf distribution (rank r has weight 1 / r^s): a few words are in most
/// messages, most words in a handful. Four accented words sit at fixed ranks (café 40, naïve 300, résumé 1,200,
/// Ærø 5,000), and a third of the messages start with a capital, so folding is exercised by the data, not only the query.
/// Message <c>i</c> is in a uniformly random room, by one of 1,000 users, sent at a fixed epoch + i seconds, with the id
/// (epoch + i, counter i + 1): ids increase in send order, and the greatest id says how many are stored.
/// </summary>
internal sealed class SearchCorpus
{
    public const int VocabularySize = 20_000;
    public const double ZipfExponent = 1.0;
    public const int MinWords = 5, MaxWords = 25;
    public const int Users = 1000;

    /// <summary>2025-01-01T00:00:00Z.</summary>
    private const uint EpochSeconds = 1_735_689_600;

    private static readonly (int Rank, string Word)[] Accented = [(40, "café"), (300, "naïve"), (1200, "résumé"), (5000, "Ærø")];

    /// <summary>What the accent kind types: the accented words without their accents (and one in capitals).</summary>
    public static readonly string[] FoldedQueries = ["cafe", "naive", "resume", "ÆRØ"];

    private static readonly double[] Cumulative = BuildCumulative();

    private readonly string[] _words;
    private readonly long _seed;
    private readonly int _rooms;

    public SearchCorpus(long seed, int rooms)
    {
        _seed = seed;
        _rooms = rooms;
        _words = BuildVocabulary(seed);
    }

    /// <summary>The word of frequency rank <paramref name="rank"/> (1 is the most common).</summary>
    public string Word(int rank) => _words[rank - 1];

    public static string RoomName(int room) => "r" + room.ToString(CultureInfo.InvariantCulture);

    public static string IdOf(long index) => MessageIdGenerator.Format(EpochSeconds + (uint)index, (ulong)index + 1);

    /// <summary>The probability that a message holds the word of this rank at least once.</summary>
    public static double ShareOfMessages(int rank)
    {
        double p = (Cumulative[rank - 1] - (rank > 1 ? Cumulative[rank - 2] : 0)) / Cumulative[^1];
        double share = 0;
        for (int n = MinWords; n <= MaxWords; n++)
            share += 1 - Math.Pow(1 - p, n);
        return share / (MaxWords - MinWords + 1);
    }

    /// <summary>The words of message <paramref name="index"/> as written (case and accents kept), in order.</summary>
    public List<string> Words(long index, out int room, out int user)
    {
        var rng = new SplitMix64(Hash(_seed, index));
        room = rng.Below(_rooms);
        user = rng.Below(Users);
        int count = MinWords + rng.Below(MaxWords - MinWords + 1);
        var words = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            int at = Array.BinarySearch(Cumulative, rng.NextDouble() * Cumulative[^1]);
            words.Add(_words[Math.Min(at < 0 ? ~at : at, VocabularySize - 1)]);
        }
        if (rng.Below(3) == 0)
            words[0] = char.ToUpperInvariant(words[0][0]) + words[0][1..];
        return words;
    }

    public MessageRecord Message(long index)
    {
        List<string> words = Words(index, out int room, out int user);
        string ending = (index % 7) switch { 0 => ".", 1 => "?", 2 => "!", _ => "" };
        string text = string.Join(' ', words) + ending;
        return new MessageRecord(
            Id: IdOf(index),
            Room: RoomName(room),
            User: "u" + user.ToString(CultureInfo.InvariantCulture),
            Color: "#" + ((uint)user * 2654435761u & 0xFFFFFF).ToString("x6", CultureInfo.InvariantCulture),
            Text: text,
            Timestamp: DateTime.UnixEpoch.AddSeconds(EpochSeconds + index));
    }

    public static ulong Hash(long seed, long index)
    {
        var mix = new SplitMix64((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)index * 0xD1B54A32D192ED03UL);
        return mix.Next();
    }

    private static double[] BuildCumulative()
    {
        var cumulative = new double[VocabularySize];
        double sum = 0;
        for (int r = 1; r <= VocabularySize; r++)
            cumulative[r - 1] = sum += 1 / Math.Pow(r, ZipfExponent);
        return cumulative;
    }

    /// <summary>Pronounceable words of 1–4 syllables, unique once folded, ordered shortest first (common words are short).</summary>
    private static string[] BuildVocabulary(long seed)
    {
        string[] onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "st", "tr", "ch", "sh", "pl", "gr", ""];
        string[] vowels = ["a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ou", "ea"];
        string[] codas = ["", "", "", "n", "r", "s", "l", "m", "k"];
        var reserved = new HashSet<string>(Accented.Select(a => SearchText.Fold(a.Word)), StringComparer.Ordinal);
        var seen = new HashSet<string>(reserved, StringComparer.Ordinal);
        var made = new List<string>(VocabularySize);
        var rng = new SplitMix64(Hash(seed, -1));
        var word = new StringBuilder();
        while (made.Count < VocabularySize - Accented.Length)
        {
            word.Clear();
            int syllables = 1 + rng.Below(4);
            for (int s = 0; s < syllables; s++)
                word.Append(onsets[rng.Below(onsets.Length)]).Append(vowels[rng.Below(vowels.Length)]).Append(codas[rng.Below(codas.Length)]);
            string w = word.ToString();
            if (w.Length >= 2 && seen.Add(w))
                made.Add(w);
        }
        // Stable: among words of one length, the order they were drawn in.
        List<string> ranked = made.Select((w, i) => (w, i)).OrderBy(x => x.w.Length).ThenBy(x => x.i).Select(x => x.w).ToList();
        foreach ((int rank, string accented) in Accented)
            ranked.Insert(rank - 1, accented);
        return ranked.ToArray();
    }
}

/// <summary>SplitMix64: a tiny, fast generator whose output is fixed by its seed on every runtime and platform.</summary>
internal sealed class SplitMix64(ulong state)
{
    private ulong _state = state;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, <paramref name="n"/>) (the modulo bias of a 64-bit draw is negligible here).</summary>
    public int Below(int n) => (int)(Next() % (ulong)n);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}
