using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RawSocketChat.Tests.Monitoring;

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4, written from the format's description (not from
/// our writer): it fails the test on anything a Prometheus server would reject or misread, and returns the samples
/// by series (<c>name{label="value",...}</c>, labels sorted) so tests can compare numbers.
/// </summary>
internal static partial class PrometheusParser
{
    public sealed record Scrape(IReadOnlyDictionary<string, double> Samples, IReadOnlyDictionary<string, string> Types)
    {
        public double this[string series] =>
            Samples.TryGetValue(series, out double value) ? value : throw new KeyNotFoundException($"no series {series}; have: {string.Join(", ", Samples.Keys)}");
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    public static Scrape Parse(string text)
    {
        Assert.True(text.Length > 0 && text.EndsWith('\n'), "the exposition ends with a line feed");
        Assert.DoesNotContain('\r', text);
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var helps = new HashSet<string>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal); // families whose samples are over
        string? current = null;

        foreach (string line in text[..^1].Split('\n'))
        {
            if (line.StartsWith('#'))
            {
                string[] parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[1] is "HELP" or "TYPE")
                {
                    string name = parts[2];
                    Assert.Matches(MetricName(), name);
                    if (parts[1] == "HELP")
                    {
                        Assert.True(helps.Add(name), $"second HELP for {name}");
                        Assert.True(parts.Length == 4 && parts[3].Length > 0, $"HELP for {name} has a text");
                    }
                    else
                    {
                        Assert.True(parts.Length == 4 && parts[3] is "counter" or "gauge" or "histogram" or "summary" or "untyped", $"bad TYPE line: {line}");
                        Assert.True(types.TryAdd(name, parts[3]), $"second TYPE for {name}");
                        Assert.False(finished.Contains(name) || samples.Keys.Any(k => FamilyOf(Name(k), types) == name), $"TYPE for {name} after its samples");
                    }
                }
                continue;
            }
            Assert.False(string.IsNullOrWhiteSpace(line), "no blank lines");

            (string series, string sampleName, Dictionary<string, string> labels, double value) = ParseSample(line);
            string family = FamilyOf(sampleName, types);
            if (family != current)
            {
                if (current is not null)
                    finished.Add(current);
                Assert.False(finished.Contains(family), $"samples of {family} are not together");
                current = family;
            }
            Assert.True(samples.TryAdd(series, value), $"series {series} twice");
            if (types.GetValueOrDefault(family) == "counter")
            {
                Assert.EndsWith("_total", family);
                Assert.True(value >= 0 && !double.IsNaN(value), $"counter {series} is {value}");
            }
            if (types.GetValueOrDefault(family) == "histogram")
                Assert.True(sampleName.EndsWith("_bucket") == labels.ContainsKey("le"), $"only buckets have 'le': {line}");
        }

        foreach ((string family, string type) in types.Where(t => t.Value == "histogram"))
            CheckHistogram(family, samples);
        return new Scrape(samples, types);
    }

    /// <summary>Buckets per series: cumulative, ending with +Inf, which equals _count.</summary>
    private static void CheckHistogram(string family, Dictionary<string, double> samples)
    {
        var buckets = samples.Where(s => Name(s.Key) == family + "_bucket")
            .GroupBy(s => Regex.Replace(s.Key[(family.Length + "_bucket".Length)..], "le=\"[^\"]*\",?", "").Replace(",}", "}").Replace("{}", ""));
        Assert.NotEmpty(buckets);
        foreach (var series in buckets)
        {
            var ordered = series.Select(s => (Le: ParseValue(Regex.Match(s.Key, "le=\"([^\"]*)\"").Groups[1].Value), Count: s.Value)).OrderBy(b => b.Le).ToList();
            Assert.Equal(double.PositiveInfinity, ordered[^1].Le);
            for (int i = 1; i < ordered.Count; i++)
                Assert.True(ordered[i].Count >= ordered[i - 1].Count, $"{family}{series.Key} buckets are not cumulative");
            Assert.Equal(ordered[^1].Count, samples[family + "_count" + series.Key]);
            Assert.True(samples.ContainsKey(family + "_sum" + series.Key), $"{family}_sum{series.Key} missing");
        }
    }

    private static string Name(string series) => series.IndexOf('{') is var i and >= 0 ? series[..i] : series;

    private static string FamilyOf(string sampleName, Dictionary<string, string> types)
    {
        foreach (string suffix in new[] { "_bucket", "_sum", "_count" })
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal) && types.GetValueOrDefault(sampleName[..^suffix.Length]) is "histogram" or "summary")
                return sampleName[..^suffix.Length];
        return sampleName;
    }

    private static (string Series, string Name, Dictionary<string, string> Labels, double Value) ParseSample(string line)
    {
        int i = 0;
        while (i < line.Length && line[i] is not ('{' or ' '))
            i++;
        string name = line[..i];
        Assert.Matches(MetricName(), name);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                int eq = line.IndexOf('=', i);
                string label = line[i..eq];
                Assert.Matches(LabelName(), label);
                Assert.Equal('"', line[eq + 1]);
                var value = new StringBuilder();
                int j = eq + 2;
                for (; line[j] != '"'; j++)
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        value.Append(line[j] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new Xunit.Sdk.XunitException($"bad escape in {line}"),
                        });
                    }
                    else
                    {
                        value.Append(line[j]);
                    }
                }
                Assert.True(labels.TryAdd(label, value.ToString()), $"label {label} twice in {line}");
                i = j + 1;
                if (line[i] == ',')
                    i++;
            }
            i++;
        }
        Assert.Equal(' ', line[i]);
        string[] rest = line[(i + 1)..].Split(' ');
        Assert.InRange(rest.Length, 1, 2); // value, optional timestamp
        string series = name + (labels.Count == 0 ? "" : "{" + string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}=\"{l.Value}\"")) + "}");
        return (series, name, labels, ParseValue(rest[0]));
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
