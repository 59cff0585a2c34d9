using System.Text;

namespace RawSocketChat.Storage;

/// <summary>
/// One term of a search: a word (<c>cat</c>), a prefix (<c>cat*</c>: any word starting with it) or a quoted phrase
/// (<c>"black cat"</c>: these words next to each other, in this order). <see cref="Words"/> are folded
/// (<see cref="SearchText.Fold"/>); <see cref="Prefix"/> applies to the last of them.
/// </summary>
public sealed record SearchTerm(IReadOnlyList<string> Words, bool Prefix)
{
    public bool IsPhrase => Words.Count > 1;

    /// <summary>Whether the words of a message (in order, folded) contain this term.</summary>
    public bool MatchesWords(IReadOnlyList<string> words)
    {
        for (int start = 0; start + Words.Count <= words.Count; start++)
        {
            int i = 0;
            while (i < Words.Count && Matches(i, words[start + i]))
                i++;
            if (i == Words.Count)
                return true;
        }
        return false;
    }

    private bool Matches(int index, string word) =>
        Prefix && index == Words.Count - 1 ? word.StartsWith(Words[index], StringComparison.Ordinal) : word == Words[index];
}

/// <summary>
/// A parsed <c>search</c> query: every term must match (AND), in any order. The parser and the word rule are shared
/// by the stores, so SQLite's FTS5 index and MongoDB's word index agree on what a query finds.
/// </summary>
public sealed record SearchQuery(IReadOnlyList<SearchTerm> Terms)
{
    /// <summary>A prefix shorter than this would match most of the index; it is refused rather than run.</summary>
    public const int MinPrefixLength = 2;

    /// <summary>
    /// Reads <c>words</c>, <c>prefix*</c> and <c>"quoted phrases"</c> (an unclosed quote runs to the end; a
    /// <c>*</c> at its end makes its last word a prefix). A word
    /// that folds into several (<c>e-mail</c>) is the phrase of them, as FTS5 reads it. Repeated terms count once.
    /// Null, with <paramref name="error"/>, when nothing is left to search for or a term is refused.
    /// </summary>
    public static SearchQuery? Parse(string text, int maxTerms, out string? error)
    {
        var terms = new List<SearchTerm>();
        int i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }
            string chunk;
            if (text[i] == '"')
            {
                int close = text.IndexOf('"', i + 1);
                chunk = close < 0 ? text[(i + 1)..] : text[(i + 1)..close];
                i = close < 0 ? text.Length : close + 1;
                // "black ca"* as FTS5 writes it, as well as "black ca*".
                if (i < text.Length && text[i] == '*')
                {
                    chunk += '*';
                    i++;
                }
            }
            else
            {
                int end = i;
                while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] != '"')
                    end++;
                chunk = text[i..end];
                i = end;
            }
            bool prefix = chunk.EndsWith('*');
            List<string> words = SearchText.Words(chunk);
            if (words.Count == 0)
                continue; // punctuation alone: nothing to find
            if (prefix && words[^1].Length < MinPrefixLength)
            {
                error = $"the prefix '{chunk}' is too short: at least {MinPrefixLength} letters before the '*'";
                return null;
            }
            var term = new SearchTerm(words, prefix);
            if (!terms.Any(t => t.Prefix == term.Prefix && t.Words.SequenceEqual(term.Words)))
                terms.Add(term);
        }
        if (terms.Count == 0)
        {
            error = "nothing to search for: give words, a prefix* or a \"quoted phrase\"";
            return null;
        }
        if (terms.Count > maxTerms)
        {
            error = $"at most {maxTerms} terms in one search";
            return null;
        }
        error = null;
        return new SearchQuery(terms);
    }

    /// <summary>Whether a message's text contains every term: what a store without phrase support checks after its index.</summary>
    public bool Matches(string text)
    {
        List<string> words = SearchText.Words(text);
        return Terms.All(t => t.MatchesWords(words));
    }
}

/// <summary>
/// What a word is, for search: a run of letters and digits, folded so that case and accents do not matter
/// (<c>Café</c>, <c>CAFE</c> and <c>cafe</c> are one word), after the rule of SQLite's <c>unicode61</c> tokenizer with
/// <c>remove_diacritics 2</c>. It is the one rule: MongoDB's word index stores these words, SQLite's FTS5 index is fed
/// them (not the text, which unicode61 would read its own way), and the query is read by it too. A script written
/// without spaces (Chinese, Japanese) is one word per run.
/// (<see cref="SearchFolding"/> answers "drop" with a NUL, which is no letter to keep anyway.)
/// </summary>
public static class SearchText
{
    /// <summary>The folded words of <paramref name="text"/>, in order, repeats kept (phrases need the order).</summary>
    public static List<string> Words(string text)
    {
        string folded = Fold(text);
        var words = new List<string>();
        int start = -1, at = 0;
        foreach (Rune rune in folded.EnumerateRunes())
        {
            bool inWord = Rune.IsLetterOrDigit(rune);
            if (inWord && start < 0)
                start = at;
            else if (!inWord && start >= 0)
            {
                words.Add(folded[start..at]);
                start = -1;
            }
            at += rune.Utf16SequenceLength;
        }
        if (start >= 0)
            words.Add(folded[start..]);
        return words;
    }

    /// <summary>The words of <paramref name="text"/> separated by spaces: what SQLite's FTS5 index is given to index.</summary>
    public static string Index(string text) => string.Join(' ', Words(text));

    /// <summary>The distinct words of <paramref name="text"/>: what a word index stores for a message.</summary>
    public static List<string> DistinctWords(string text) => Words(text).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Lower case without accents (<see cref="SearchFolding"/>).</summary>
    public static string Fold(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            char folded = SearchFolding.RemoveDiacritics(c);
            if (folded != '\0')
                builder.Append(char.ToLowerInvariant(folded));
        }
        return builder.ToString();
    }
}
