using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;
using RawSocketChat.Tests.Transport;
using Xunit.Abstractions;

namespace RawSocketChat.Tests.Attacks;

/// <summary>
/// Slowloris: many connections that start a request head and never finish it, each one keeping a socket (and
/// whatever the server allots to it) busy. The defence is a deadline for the whole opening handshake, counted from
/// the accept — not a timeout per read, which a client sending a byte now and then never trips.
/// </summary>
[Collection(HeavyTests.Name)]
public sealed class SlowlorisTests(ITestOutputHelper output)
{
    private const int SlowClients = 500;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(3);
    // Faster than the deadline on purpose: a per-read idle timeout would never fire, only a total deadline does.
    private static readonly TimeSpan TrickleInterval = TimeSpan.FromSeconds(1);

    [SkippableFact]
    public async Task Trickling_handshakes_are_dropped_at_the_handshake_timeout_while_a_normal_client_is_served()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(["--handshake-timeout", "3s"]);
        await WarmUpAsync(server);
        ServerMemory before = await server.MemoryAsync();
        using var attackLimit = new CancellationTokenSource(TimeSpan.FromSeconds(40));

        // 500 connections from one address. The per-IP cap (20) does not stop them: it counts upgraded
        // connections, and these never get that far; the deadline is what must get rid of them.
        var slow = new List<(Socket Socket, Task<SlowResult> Result)>();
        byte[] head = Encoding.ASCII.GetBytes(RawClient.UpgradeRequest("/echo"));
        for (int batch = 0; batch < SlowClients / 50; batch++)
        {
            Socket[] sockets = await Task.WhenAll(Enumerable.Range(0, 50)
                .Select(_ => SourceAddress.ConnectAsync(SourceAddress.Loopback(1), server.EndPoint, attackLimit.Token)));
            foreach (Socket socket in sockets)
                slow.Add((socket, TrickleAsync(socket, head, attackLimit.Token)));
        }
        ServerMemory underAttack = await server.MemoryAsync();
        int fdsUnderAttack = server.OpenFileDescriptors;

        // Meanwhile an ordinary client: handshake and one echo, a few times over the attack.
        var probes = new List<TimeSpan>();
        for (int i = 0; i < 5; i++)
        {
            probes.Add(await HandshakeAndEchoAsync(server, $"probe {i}"));
            await Task.Delay(300);
        }

        SlowResult[] results = await Task.WhenAll(slow.Select(s => s.Result));
        foreach ((Socket socket, _) in slow)
            socket.Dispose();
        await Task.Delay(1000); // let the server finish its lingering closes
        ServerMemory after = await server.MemoryAsync();

        TimeSpan earliest = results.Min(r => r.Elapsed), latest = results.Max(r => r.Elapsed);
        output.WriteLine($"{SlowClients} slow clients: dropped after {earliest.TotalSeconds:0.00}–{latest.TotalSeconds:0.00} s " +
            $"(handshake timeout {HandshakeTimeout.TotalSeconds} s), {results.Sum(r => r.BytesSent)} bytes trickled in all");
        output.WriteLine($"normal client handshake + echo during the attack: {string.Join(", ", probes.Select(p => $"{p.TotalMilliseconds:0} ms"))}");
        output.WriteLine($"server before: {before}; with {SlowClients} slow sockets ({fdsUnderAttack} fds): {underAttack}; after: {after}");

