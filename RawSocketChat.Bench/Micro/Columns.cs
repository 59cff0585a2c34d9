using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace RawSocketChat.Bench.Micro;

/// <summary>A benchmark parameter that knows how many payload bytes one operation processes.</summary>
public interface IPayloadSize
{
    long PayloadBytes { get; }
}

/// <summary>
/// Payload bytes per nanosecond, i.e. GB/s (10^9 bytes per second), from the mean time of one operation. The byte
/// count is a parameter named <c>Size</c> or any parameter value implementing <see cref="IPayloadSize"/>.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Payload bytes processed per second, in 10^9 bytes (mean)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        long? bytes = PayloadBytes(benchmarkCase);
        if (meanNs is not > 0 || bytes is null)
            return "-";
        return (bytes.Value / meanNs.Value).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static long? PayloadBytes(BenchmarkCase benchmarkCase)
    {
        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            if (parameter.Value is IPayloadSize sized)
                return sized.PayloadBytes;
            if (parameter.Name == "Size" && parameter.Value is int size)
                return size;
        }
        return null;
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => PayloadBytes(c) is not null);
}

/// <summary>Operations (messages, frames) per second in millions, from the mean time of one operation.</summary>
public sealed class OperationsPerSecondColumn : IColumn
{
    public string Id => nameof(OperationsPerSecondColumn);
    public string ColumnName => "Mops/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 1;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Millions of operations (frames, messages, validations) per second (mean)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return meanNs is > 0 ? (1000.0 / meanNs.Value).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) : "-";
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
}
