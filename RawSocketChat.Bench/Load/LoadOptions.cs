using System.Globalization;

namespace RawSocketChat.Bench.Load;

/// <summary>The command line of <c>load</c>; every workload reads what it needs and has its own defaults.</summary>
internal sealed class LoadOptions
{
    public static readonly string[] Workloads = ["echo-latency", "echo-throughput", "broadcast", "chat", "idle"];

    public string Workload { get; set; } = "";
    public Uri? Url { get; set; }
    public int? Connections { get; set; }
    public double Duration { get; set; } = 10;
    public double Warmup { get; set; } = 2;
    public int? Size { get; set; }
    public int? InFlight { get; set; }
    public double? Rate { get; set; }
    public int Rooms { get; set; } = 10;
    public bool Binary { get; set; }
    public int? SourceAddresses { get; set; }
    public int ConnectConcurrency { get; set; } = 32;
    public int? ServerPid { get; set; }
    public double Drain { get; set; } = 10;
    public bool Json { get; set; }
    public string? JsonFile { get; set; }
    public bool Quiet { get; set; }
    public string? Target { get; set; }

    public const string Help = """
        load <workload> [options]

        Workloads (defaults in brackets):
          echo-latency     N connections each send one message and wait for the echo  [100 conns, 32 B, /echo]
          echo-throughput  N connections × K messages in flight                       [50 conns, 16 in flight, 128 B]
          broadcast        S subscribers in one room, 1 publisher                      [1000 subs, --rate 0 = max, /chat]
          chat             N users in R rooms, each sending at a rate, acks + deliveries [1000 users, 10 rooms, 1 msg/s each]
          idle             N idle connections; server bytes per connection from /proc RSS [10000 conns, /echo]

        Options:
          --url ws://127.0.0.1:8080/echo   server (path defaults to /echo, or /chat for broadcast and chat)
          --connections N                  connections (subscribers for broadcast, users for chat)
          --duration S [10] --warmup S [2] measured seconds, after a warm-up that is not recorded
          --size BYTES                     message payload (text) size
          --inflight K                     echo-throughput pipeline depth [16]; broadcast max-rate window of unacked sends [256]
          --rate R                         broadcast: publisher messages/s (0 = max); chat: messages/s per user
          --rooms R [10]                   chat rooms
          --binary                         echo binary instead of text messages
          --source-addresses K             spread connections over 127.0.0.1 … 127.0.0.K (idle: one per 25,000)
          --connect-concurrency C [32]     handshakes in progress at once
          --server-pid PID                 for server CPU and RSS (found from the listening port when omitted)
          --drain S [10]                   broadcast/chat: wait this long at most for late deliveries; the rest are "missing"
          --json [FILE]                    print the result as JSON (to FILE, or stdout with the summary on stderr)
          --quiet                          no progress line
        """;

    public static LoadOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
            throw new UsageException("load needs a workload\n\n" + Help);
        var options = new LoadOptions { Workload = args[0] };
        if (!Workloads.Contains(options.Workload))
            throw new UsageException($"unknown workload '{args[0]}' (one of {string.Join(", ", Workloads)})");

        for (int i = 1; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{name} needs a value");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            double Double() => double.Parse(Value(), CultureInfo.InvariantCulture);
            switch (name)
            {
                case "--url": options.Url = new Uri(Value()); break;
                case "--connections": options.Connections = Int(); break;
                case "--duration": options.Duration = Double(); break;
                case "--warmup": options.Warmup = Double(); break;
                case "--size": options.Size = Int(); break;
                case "--inflight": options.InFlight = Int(); break;
                case "--rate": options.Rate = Double(); break;
                case "--rooms": options.Rooms = Int(); break;
                case "--binary": options.Binary = true; break;
                case "--source-addresses": options.SourceAddresses = Int(); break;
                case "--connect-concurrency": options.ConnectConcurrency = Int(); break;
                case "--server-pid": options.ServerPid = Int(); break;
                case "--drain": options.Drain = Double(); break;
                case "--quiet": options.Quiet = true; break;
                case "--target": options.Target = Value(); break;
                case "--json":
                    options.Json = true;
                    if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                        options.JsonFile = args[++i];
                    break;
                case "--help": throw new UsageException(Help);
                default: throw new UsageException($"unknown load option '{name}' (see load --help)");
            }
        }

        string defaultPath = options.Workload is "broadcast" or "chat" ? "/chat" : "/echo";
        options.Url ??= new Uri("ws://127.0.0.1:8080" + defaultPath);
        if (options.Url.AbsolutePath == "/")
            options.Url = new Uri(options.Url, defaultPath);
        if (!System.Net.IPAddress.TryParse(options.Url.Host, out var address) || !System.Net.IPAddress.IsLoopback(address))
        {
            if (options.Url.Host != "localhost")
                throw new UsageException("the load generator only targets loopback addresses (127.0.0.0/8, ::1, localhost)");
        }
        if (options.Duration <= 0 || options.Duration > 3600 || options.Warmup < 0 || options.Warmup > 600)
            throw new UsageException("--duration must be in (0, 3600] and --warmup in [0, 600]");
        return options;
    }
}
