using System.Text;
using System.Text.RegularExpressions;

namespace RawSocketChat.Tests.Docs;

/// <summary>
/// The documentation's links and file names: every relative link in README.md and docs/*.md points to a file or
/// folder that exists, every <c>#anchor</c> into a Markdown file to one of its headings (GitHub's slugs), every
/// <c>SomeFile.cs</c> named in docs/ exists somewhere in the repository, and the reading path's sizes are near the truth.
/// </summary>
public sealed partial class DocLinksTests
{
    /// <summary>README.md and docs/*.md, relative to the root.</summary>
    public static IEnumerable<string> Documents() =>
        new[] { "README.md" }.Concat(Directory.EnumerateFiles(Repo.PathOf("docs"), "*.md").Select(Repo.Relative).Order(StringComparer.Ordinal));

    [GeneratedRegex(@"^\s*(```|~~~)")]
    private static partial Regex Fence();

    // [text](target) and ![alt](target), with an optional title; the text may hold `code` and nested brackets once.
    [GeneratedRegex(@"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?(?<target>[^)\s>]+)>?(?:\s+""[^""]*"")?\s*\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^\s{0,3}\[[^\]]+\]:\s*<?(?<target>[^\s>]+)>?")]
    private static partial Regex ReferenceDefinition();

    [GeneratedRegex(@"\b(?:src|href)\s*=\s*""(?<target>[^""]+)""")]
    private static partial Regex HtmlLink();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex Scheme();

    [GeneratedRegex(@"(?<![\w./-])(?<name>[A-Za-z_][\w.]*\.cs)\b")]
    private static partial Regex CsFileName();