        Assert.All(results, r => Assert.True(r.ClosedByServer, $"a slow client was not dropped within the attack limit ({r.Elapsed.TotalSeconds:0.0} s)"));
        Assert.All(results, r => Assert.True(r.BytesReceived == 0, "a slow client got a response instead of a silent drop"));
        // Dropped at the deadline: not before it (the clock starts at the accept, after the client's connect
        // returned), and not long after it even on a loaded machine.
        Assert.True(earliest >= HandshakeTimeout - TimeSpan.FromMilliseconds(500), $"a slow client was dropped after only {earliest.TotalSeconds:0.00} s");
        Assert.True(latest <= HandshakeTimeout + TimeSpan.FromSeconds(5), $"a slow client was dropped only after {latest.TotalSeconds:0.00} s");
        Assert.True(server.CountLog("reason=\"handshake timeout\" action=drop") >= SlowClients, "each drop is logged as a handshake timeout");
        // Liveness, not a benchmark: the ordinary client is served while the slow sockets are open.
        Assert.All(probes, p => Assert.True(p < TimeSpan.FromSeconds(2), $"handshake + echo took {p.TotalMilliseconds:0} ms during the attack"));
        // What a pending handshake costs the server, live after a full collection (docs/security.md): its socket and
        // the pipe holding its partial head. 16 KiB each would be 7.8 MiB (reserving --max-header-bytes for each
        // up front is 8 KiB); once they are dropped, nothing of them is kept.
        long perSocket = (underAttack.LiveHeapBytes - before.LiveHeapBytes) / SlowClients;
        output.WriteLine($"live heap per pending handshake: {perSocket / 1024.0:0.0} KiB");
        Assert.True(perSocket < 16 * 1024, $"each slow socket costs the server {perSocket / 1024.0:0.0} KiB of live heap");
        Assert.True(after.LiveHeapBytes - before.LiveHeapBytes < 1L << 20, $"the dropped slow sockets left {Mib(after.LiveHeapBytes - before.LiveHeapBytes)} behind");
        Assert.True(underAttack.RssBytes - before.RssBytes < 128L << 20, $"{SlowClients} slow sockets grew the server's RSS by {Mib(underAttack.RssBytes - before.RssBytes)}");
        await Eventually.TrueAsync(() => server.OpenFileDescriptors < fdsUnderAttack - SlowClients / 2, "the slow sockets to be closed by the server");
        server.AssertHealthy();
    }

    private sealed record SlowResult(bool ClosedByServer, TimeSpan Elapsed, int BytesSent, int BytesReceived);

    /// <summary>Sends the request head one byte per interval, until the server closes the connection.</summary>
    private static async Task<SlowResult> TrickleAsync(Socket socket, byte[] head, CancellationToken limit)
    {
        var clock = Stopwatch.StartNew();
        byte[] buffer = new byte[256];
        Task<int> read = socket.ReceiveAsync(buffer, SocketFlags.None, limit).AsTask();
        int sent = 0;
        // Stop before the blank line that would complete the head: this client must never finish.
        while (!read.IsCompleted && sent < head.Length - 2 && !limit.IsCancellationRequested)
        {
            try
            {
                await socket.SendAsync(head.AsMemory(sent, 1), SocketFlags.None, limit);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                break;
            }
            sent++;
            await Task.WhenAny(read, Task.Delay(TrickleInterval, limit));
        }

        int received;
        try
        {
            received = await read;
        }
        catch (SocketException)
        {
            received = 0; // reset: dropped all the same
        }
        catch (OperationCanceledException)
        {
            return new SlowResult(false, clock.Elapsed, sent, 0);
        }
        return new SlowResult(true, clock.Elapsed, sent, received);
    }

    private static async Task<TimeSpan> HandshakeAndEchoAsync(ServerProcess server, string text)
    {
        var clock = Stopwatch.StartNew();
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        HttpHead response = await client.HandshakeAsync(RawClient.UpgradeRequest("/echo"));
        Assert.Equal(101, response.StatusCode);
        await client.SendTextAsync(text);
        Assert.Equal(text, (await client.ReadDataFrameAsync()).Text);
        TimeSpan elapsed = clock.Elapsed;
        await client.SendCloseAsync(CloseCode.NormalClosure);
        return elapsed;
    }

    /// <summary>A few connections first, so the baseline includes the JIT-compiled paths and pools.</summary>
    internal static async Task WarmUpAsync(ServerProcess server)
    {
        for (int i = 0; i < 20; i++)
            await HandshakeAndEchoAsync(server, "warm-up");
        await Task.Delay(500);
    }

    internal static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):0.0} MiB";
}
