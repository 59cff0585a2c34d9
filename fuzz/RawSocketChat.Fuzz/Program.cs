using SharpFuzz;

namespace RawSocketChat.Fuzz;

/// <summary>
/// <code>
///   dotnet RawSocketChat.Fuzz.dll TARGET                  under afl-fuzz (fuzz/run.sh); without AFL, runs stdin once
///   dotnet RawSocketChat.Fuzz.dll TARGET --replay PATH... every file (or every file in each directory), in process
///   dotnet RawSocketChat.Fuzz.dll --seeds DIR             (re)writes the seed corpora to DIR/TARGET/
///   dotnet RawSocketChat.Fuzz.dll --list                  the target names
/// </code>
/// </summary>
public static class Program
{
    /// <summary>afl-fuzz's default largest input (1 MB); replay reads no more either.</summary>
    private const int MaxInputBytes = 1 << 20;

    /// <summary>RAWSOCKETCHAT_FUZZ_VERBOSE=1: replay prints what each input did (the frames target: its events).</summary>
    public static bool Verbose { get; private set; } = Environment.GetEnvironmentVariable("RAWSOCKETCHAT_FUZZ_VERBOSE") == "1";

    public static readonly IFuzzTarget[] Targets = [new FramesTarget(), new HttpTarget(), new ChatTarget()];

    public static int Main(string[] args)
    {
        UseScratchTraceMap();
        if (args is ["--list"])
        {
            foreach (IFuzzTarget t in Targets) Console.WriteLine(t.Name);
            return 0;
        }
        if (args is ["--seeds", string dir])
        {
            Seeds.Write(dir);
            return 0;
        }

        IFuzzTarget? target = args.Length > 0 ? Targets.FirstOrDefault(t => t.Name == args[0]) : null;
        if (target is null)
        {
            Console.Error.WriteLine($"usage: RawSocketChat.Fuzz (TARGET [--replay PATH...] | --seeds DIR | --list); targets: {string.Join(", ", Targets.Select(t => t.Name))}");
            return 2;
        }
        if (args.Length > 1 && args[1] == "--replay")
            return Replay(target, args[2..]);
        if (args.Length > 1)
        {
            Console.Error.WriteLine($"unexpected argument '{args[1]}'");
            return 2;
        }

        WarmUp(target);
        // Out of process: a hang (afl-fuzz's -t) or a StackOverflow kills only the child, which SharpFuzz restarts.
        Fuzzer.OutOfProcess.Run(stream => target.Run(ReadAll(stream)));
        return 0;
    }

    /// <summary>
    /// The instrumented RawSocketChat.dll records every branch in <c>SharpFuzz.Common.Trace.SharedMem</c>, which is null
    /// until SharpFuzz attaches afl-fuzz's shared memory: point it at a private map so that the warm-up, the replay mode
    /// and a run without afl-fuzz work with the instrumented assembly too (and the warm-up's branches stay out of the
    /// map afl-fuzz reads).
    /// </summary>
    private static unsafe void UseScratchTraceMap()
    {
        if (SharpFuzz.Common.Trace.SharedMem == null)
            SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
    }

    /// <summary>
    /// Runs the target once on each of its seeds before measuring anything, so that one-time costs (static constructors,
    /// the first rent from ArrayPool on this thread, regex construction) are not charged to the first fuzzed input.
    /// </summary>
    private static void WarmUp(IFuzzTarget target)
    {
        bool verbose = Verbose;
        Verbose = false;
        Invariant.CheckAllocations = false;
        foreach (byte[] seed in Seeds.For(target.Name).Select(s => s.Bytes))
        {
            try { target.Run(seed); }
            catch (InvariantViolation) { } // reported when afl-fuzz runs the seed for real
        }
        Invariant.CheckAllocations = true;
        Verbose = verbose;
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var memory = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while (memory.Length < MaxInputBytes && (n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, MaxInputBytes - memory.Length))) > 0)
            memory.Write(buffer, 0, n);
        return memory.ToArray();
    }

    /// <summary>Skips afl-fuzz's README.txt and dot-files in findings directories.</summary>
    private static bool IsInput(string file)
    {
        string name = Path.GetFileName(file);
        return !name.StartsWith('.') && name != "README.txt";
    }

    private static int Replay(IFuzzTarget target, string[] paths)
    {
        if (paths.Length == 0)
        {
            Console.Error.WriteLine("--replay needs at least one file or directory");
            return 2;
        }
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
                files.AddRange(Directory.EnumerateFiles(path).Where(IsInput).Order(StringComparer.Ordinal));
            else if (File.Exists(path))
                files.Add(path);
            else
            {
                Console.Error.WriteLine($"no such file or directory: {path}");
                return 2;
            }
        }

        WarmUp(target);
        int failures = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (string file in files)
        {
            byte[] input = File.ReadAllBytes(file);
            if (input.Length > MaxInputBytes) input = input[..MaxInputBytes];
            try
            {
                if (Verbose)
                    Console.WriteLine(Path.GetFileName(file));
                target.Run(input);
            }
            catch (Exception e)
            {
                failures++;
                Console.WriteLine($"FAIL {file} ({input.Length} bytes)");
                Console.WriteLine($"  input (hex): {Hex.Of(input.AsSpan(0, Math.Min(input.Length, 4096)))}{(input.Length > 4096 ? "…" : "")}");
                Console.WriteLine("  " + e.ToString().Replace("\n", "\n  ", StringComparison.Ordinal));
            }
        }
        Console.WriteLine($"replay {target.Name}: {files.Count} inputs, {failures} failing, {clock.Elapsed.TotalSeconds:0.00}s");
        return failures == 0 ? 0 : 1;
    }
}