    [GeneratedRegex(@"^(?<hashes>#{1,6})\s+(?<text>.*?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"\b(?:id|name)\s*=\s*""(?<anchor>[^""]+)""")]
    private static partial Regex HtmlAnchor();

    /// <summary>A document's lines outside fenced code blocks, with their line numbers.</summary>
    private static IEnumerable<(int Number, string Text)> ProseLines(string markdown)
    {
        bool inFence = false;
        string[] lines = markdown.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (Fence().IsMatch(lines[i]))
            {
                inFence = !inFence;
                continue;
            }
            if (!inFence)
                yield return (i + 1, lines[i]);
        }
    }

    /// <summary>The relative link targets of a document, as written (path and optional #anchor).</summary>
    public static IEnumerable<(int Line, string Target)> RelativeLinks(string markdown)
    {
        foreach (var (number, text) in ProseLines(markdown))
        {
            IEnumerable<Match> matches = InlineLink().Matches(text)
                .Concat(ReferenceDefinition().Matches(text))
                .Concat(HtmlLink().Matches(text));
            foreach (Match m in matches)
            {
                string target = m.Groups["target"].Value;
                if (!Scheme().IsMatch(target) && !target.StartsWith("//", StringComparison.Ordinal))
                    yield return (number, target);
            }
        }
    }

    /// <summary>
    /// GitHub's anchors for the headings of a Markdown document: the text as rendered (no code ticks, no link targets,
    /// no emphasis stars), lower-cased, every character but letters, digits, '_', '-' and spaces dropped, spaces as
    /// '-'; a repeated slug gets -1, -2, …. Explicit <c>id</c>/<c>name</c> attributes count too.
    /// </summary>
    public static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (_, text) in ProseLines(markdown))
        {
            foreach (Match m in HtmlAnchor().Matches(text))
                anchors.Add(m.Groups["anchor"].Value);
            Match heading = Heading().Match(text);
            if (!heading.Success)
                continue;
            string slug = Slug(heading.Groups["text"].Value);
            int n = seen.TryGetValue(slug, out int count) ? count : 0;
            seen[slug] = n + 1;
            anchors.Add(n == 0 ? slug : $"{slug}-{n}");
        }
        return anchors;
    }

    public static string Slug(string headingText)
    {
        string rendered = Regex.Replace(headingText, @"!?\[([^\]]*)\]\([^)]*\)", "$1").Replace("`", "").Replace("*", "");
        var slug = new StringBuilder();
        foreach (char c in rendered.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '_' or '-')
                slug.Append(c);
            else if (c == ' ')
                slug.Append('-');
        }
        return slug.ToString();
    }

    [Fact]
    public void Every_relative_link_points_to_a_file_that_exists_and_every_anchor_to_a_heading()
    {
        var problems = new List<string>();
        foreach (string document in Documents())
        {
            string folder = Path.GetDirectoryName(Repo.PathOf(document))!;
            foreach (var (line, target) in RelativeLinks(Repo.Read(document)))
            {
                int hash = target.IndexOf('#');
                string path = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
                string? anchor = hash < 0 ? null : Uri.UnescapeDataString(target[(hash + 1)..]);
                string full = path.Length == 0 ? Repo.PathOf(document) : Path.GetFullPath(Path.Combine(folder, path));

                if (!full.StartsWith(Repo.Root, StringComparison.Ordinal))
                    problems.Add($"{document}:{line}: {target} leaves the repository");
                else if (!File.Exists(full) && !Directory.Exists(full))
                    problems.Add($"{document}:{line}: {target} — no such file or folder ({Repo.Relative(full)})");
                else if (anchor is { Length: > 0 } && full.EndsWith(".md", StringComparison.OrdinalIgnoreCase) && File.Exists(full)
                    && !Anchors(File.ReadAllText(full)).Contains(anchor))
                    problems.Add($"{document}:{line}: {target} — {Repo.Relative(full)} has no heading with the anchor #{anchor}");
            }
        }
        Assert.True(problems.Count == 0, $"{problems.Count} broken links:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void Every_cs_file_named_in_docs_exists_in_the_repository()
    {
        var existing = Repo.Files(".", "*.cs").Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (string document in Documents().Where(d => d.StartsWith("docs/", StringComparison.Ordinal)))
        {
            foreach (var (line, text) in ProseLines(Repo.Read(document)))
            {
                foreach (Match m in CsFileName().Matches(text))
                {
                    if (!existing.Contains(m.Groups["name"].Value))
                        problems.Add($"{document}:{line}: {m.Groups["name"].Value} is no file of the repository");
                }
            }
        }
        Assert.True(problems.Count == 0, $"{problems.Count} missing files:\n" + string.Join("\n", problems));
    }

    // A stop of the reading path: | n | [`File.cs`](../path) … | lines | … |
    [GeneratedRegex(@"^\|\s*\d+\s*\|\s*\[`[^`]+`\]\((?<path>[^)]+)\)[^|]*\|\s*(?<lines>\d+)\s*\|")]
    private static partial Regex ReadingStop();

    /// <summary>
    /// docs/README.md gives the size of each stop of the reading path. Sizes drift as the code grows; they are checked
    /// loosely (within half, or 40 lines) so that the page says roughly the truth without failing at every edit.
    /// </summary>
    [Fact]
    public void The_reading_path_sizes_are_roughly_right()
    {
        var problems = new List<string>();
        int stops = 0;
        foreach (var (line, text) in ProseLines(Repo.Read("docs/README.md")))
        {
            Match m = ReadingStop().Match(text);
            if (!m.Success)
                continue;
            stops++;
            string full = Path.GetFullPath(Path.Combine(Repo.PathOf("docs"), m.Groups["path"].Value));
            if (!File.Exists(full))
                continue; // reported by the link test
            int stated = int.Parse(m.Groups["lines"].Value, System.Globalization.CultureInfo.InvariantCulture);
            int actual = File.ReadAllLines(full).Length;
            if (Math.Abs(stated - actual) > Math.Max(40, actual / 2))
                problems.Add($"docs/README.md:{line}: {Repo.Relative(full)} is said to have {stated} lines; it has {actual}");
        }
        Assert.True(stops >= 10, $"found only {stops} stops in the reading path table");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_link_finder_and_the_slugs_follow_GitHub()
    {
        Assert.Equal("step-1--accept-and-read-the-request-head-within-limits", Slug("Step 1 — accept, and read the request head within limits"));
        Assert.Equal("get-debugmemory-only-with---diagnostics-on", Slug("`GET /debug/memory` (only with `--diagnostics on`)"));
        Assert.Equal("permessage-deflate-rfc-7692", Slug("permessage-deflate (RFC 7692)"));
        Assert.Equal(["a", "a-1", "b"], Anchors("# A\n## A\n```\n# not a heading\n```\n### B").Order(StringComparer.Ordinal));

        string markdown = "See [`x.cs`](../x.cs#L3), ![i](images/a.png \"t\"), [web](https://example.com), [top](#a).\n"
            + "```\n[in code](nope.md)\n```\n<img src=\"b.png\">\n[ref]: other.md";
        Assert.Equal(["../x.cs#L3", "images/a.png", "#a", "b.png", "other.md"], RelativeLinks(markdown).Select(l => l.Target));
    }
}
