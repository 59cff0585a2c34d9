using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

namespace RawSocketChat.Bench.Micro;

/// <summary>
/// <c>micro [BenchmarkDotNet options]</c>: every suite in this folder, with allocations measured and two derived
/// columns, GB/s and M ops/s, so sizes can be compared at a glance.
/// <para>
/// Benchmarks run in this process (<c>--inProcess</c>) unless <c>--outOfProcess</c> is given: BenchmarkDotNet's default
/// is to generate and build a separate project next to the sources, which would write into the shared bin/obj folders.
/// </para>
/// </summary>
internal static class MicroCommand
{
    public static int Run(string[] args)
    {
        var list = args.ToList();
        if (!list.Remove("--outOfProcess") && !list.Contains("--inProcess") && !list.Contains("-i"))
            list.Add("--inProcess");
        // Without a filter BenchmarkSwitcher asks interactively; the command line should never block.
        if (!list.Contains("--filter") && !list.Contains("-f") && !list.Contains("--list"))
            list.AddRange(["--filter", "*"]);

        IConfig config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(new ThroughputColumn(), new OperationsPerSecondColumn())
            .WithOptions(ConfigOptions.DisableLogFile);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroCommand).Assembly).Run(list.ToArray(), config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
