using System.Text.RegularExpressions;

namespace RawSocketChat.Tests.Docs;

/// <summary>One row of docs/rfc6455-requirements.md.</summary>
internal sealed record Requirement(
    string Id, string Level, string Rfc, string Server, string Status,
    string? WhereFile, string? WhereType, string? WhereMember, IReadOnlyList<string> Tests, int LineNumber)
{
    public bool IsNotOurs => Status == RequirementsMap.NotOurs;
    public bool IsMust => Level is "MUST" or "MUST NOT";
    public override string ToString() => $"{Id} (line {LineNumber})";
}

/// <summary>
/// Reads docs/rfc6455-requirements.md: every table row whose first cell is an id, with fixed columns
/// <c>id | level | RFC says | the server | status | where | tests</c>, and the counts table at the top.
/// Problems of form are collected, not thrown, so that one test run lists all of them.
/// </summary>
internal sealed partial class RequirementsMap
{
    public const string DocumentPath = "docs/rfc6455-requirements.md";
    public const string NotOurs = "not ours";
    public const string None = "—";

    public static readonly string[] Levels = ["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"];
    public static readonly string[] Statuses = ["enforced", "choice", "deviation", NotOurs];
    public static readonly string[] CountNames = ["requirements", "enforced", "choices", "deviations", "not ours", "tested"];

    [GeneratedRegex(@"^(6455|7692)-[0-9]+(\.[0-9]+)*-[a-z0-9]+(-[a-z0-9]+)*$")]
    public static partial Regex IdPattern();

    /// <summary>An id as the code and the traits cite it: <c>[6455-5.1-unmasked]</c>.</summary>
    [GeneratedRegex(@"\[((?:6455|7692)-[0-9]+(?:\.[0-9]+)*-[a-z0-9]+(?:-[a-z0-9]+)*)\]")]
    public static partial Regex CitedId();

    [GeneratedRegex(@"^`(?<file>[^`]+)`\s+`(?<type>[A-Za-z_]\w*)\.(?<member>[A-Za-z_]\w*)`$")]
    private static partial Regex WherePattern();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"(?<!\\)\|")]
    private static partial Regex CellSeparator();

    public List<Requirement> Rows { get; } = [];
    public List<string> Problems { get; } = [];
    /// <summary>The counts table at the top, by column name; empty when it is missing.</summary>
    public Dictionary<string, int> Counts { get; } = [];

    public static RequirementsMap Load() => Parse(Repo.Read(DocumentPath));

    public static RequirementsMap Parse(string markdown)
    {
        var map = new RequirementsMap();
        string[] lines = markdown.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (!line.StartsWith('|'))
                continue;
            string[] cells = Cells(line);
            if (cells.SequenceEqual(CountNames) && i + 2 < lines.Length)
            {
                map.ReadCounts(Cells(lines[i + 2].TrimEnd('\r')), i + 3);
                continue;
            }
            if (cells.Length == 0 || !IdPattern().IsMatch(cells[0]))
            {
                // A row that looks as if it meant to be a requirement, but whose id does not parse.
                if (cells.Length > 0 && (cells[0].StartsWith("6455", StringComparison.Ordinal) || cells[0].StartsWith("7692", StringComparison.Ordinal)))
                    map.Problems.Add($"line {i + 1}: '{cells[0]}' is not an id of the form 6455-5.1-some-words");
                continue;
            }
            map.ReadRow(cells, i + 1);
        }
        if (map.Counts.Count == 0)
            map.Problems.Add($"no counts table (| {string.Join(" | ", CountNames)} |) in {DocumentPath}");
        return map;
    }

    private static string[] Cells(string line)
    {
        string inner = line.Trim();
        if (inner.StartsWith('|')) inner = inner[1..];
        if (inner.EndsWith('|') && !inner.EndsWith("\\|", StringComparison.Ordinal)) inner = inner[..^1];
        return CellSeparator().Split(inner).Select(c => c.Trim().Replace("\\|", "|")).ToArray();
    }

    private void ReadCounts(string[] cells, int lineNumber)
    {
        if (cells.Length != CountNames.Length)
        {
            Problems.Add($"line {lineNumber}: the counts row has {cells.Length} cells, not {CountNames.Length}");
            return;
        }
        for (int c = 0; c < cells.Length; c++)
        {
            if (int.TryParse(cells[c].Trim('*'), out int n))
                Counts[CountNames[c]] = n;
            else
                Problems.Add($"line {lineNumber}: count '{cells[c]}' of {CountNames[c]} is not a number");
        }
    }

    private void ReadRow(string[] cells, int lineNumber)
    {
        string where = $"line {lineNumber} ({cells[0]})";
        if (cells.Length != 7)
        {
            Problems.Add($"{where}: {cells.Length} cells, not 7 (id | level | RFC says | the server | status | where | tests); a '|' in a cell must be written '\\|'");
            return;
        }
        var (id, level, rfc, server, status, whereCell, testsCell) = (cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6]);
        if (!Levels.Contains(level))
            Problems.Add($"{where}: level '{level}' is none of {string.Join(", ", Levels)}");
        if (!Statuses.Contains(status))
            Problems.Add($"{where}: status '{status}' is none of {string.Join(", ", Statuses)}");
        if (rfc.Length == 0 || server.Length == 0)
            Problems.Add($"{where}: the RFC text and what the server does may not be empty");

        string? file = null, type = null, member = null;
        if (whereCell != None)
        {
            Match m = WherePattern().Match(whereCell);
            if (m.Success)
                (file, type, member) = (m.Groups["file"].Value, m.Groups["type"].Value, m.Groups["member"].Value);
            else
                Problems.Add($"{where}: where '{whereCell}' is neither — nor `path/File.cs` `Type.Member`");
        }

        var tests = new List<string>();
        if (testsCell != None)
        {
            tests.AddRange(CodeSpan().Matches(testsCell).Select(m => m.Groups[1].Value));
            string rest = CodeSpan().Replace(testsCell, "");
            if (tests.Count == 0 || rest.Any(ch => ch != ',' && !char.IsWhiteSpace(ch)))
                Problems.Add($"{where}: tests '{testsCell}' are not — nor a comma-separated list of `Class.Method`");
            foreach (string test in tests.Where(t => !t.Contains('.')))
                Problems.Add($"{where}: test '{test}' is not Class.Method");
        }

        if (status == NotOurs && (file is not null || tests.Count > 0))
            Problems.Add($"{where}: a 'not ours' row names no code and no test (— in both columns)");
        if (status == "enforced" && whereCell == None)
            Problems.Add($"{where}: an enforced row names where (`path/File.cs` `Type.Member`)");

        if (Rows.Any(r => r.Id == id))
            Problems.Add($"{where}: id {id} appears twice");
        Rows.Add(new Requirement(id, level, rfc, server, status, file, type, member, tests, lineNumber));
    }
}
