using System.Reflection;
using System.Text.RegularExpressions;
using RawSocketChat.Http;

namespace RawSocketChat.Tests.Docs;

/// <summary>
/// Keeps docs/rfc6455-requirements.md true: every row's code and tests exist, the code cites each id exactly once, in
/// the member the row names, and a test carries <c>[Trait("Rfc", id)]</c> exactly when the row of that id lists it.
/// Each test lists every problem it finds, with the line of the document, so one run tells what to fix.
/// </summary>
public sealed partial class RequirementsMapTests
{
    private static readonly Lazy<RequirementsMap> s_map = new(RequirementsMap.Load);
    private static RequirementsMap Map => s_map.Value;

    private static readonly Assembly ServerAssembly = typeof(Handshake).Assembly;
    private static readonly Assembly TestAssembly = typeof(RequirementsMapTests).Assembly;
    private const string RfcTrait = "Rfc";

    private static void AssertNone(List<string> problems, string what) =>
        Assert.True(problems.Count == 0, $"{problems.Count} {what} in {RequirementsMap.DocumentPath}:\n" + string.Join("\n", problems));

    [Fact]
    public void Every_row_is_well_formed()
    {
        Assert.NotEmpty(Map.Rows);
        AssertNone(Map.Problems, "malformed rows");
    }

    [Fact]
    public void The_counts_at_the_top_are_the_counts_of_the_rows()
    {
        List<Requirement> rows = Map.Rows;
        var actual = new Dictionary<string, int>
        {
            ["requirements"] = rows.Count,
            ["enforced"] = rows.Count(r => r.Status == "enforced"),
            ["choices"] = rows.Count(r => r.Status == "choice"),
            ["deviations"] = rows.Count(r => r.Status == "deviation"),
            ["not ours"] = rows.Count(r => r.IsNotOurs),
            ["tested"] = rows.Count(r => r.Tests.Count > 0),
        };
        var problems = RequirementsMap.CountNames
            .Where(name => !Map.Counts.TryGetValue(name, out int stated) || stated != actual[name])
            .Select(name => $"{name}: the table says {(Map.Counts.TryGetValue(name, out int n) ? n : "nothing")}, the rows are {actual[name]}")
            .ToList();
        AssertNone(problems, "wrong counts (the row: " + string.Join(" | ", RequirementsMap.CountNames.Select(n => actual[n])) + ")");
    }

    /// <summary>The file exists, declares the type, the type has the member (reflection), and the member's text holds the id.</summary>
    [Fact]
    public void Every_where_names_an_existing_member_that_cites_the_id()
    {
        var problems = new List<string>();
        foreach (Requirement row in Map.Rows.Where(r => r.WhereFile is not null))
        {
            string file = row.WhereFile!;
            if (!file.StartsWith("RawSocketChat/", StringComparison.Ordinal) || !file.EndsWith(".cs", StringComparison.Ordinal)
                || !File.Exists(Repo.PathOf(file)))
            {
                problems.Add($"{row}: {file} is not a source file of RawSocketChat/");
                continue;
            }
            string text = Repo.Read(file);
            if (!Regex.IsMatch(text, @"\b(?:class|struct|record|interface|enum)\s+" + Regex.Escape(row.WhereType!) + @"\b"))
                problems.Add($"{row}: {file} declares no type {row.WhereType}");

            Type[] types = ServerAssembly.GetTypes().Where(t => t.Name == row.WhereType).ToArray();
            if (types.Length == 0)
                problems.Add($"{row}: the server has no type {row.WhereType}");
            else if (!types.Any(t => HasMember(t, row.WhereMember!)))
                problems.Add($"{row}: {row.WhereType} has no member {row.WhereMember}");

            if (!SourceText.MemberCites(text, row.WhereMember!, row.Id, out int declarations))
            {
                problems.Add(declarations == 0
                    ? $"{row}: no declaration of {row.WhereMember} found in {file}"
                    : $"{row}: {row.WhereType}.{row.WhereMember} in {file} does not cite [{row.Id}] (in its comments or body)");
            }
        }
        AssertNone(problems, "wrong places");
    }

    [Fact]
    public void Every_id_cited_in_the_code_has_a_row_naming_that_file_and_is_cited_once()
    {
        var problems = new List<string>();
        var citations = new Dictionary<string, List<string>>();
        foreach (string path in Repo.Files("RawSocketChat", "*.cs"))
        {
            string file = Repo.Relative(path);
            string[] lines = File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
            {
                foreach (Match m in RequirementsMap.CitedId().Matches(lines[i]))
                    (citations.TryGetValue(m.Groups[1].Value, out var at) ? at : citations[m.Groups[1].Value] = []).Add($"{file}:{i + 1}");
            }
        }

        var rows = Map.Rows.ToDictionary(r => r.Id);
        foreach (var (id, at) in citations.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (!rows.TryGetValue(id, out Requirement? row))
                problems.Add($"[{id}] is cited at {string.Join(", ", at)} but has no row");
            else if (at.Count > 1)
                problems.Add($"[{id}] is cited {at.Count} times ({string.Join(", ", at)}); each rule is cited in one place");
            else if (row.WhereFile is null)
                problems.Add($"[{id}] is cited at {at[0]}, but its row names no code (where is —)");
            else if (!at[0].StartsWith(row.WhereFile + ":", StringComparison.Ordinal))
                problems.Add($"[{id}] is cited at {at[0]}, but its row names {row.WhereFile}");
        }
        AssertNone(problems, "citations that do not match");
    }

