using System.Net;
using System.Runtime.InteropServices;

namespace RawSocketChat.Bench.Peers;

/// <summary>
/// <c>peer kestrel|managed --port N [--host 127.0.0.1]</c>: runs one in-box peer until SIGINT/SIGTERM. Both serve
/// <c>/echo</c> (every message back) and <c>/chat</c> (the login/join/send subset of rawsocketchat.v1, one room
/// broadcast, no storage), so every load workload runs unchanged against them.
/// </summary>
internal static class PeerCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("kestrel" or "managed"))
            throw new UsageException("peer needs 'kestrel' or 'managed'");
        string kind = args[0];
        int port = 8090;
        var host = IPAddress.Loopback;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--port" when i + 1 < args.Length: port = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--host" when i + 1 < args.Length: host = IPAddress.Parse(args[++i]); break;
                default: throw new UsageException($"unknown peer option '{args[i]}'");
            }
        }

        await using IPeerServer server = kind == "kestrel"
            ? await KestrelPeer.StartAsync(host, port)
            : ManagedPeer.Start(host, port);
        Console.WriteLine($"{kind} peer listening on ws://{host}:{server.Port}/echo and /chat");

        var stop = new TaskCompletionSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        await stop.Task;
        return 0;
    }
}
