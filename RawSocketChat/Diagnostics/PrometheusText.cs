using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RawSocketChat.Diagnostics;

/// <summary>
/// Writes the Prometheus text exposition format, version 0.0.4: for each metric family a <c># HELP</c> line, a
/// <c># TYPE</c> line, then its samples, <c>name{label="value"} number</c>, one per line, each line ending in LF.
/// Counters are named <c>..._total</c>; a histogram is written as cumulative <c>_bucket{le="..."}</c> samples ending
/// with <c>le="+Inf"</c>, then <c>_sum</c> and <c>_count</c>. Names are checked, label values and help texts escaped
/// (backslash, double quote, line feed), numbers written with the invariant culture.
/// </summary>
public sealed partial class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$", RegexOptions.CultureInvariant)]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelName();

    private readonly StringBuilder _text = new(4096);
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);

    /// <summary>A counter without labels. The name must end in <c>_total</c>.</summary>
    public PrometheusText Counter(string name, string help, long value)
    {
        Family(name, help, "counter", counter: true);
        Sample(name, null, null, value);
        return this;
    }

    /// <summary>A counter with one label, one sample per value.</summary>
    public PrometheusText Counter(string name, string help, string label, IEnumerable<(string Value, long Count)> samples)
    {
        Family(name, help, "counter", counter: true);
        CheckLabel(label);
        foreach ((string value, long count) in samples)
            Sample(name, [(label, value)], null, count);
        return this;
    }

    public PrometheusText Gauge(string name, string help, double value)
    {
        Family(name, help, "gauge", counter: false);
        Sample(name, null, null, value);
        return this;
    }

    /// <summary>A histogram with one label, one series per value (see <see cref="LatencyHistogram.Snapshot"/>).</summary>
    public PrometheusText Histogram(string name, string help, string label, IEnumerable<(string Value, LatencyHistogram Histogram)> series)
    {
        Family(name, help, "histogram", counter: false);
        CheckLabel(label);
        foreach ((string value, LatencyHistogram histogram) in series)
        {
            (long[] cumulative, double sum) = histogram.Snapshot();
            IReadOnlyList<double> bounds = histogram.Bounds;
            for (int i = 0; i < cumulative.Length; i++)
                Sample(name + "_bucket", [(label, value)], ("le", i < bounds.Count ? Number(bounds[i]) : "+Inf"), cumulative[i]);
            Sample(name + "_sum", [(label, value)], null, sum);
            Sample(name + "_count", [(label, value)], null, cumulative[^1]);
        }
        return this;
    }

    public override string ToString() => _text.ToString();

    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(_text.ToString());

    private void Family(string name, string help, string type, bool counter)
    {
        if (!MetricName().IsMatch(name))
            throw new ArgumentException($"'{name}' is not a valid metric name", nameof(name));
        if (counter != name.EndsWith("_total", StringComparison.Ordinal))
            throw new ArgumentException($"'{name}': counters, and only counters, end in _total", nameof(name));
        if (!_families.Add(name))
            throw new InvalidOperationException($"metric '{name}' written twice");
        _text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    private static void CheckLabel(string label)
    {
        // "le" is the histogram's own label, and names starting with "__" are reserved.
        if (!LabelName().IsMatch(label) || label == "le" || label.StartsWith("__", StringComparison.Ordinal))
            throw new ArgumentException($"'{label}' is not a valid label name", nameof(label));
    }

    private void Sample(string name, (string Name, string Value)[]? labels, (string Name, string Value)? extra, double value) =>
        Sample(name, labels, extra, Number(value));

    private void Sample(string name, (string Name, string Value)[]? labels, (string Name, string Value)? extra, long value) =>
        Sample(name, labels, extra, value.ToString(CultureInfo.InvariantCulture));

    private void Sample(string name, (string Name, string Value)[]? labels, (string Name, string Value)? extra, string value)
    {
        _text.Append(name);
        if (labels is { Length: > 0 } || extra is not null)
        {
            _text.Append('{');
            bool first = true;
            foreach ((string label, string labelValue) in labels ?? [])
            {
                if (!first) _text.Append(',');
                _text.Append(label).Append("=\"").Append(EscapeLabelValue(labelValue)).Append('"');
                first = false;
            }
            if (extra is { } e)
            {
                if (!first) _text.Append(',');
                _text.Append(e.Name).Append("=\"").Append(e.Value).Append('"');
            }
            _text.Append('}');
        }
        _text.Append(' ').Append(value).Append('\n');
    }

    /// <summary>A sample value: Go's float formatting as Prometheus reads it, with NaN, +Inf and -Inf spelled so.</summary>
    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    public static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    public static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\").Replace("\n", "\\n");
}
