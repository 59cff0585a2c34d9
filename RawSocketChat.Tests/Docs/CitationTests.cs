using System.Text;
using System.Text.RegularExpressions;

namespace RawSocketChat.Tests.Docs;

/// <summary>
/// One citation format in the server's comments: a section is cited as <c>RFC 6455 §5.5</c>, never as a bare
/// <c>§5.5</c>, because eight RFCs are cited (6455, 7692, 9110, 9112, 8446, 3629, …) and a bare section number does not
/// say which. The rule is per comment line: every <c>§</c> has <c>RFC NNNN</c> before it on the same line, so
/// <c>RFC 7692 §7.1.1.1 and §7.1.1.2</c> is fine, and a line that continues a citation from the line above names its
/// RFC again. Only comments are read (strings and code are skipped); every .cs file under RawSocketChat/ is checked.
/// </summary>
public sealed partial class CitationTests
{
    [GeneratedRegex(@"RFC \d+")]
    private static partial Regex RfcName();

    [Fact]
    public void Every_section_sign_in_a_comment_has_its_RFC_named_before_it_on_the_line()
    {
        var problems = new List<string>();
        foreach (string file in Repo.Files("RawSocketChat", "*.cs").Order(StringComparer.Ordinal))
        {
            foreach ((int line, string comment) in CommentLines(File.ReadAllText(file)))
            {
                int section = comment.IndexOf('§');
                if (section >= 0 && !RfcName().IsMatch(comment[..section]))
                    problems.Add($"{Repo.Relative(file)}:{line}: {comment.Trim()}");
            }
        }
        Assert.True(problems.Count == 0,
            $"{problems.Count} comment lines cite a § without naming its RFC before it (write \"RFC 6455 §5.5\"):\n" + string.Join("\n", problems));
    }

    [Fact]
    public void Comments_are_found_and_strings_are_not()
    {
        const string source = """
            // a line comment §1
            string a = "not // a comment §2"; // after code §3
            string b = @"verbatim "" // still a string §4"; /* block §5
               continued §6 */ int c = '"'; // after a char literal §7
            string d = $"{(true ? "x" : "y")} // in an interpolated string §8";
            """;

        string[] found = CommentLines(source).Select(c => $"{c.Line}:{c.Text.Trim()}").ToArray();

        Assert.Equal(["1:// a line comment §1", "2:// after code §3", "3:/* block §5", "4:continued §6 */", "4:// after a char literal §7"], found);
    }

    /// <summary>
    /// The comment text on each line of C# <paramref name="source"/> (1-based line numbers), from a small lexer: line
    /// and block comments; regular, verbatim and raw strings (interpolated ones too, closing at their quote) and char
    /// literals are skipped.
    /// </summary>
    private static List<(int Line, string Text)> CommentLines(string source)
    {
        var result = new List<(int, string)>();
        var block = new StringBuilder(); // the part of a block comment on the current line
        int line = 1;
        int i = 0;
        bool inBlock = false;

        void FlushBlock()
        {
            if (block.Length > 0)
                result.Add((line, block.ToString()));
            block.Clear();
        }

        while (i < source.Length)
        {
            char c = source[i];
            if (c == '\r') { i++; continue; }
            if (c == '\n') { FlushBlock(); line++; i++; continue; }

            if (inBlock)
            {
                block.Append(c);
                if (c == '*' && i + 1 < source.Length && source[i + 1] == '/')
                {
                    block.Append('/');
                    FlushBlock();
                    inBlock = false;
                    i += 2;
                    continue;
                }
                i++;
                continue;
            }

            if (c == '/' && i + 1 < source.Length && source[i + 1] == '/')
            {
                int end = source.IndexOf('\n', i);
                if (end < 0) end = source.Length;
                result.Add((line, source[i..end].TrimEnd('\r')));
                i = end;
                continue;
            }
            if (c == '/' && i + 1 < source.Length && source[i + 1] == '*')
            {
                block.Append("/*");
                inBlock = true;
                i += 2;
                continue;
            }

            if (c == '\'')
            {
                // A char literal: '"', '\'', '\\', '\u0041'.
                i++;
                while (i < source.Length && source[i] != '\'' && source[i] != '\n')
                    i += source[i] == '\\' ? 2 : 1;
                i++;
                continue;
            }

            if (c == '"')
            {
                int quotes = 0;
                while (i + quotes < source.Length && source[i + quotes] == '"')
                    quotes++;
                if (quotes >= 3)
                {
                    // A raw string: ends at the same number of quotes, possibly lines later.
                    string close = new('"', quotes);
                    int end = source.IndexOf(close, i + quotes, StringComparison.Ordinal);
                    end = end < 0 ? source.Length : end + quotes;
                    line += source.AsSpan(i, end - i).Count('\n');
                    i = end;
                    continue;
                }

                bool verbatim = PrefixHas(source, i, '@');
                i++;
                while (i < source.Length)
                {
                    char s = source[i];
                    if (verbatim && s == '"' && i + 1 < source.Length && source[i + 1] == '"') { i += 2; continue; }
                    if (s == '"') { i++; break; }
                    if (!verbatim && s == '\\') { i += 2; continue; }
                    if (s == '\n')
                    {
                        if (!verbatim) break; // an unterminated regular string ends with its line
                        line++;
                    }
                    i++;
                }
                continue;
            }

            i++;
        }
        FlushBlock();
        return result;
    }

    /// <summary>Whether the string opening at <paramref name="quote"/> has <paramref name="marker"/> among its $ and @ prefixes.</summary>
    private static bool PrefixHas(string source, int quote, char marker)
    {
        for (int j = quote - 1; j >= 0 && source[j] is '$' or '@'; j--)
        {
            if (source[j] == marker)
                return true;
        }
        return false;
    }
}
