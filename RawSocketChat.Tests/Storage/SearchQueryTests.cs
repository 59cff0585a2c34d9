using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Storage;

namespace RawSocketChat.Tests.Storage;

/// <summary>
/// The search query and the word rule both stores share: parsing, folding, and — as properties — that the rule
/// written out in <see cref="SearchText"/> finds exactly what SQLite's FTS5 index finds, on arbitrary texts and queries.
/// </summary>
public sealed class SearchQueryTests
{
    private static SearchQuery Parse(string query) => SearchQuery.Parse(query, 8, out string? error) ?? throw new Xunit.Sdk.XunitException(error);

    private static string Show(SearchQuery query) =>
        string.Join(" & ", query.Terms.Select(t => string.Join('_', t.Words) + (t.Prefix ? "*" : "")));

    [Theory]
    [InlineData("Quick BROWN", "quick & brown")]
    [InlineData("bro*", "bro*")]
    [InlineData("\"Black cat\" tail", "black_cat & tail")]
    [InlineData("\"black ca*\"", "black_ca*")]
    [InlineData("\"black ca\"*", "black_ca*")]
    [InlineData("\"never closed", "never_closed")]
    [InlineData("e-mail", "e_mail")]
    [InlineData("Café CAFE cafe", "cafe")]
    [InlineData("  ¡hola!  ", "hola")]
    [InlineData("ὈΔΥΣΣΕΎΣ", "ὀδυσσεύσ")] // other scripts keep their accents, as in SQLite
    [InlineData("Ærø naïve Ǻngström", "ærø & naive & angstrom")]
    [InlineData("東京 2026", "東京 & 2026")]
    [InlineData("emoji 🙂 ok", "emoji & ok")]
    public void Queries_are_read_into_folded_terms(string query, string expected) => Assert.Equal(expected, Show(Parse(query)));

    [Theory]
    [InlineData("", "nothing to search for")]
    [InlineData("?! … \"\"", "nothing to search for")]
    [InlineData("a*", "too short")]
    [InlineData("\"black c*\"", "too short")]
    [InlineData("a b c d e f g h i", "at most 8 terms")]
    public void A_query_with_nothing_to_find_or_too_much_is_refused_with_a_reason(string query, string reason)
    {
        Assert.Null(SearchQuery.Parse(query, 8, out string? error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Folding_drops_accents_typed_either_way_and_keeps_letters_without_a_decomposition()
    {
        Assert.Equal("cafe", SearchText.Fold("Café"));
        Assert.Equal("cafe", SearchText.Fold("Cafe\u0301")); // e + combining acute
        Assert.Equal("øłß", SearchText.Fold("ØŁß"));
        Assert.Equal(["l", "ete", "a", "paris"], SearchText.Words("L'été à Paris…"));
    }

    [Fact]
    public void A_phrase_matches_its_words_in_order_next_to_each_other()
    {
        SearchQuery query = Parse("\"red apple\" pie*");
        Assert.True(query.Matches("A RED apple pies"));
        Assert.False(query.Matches("apple red pies"));
        Assert.False(query.Matches("red big apple pie"));
        Assert.False(query.Matches("red apple"));
    }

    // ---- Properties ----

    private static readonly string[] Vocabulary =
        ["cafe", "café", "CAFÉ", "cafés", "naïve", "naive", "e-mail", "mail", "the", "brown", "bro", "brownie", "x1", "ώρα", "ωρα", "Ærø", "東京", "🙂", "...",
         "Ǻngström", "angstrom", "ṩ", "s", "cafe\u0301", "ǅemal", "Straße", "strasse", "İstanbul", "istanbul", "ÿ", "y"];

    private static readonly Gen<string> Texts =
        from words in Gen.ListOf(Gen.Elements(Vocabulary)).Resize(8)
        select string.Join(' ', words);

    private static readonly Gen<string> Queries =
        from count in Gen.Choose(1, 3)
        from terms in Gen.ListOf(Gen.Elements(Vocabulary.Select(w => SearchText.Words(w)).Where(w => w.Count > 0).Select(w => string.Join(' ', w)).ToArray())
                .SelectMany(word => Gen.Elements(word, word + "*", "\"" + word + "\"", "\"" + word + " " + "brown\"")), count)
        select string.Join(' ', terms);

    [Property(MaxTest = 100)]
    public Property The_word_rule_finds_exactly_what_the_fts5_index_finds() =>
        Prop.ForAll(Arb.From(Gen.ListOf(Texts, 12)), Arb.From(Queries), (texts, text) =>
        {
            SearchQuery? query = SearchQuery.Parse(text, 8, out _);
            if (query is null)
                return true; // a prefix too short: refused before any store sees it
            using var store = new StoreScope();
            MessageRecord[] messages = texts.Select((t, i) => new MessageRecord(MessageIdGenerator.Format(1_800_000_000, (ulong)i + 1), "lobby", "alice",
                "#000000", t, DateTime.UnixEpoch)).ToArray();
            store.Store.AppendMessagesAsync(messages).GetAwaiter().GetResult();
            string[] found = store.Store.SearchMessagesAsync(query, ["lobby"], null, null, 100).GetAwaiter().GetResult().Select(m => m.Id).ToArray();
            string[] expected = messages.Where(m => query.Matches(m.Text)).Select(m => m.Id).Reverse().ToArray();
            Assert.True(expected.SequenceEqual(found), $"query {text} over [{string.Join(" | ", texts)}]: rule {expected.Length}, FTS5 {found.Length}");
            return true;
        });

    [Property(MaxTest = 200)]
    public Property Any_run_of_a_texts_words_finds_it_as_a_phrase(NonNull<string> text) =>
        Prop.ForAll(Arb.From(Gen.Constant(text.Get)), t =>
        {
            List<string> words = SearchText.Words(t);
            if (words.Count == 0)
                return SearchQuery.Parse(t, 1000, out _) is null;
            string phrase = "\"" + string.Join(' ', words.Skip(words.Count / 2).Take(3)) + "\"";
            return SearchQuery.Parse(phrase, 8, out _) is { } query && query.Matches(t) && words.All(w => SearchText.Fold(w) == w);
        });

    private sealed class StoreScope : IDisposable
    {
        public SqliteChatStore Store { get; } = SqliteChatStore.OpenInMemory();
        public void Dispose() => Store.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
