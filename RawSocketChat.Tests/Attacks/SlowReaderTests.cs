using System.Diagnostics;
using RawSocketChat.Tests.Support;
using Xunit.Abstractions;

namespace RawSocketChat.Tests.Attacks;

/// <summary>
/// A member of a busy room that never reads. Everything said in the room is queued for it; without a bound, the
/// server would keep all of it in memory. With <c>--max-send-buffer-bytes</c> it is dropped once its queue passes
/// the limit, and fan-out to everyone else never waits for it.
/// </summary>
[Collection(HeavyTests.Name)]
public sealed class SlowReaderTests(ITestOutputHelper output)
{
    private const int SendBufferLimit = 1024 * 1024;
    private const int Senders = 3;

    [SkippableFact]
    public async Task A_member_that_never_reads_is_dropped_at_its_send_buffer_limit_and_the_room_is_unaffected()
    {
        await using ServerProcess server = await ServerProcess.StartAsync([
            "--max-send-buffer-bytes", SendBufferLimit.ToString(),
            // The room is busy on purpose: rate limits are out of the way. The store is in memory, so the latencies
            // measured are the fan-out's, not the disk's fsyncs (the durability tests use real files).
            "--rate", "100000", "--burst", "100000", "--ip-rate", "100000", "--ip-burst", "100000", "--data", ":memory:"]);
        var members = new List<ChatLoadClient>();
        try
        {
            // The members read everything, but this test process shares two cores with the server (and, on a
            // developer machine, with whatever else runs): 32 MiB kernel receive buffers let them fall seconds behind
            // without looking like slow readers themselves.
            using HttpMessageInvoker bigBuffers = SourceAddress.Invoker(SourceAddress.Loopback(1), receiveBufferSize: 32 << 20);
            for (int i = 0; i < Senders; i++)
                members.Add(await ChatLoadClient.JoinAsync(server.WebSocketUri(), $"member{i}", window: 16, invoker: bigBuffers));

            // The slow reader: a 4 KiB receive buffer, so its kernel stops taking data early; it reads up to
            // `joined`, then never again.
            await using RawClient slow = await RawClient.ConnectAsync(server.EndPoint, receiveBufferSize: 4096);
            Assert.Equal(101, (await slow.HandshakeAsync(RawClient.UpgradeRequest("/chat"))).StatusCode);
            await slow.SendTextAsync("{\"type\":\"login\",\"name\":\"sloth\"}");
            await slow.SendTextAsync("{\"type\":\"join\",\"room\":\"lobby\"}");
            while (!(await slow.ReadDataFrameAsync()).Text.Contains("\"type\":\"joined\"", StringComparison.Ordinal)) { }

            await Task.Delay(500);
            ServerMemory before = await server.MemoryAsync();
            using var sampler = PeakSampler.Rss(server);
            using var heapSampler = PeakSampler.LiveHeap(server, before);
            var clock = Stopwatch.StartNew();

            // The room talks: ~2 KB messages, pipelined, until the slow reader has been dropped and a little after;
            // at most 30 s and 15,000 messages per sender.
            string filler = new('m', 1950);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            TimeSpan? droppedAt = null;
            Task watcher = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested && !server.LogText.Contains("send buffer limit exceeded", StringComparison.Ordinal))
                    await Task.Delay(50);
                droppedAt = clock.Elapsed;
                await Task.Delay(1000); // the room keeps talking after the drop
                stop.Cancel();
            });
            // Each sender at up to 300 messages/s: ~1.8 MB/s fanned out to every member.
            int[] sent = await Task.WhenAll(members.Select(m => m.SendUntilAsync("lobby", n => ($"{m.Name}-{n}", $"{m.Name} {n} {filler}"),
                stop.Token, max: 15_000, interval: TimeSpan.FromMilliseconds(1000.0 / 300))));
            await watcher;
            long rssPeak = sampler.Stop();
            long heapPeak = heapSampler.Stop();
            foreach (string line in server.LogText.Split('\n').Where(l => l.Contains(" close id=", StringComparison.Ordinal)))
                output.WriteLine("server: " + line.TrimEnd());
            Assert.All(members, m => Assert.False(m.IsClosed, $"{m.Name} was disconnected too ({m.CloseStatus} {m.CloseDescription})"));

            // Every member gets every acknowledged message, in the same order.
            await Transport.Eventually.TrueAsync(() => members.All(m => m.Acks.Count + m.Errors.Values.Sum() >= m.Sent.Count),
                "every message to be answered", TimeSpan.FromSeconds(20));
            int acked = members.Sum(m => m.Acks.Count);
            await Transport.Eventually.TrueAsync(() => members.All(m => m.Received.Count >= acked), "every member to receive every message",
                TimeSpan.FromSeconds(20));

            // The slow reader's connection is gone: what the kernel buffered, then the end.
            byte[] buffered = await slow.ReadUntilClosedAsync(TimeSpan.FromSeconds(20));
            ServerMemory after = await server.SettledMemoryAsync(open: Senders); // the slow reader closed and collectable

            List<double> latencies = members.SelectMany(m => m.OwnLatenciesMs).Order().ToList();
            long roomBytes = members[0].Received.Sum(r => (long)System.Text.Encoding.UTF8.GetByteCount(r.Text));
            output.WriteLine($"{Senders} senders: {sent.Sum()} messages sent, {acked} acknowledged in {clock.Elapsed.TotalSeconds:0.0} s " +
                $"({SlowlorisTests.Mib(roomBytes)} of text fanned out to each member); " +
                $"slow reader dropped after {droppedAt?.TotalSeconds:0.00} s, {buffered.Length / 1024} KiB had reached its socket");
            output.WriteLine($"members' own messages, send → broadcast: median {latencies[latencies.Count / 2]:0} ms, p99 {latencies[(int)(latencies.Count * 0.99)]:0} ms, max {latencies[^1]:0} ms");
            output.WriteLine($"server before: {before}; after: {after}; peaks: live heap {ServerMemory.Mib(heapPeak)}, RSS {ServerMemory.Mib(rssPeak)} (send buffer limit {ServerMemory.Mib(SendBufferLimit)})");

            Assert.True(droppedAt is not null && droppedAt < TimeSpan.FromSeconds(29), "the slow reader was never dropped");
            Assert.Matches("close id=\\d+ .*code=1008 reason=\"send buffer limit exceeded\"", server.LogText);
            Assert.All(members, m => Assert.Empty(m.Errors));
            string[] order = members[0].Received.Select(r => r.Id).ToArray();
            Assert.True(order.SequenceEqual(order.Order(StringComparer.Ordinal)), "ids arrive in ascending order");
            Assert.All(members, m => Assert.Equal(order, m.Received.Select(r => r.Id)));
            Assert.Equal(acked, order.Length);
            // Liveness, not a benchmark (this machine's cores are shared): nobody waits seconds for their own message.
            Assert.True(latencies[^1] < 3000, $"a member's message took {latencies[^1]:0} ms to come back");
            // The most the server held at once (live heap after a full collection, sampled; docs/security.md): the
            // slow reader's queue up to its limit, the members' batches in flight, and the send buffers' arrays the
            // shared pool keeps for reuse. Queueing for the slow reader without a limit would pass this within
            // seconds (the room sends it ~1.8 MB/s). The RSS peak is a loose bound: the in-memory store holds every
            // message in native memory, and the garbage the GC's budget lets pile up depends on the CPU.
            Assert.True(heapPeak - before.LiveHeapBytes < 16 * SendBufferLimit, $"the live heap peaked {ServerMemory.Mib(heapPeak - before.LiveHeapBytes)} above where it started");
            Assert.True(after.LiveHeapBytes - before.LiveHeapBytes < 16 * SendBufferLimit, $"the live heap grew by {ServerMemory.Mib(after.LiveHeapBytes - before.LiveHeapBytes)}");
            Assert.True(rssPeak - before.RssBytes < 256L << 20, $"the server's RSS grew by {ServerMemory.Mib(rssPeak - before.RssBytes)}");
            server.AssertHealthy();
        }
        finally
        {
            foreach (ChatLoadClient member in members)
                await member.DisposeAsync();
        }
    }
}
