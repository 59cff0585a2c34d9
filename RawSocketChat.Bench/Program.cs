using RawSocketChat.Bench;
using RawSocketChat.Bench.Compare;
using RawSocketChat.Bench.Load;
using RawSocketChat.Bench.Micro;
using RawSocketChat.Bench.Peers;
using RawSocketChat.Bench.Search;

// One executable, several commands. Everything after the command name belongs to that command.
//   micro    BenchmarkDotNet suites over the protocol core and the echo path (in-process)
//   load     the end-to-end load generator against a running server
//   peer     the in-box servers we compare against (Kestrel + WebSockets middleware, ManagedWebSocket over TcpListener)
//   compare  starts each server pinned to CPU 0, runs the load generator pinned to CPU 1, rounds A B C A B C ...
//   search   full-text search over a filled SQLite (or MongoDB) store, per query kind (in-process, no server)
//   deflate-memory  native memory one connection's compressor keeps, per window size (server_max_window_bits)
string command = args.Length > 0 ? args[0] : "help";
string[] rest = args.Length > 0 ? args[1..] : [];
try
{
    return command switch
    {
        "micro" => MicroCommand.Run(rest),
        "load" => await LoadCommand.RunAsync(rest),
        "peer" => await PeerCommand.RunAsync(rest),
        "compare" => await CompareCommand.RunAsync(rest),
        "search" => await SearchCommand.RunAsync(rest),
        "deflate-memory" => DeflateMemory(rest),
        _ => Usage(),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
{
    // A refused handshake, a server that went away: one line, not a stack trace.
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

// One window per process: memory freed by one measurement stays resident in malloc's arenas and would be reused,
// unseen, by the next.
static int DeflateMemory(string[] args)
{
    if (args.Length == 1 && int.TryParse(args[0], out int bits))
    {
        (long resident, long allocated) = DeflateBenchmarks.MemoryPerDeflater(bits);
        Console.WriteLine($"{bits}-bit window: {resident / 1024.0:0} KiB resident, {allocated / 1024.0:0} KiB allocated per connection's compressor (context takeover)");
        return 0;
    }
    foreach (int window in new[] { 15, 14, 12, 10, 9 })
    {
        using var child = System.Diagnostics.Process.Start(Environment.ProcessPath!, [Environment.GetCommandLineArgs()[0], "deflate-memory", window.ToString()]);
        child.WaitForExit();
    }
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("""
        RawSocketChat.Bench — benchmarks for the RawSocketChat WebSocket stack.

          micro   [BenchmarkDotNet options, e.g. --filter *Masking* --job short]
          load    <echo-latency|echo-throughput|broadcast|chat|idle> --url ws://127.0.0.1:8080/echo [options]
          peer    <kestrel|managed> --port N
          compare [--rounds 3 --duration 10 --workloads echo-latency,echo-throughput,...]
          search  [--messages 1000000 --rooms 50 --member-of 10 --queries 500 --data ./data/search-bench.db | --mongo URL]
          deflate-memory

        Run `load --help`, `compare --help` or `search --help` for the options. docs/benchmarks.md explains every benchmark.
        """);
    return 2;
}

namespace RawSocketChat.Bench
{
    /// <summary>A bad command line: reported as one line, exit code 2.</summary>
    internal sealed class UsageException(string message) : Exception(message);
}
