using System.Text.Json;
using System.Text.Json.Serialization;

namespace RawSocketChat.Bench.Load;

/// <summary>One run of one workload: what was asked, and every number it produced (the <c>--json</c> output).</summary>
internal sealed class LoadResult
{
    public string Workload { get; set; } = "";
    public string? Target { get; set; }
    public string Url { get; set; } = "";
    public DateTime StartedUtc { get; set; }
    public int Connections { get; set; }
    public double DurationSeconds { get; set; }
    /// <summary>Numbers by name: msgs_per_s, p99_ms, missing, client_cpu_pct, bytes_per_conn …</summary>
    public SortedDictionary<string, double> Metrics { get; set; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, string> Notes { get; set; } = new(StringComparer.Ordinal);

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static LoadResult FromJson(string json) => JsonSerializer.Deserialize<LoadResult>(json, JsonOptions)
        ?? throw new InvalidDataException("empty load result");
}