    /// <summary>
    /// The rule, both ways: a test is listed in a row exactly when it carries <c>[Trait("Rfc", id)]</c> with the row's id.
    /// </summary>
    [Fact]
    public void Tests_listed_in_a_row_are_exactly_those_with_its_trait()
    {
        var problems = new List<string>();
        var rows = Map.Rows.ToDictionary(r => r.Id);

        var traitsOf = new Dictionary<MethodInfo, List<string>>();
        foreach (Type type in TestAssembly.GetTypes())
        {
            if (RfcTraits(type).Any())
                problems.Add($"{type.FullName} carries Rfc traits on the class; put them on the test methods");
            foreach (MethodInfo method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                List<string> ids = RfcTraits(method).ToList();
                if (ids.Count == 0)
                    continue;
                traitsOf[method] = ids;
                if (!IsTest(method))
                    problems.Add($"{Name(method)} carries Rfc traits but is not a test");
                foreach (string id in ids.Where(id => !rows.ContainsKey(id)))
                    problems.Add($"{Name(method)} carries Rfc trait {id}, which has no row");
                foreach (string id in ids.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key))
                    problems.Add($"{Name(method)} carries Rfc trait {id} twice");
            }
        }

        foreach (Requirement row in Map.Rows)
        {
            var listed = new HashSet<MethodInfo>();
            foreach (string test in row.Tests)
            {
                MethodInfo? method = FindTest(test, out string? problem);
                if (method is null)
                {
                    problems.Add($"{row}: {problem}");
                    continue;
                }
                listed.Add(method);
                if (!traitsOf.TryGetValue(method, out List<string>? ids) || !ids.Contains(row.Id))
                    problems.Add($"{row}: lists {test}, which lacks [Trait(\"Rfc\", \"{row.Id}\")]");
            }
            foreach (MethodInfo method in traitsOf.Where(t => t.Value.Contains(row.Id)).Select(t => t.Key).Where(m => !listed.Contains(m)))
                problems.Add($"{row}: {Name(method)} carries its trait but is not listed in the row");
        }
        AssertNone(problems, "mismatches between rows and traits");
    }

    [Fact]
    public void Every_MUST_that_is_ours_has_a_test()
    {
        var problems = Map.Rows.Where(r => r.IsMust && !r.IsNotOurs && r.Tests.Count == 0)
            .Select(r => $"{r}: a {r.Level} row ({r.Status}) lists no test").ToList();
        AssertNone(problems, "untested MUSTs");
    }

    [Fact]
    public void The_parser_reads_a_row_and_refuses_a_broken_one()
    {
        RequirementsMap map = RequirementsMap.Parse(string.Join('\n',
            "| requirements | enforced | choices | deviations | not ours | tested |",
            "| --- | --- | --- | --- | --- | --- |",
            "| 2 | 1 | 0 | 0 | 0 | 1 |",
            "| 6455-5.1-unmasked | MUST | §5.1: \"…\" | Fails. | enforced | `RawSocketChat/Protocol/WebSocketReceiver.cs` `WebSocketReceiver.CheckHeader` | `A.B`, `C.D` |",
            "| 6455-5.1-broken | MUST | a `Host` \\| b | x | enforced | — | — |"));

        Requirement row = map.Rows[0];
        Assert.Equal(("6455-5.1-unmasked", "MUST", "enforced"), (row.Id, row.Level, row.Status));
        Assert.Equal(("RawSocketChat/Protocol/WebSocketReceiver.cs", "WebSocketReceiver", "CheckHeader"), (row.WhereFile, row.WhereType, row.WhereMember));
        Assert.Equal(["A.B", "C.D"], row.Tests);
        Assert.Equal(2, map.Counts["requirements"]);
        Assert.Equal("a `Host` | b", map.Rows[1].Rfc);
        Assert.Contains(map.Problems, p => p.Contains("6455-5.1-broken") && p.Contains("enforced row names where"));
    }

    private static bool HasMember(Type type, string member)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
        return member == type.Name ? type.GetConstructors(all).Length > 0 : type.GetMember(member, all).Length > 0;
    }

    private static IEnumerable<string> RfcTraits(MemberInfo member) =>
        member.GetCustomAttributesData()
            .Where(a => a.AttributeType == typeof(TraitAttribute) && a.ConstructorArguments.Count == 2
                && (string?)a.ConstructorArguments[0].Value == RfcTrait)
            .Select(a => (string)a.ConstructorArguments[1].Value!);

    private static bool IsTest(MethodInfo method) =>
        method.GetCustomAttributes(inherit: true).Any(a => a is FactAttribute);

    private static string Name(MethodInfo method) => $"{method.DeclaringType!.FullName}.{method.Name}";

    /// <summary>
    /// <c>Class.Method</c>, or <c>Folder.Class.Method</c> when two test classes share a name: the class is found by
    /// the end of its full name, and must declare a test method of that name.
    /// </summary>
    private static MethodInfo? FindTest(string test, out string? problem)
    {
        int dot = test.LastIndexOf('.');
        string typePart = test[..dot], methodName = test[(dot + 1)..];
        var candidates = TestAssembly.GetTypes()
            .Where(t => ("." + t.FullName!.Replace('+', '.')).EndsWith("." + typePart, StringComparison.Ordinal))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => m.Name == methodName))
            .ToList();
        problem = candidates.Count switch
        {
            0 => $"no test {test}",
            > 1 => $"{test} is ambiguous: qualify it with its folder ({string.Join(", ", candidates.Select(Name))})",
            _ => IsTest(candidates[0]) ? null : $"{test} is not a [Fact], [Theory] or [Property]",
        };
        return problem is null ? candidates[0] : null;
    }
}
