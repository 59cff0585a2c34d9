using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;
using Xunit.Abstractions;

namespace RawSocketChat.Tests.Attacks;

/// <summary>
/// One client sends chat messages as fast as its socket takes them, and keeps going after it is told to stop. It is
/// answered <c>rate_limited</c>, then closed with 1008, then dropped when it ignores the Close; meanwhile another
/// client in the same room (from another address, so with its own per-IP budget) chats as usual.
/// </summary>
[Collection(HeavyTests.Name)]
public sealed class MessageFloodTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task A_flooder_is_rate_limited_then_closed_with_1008_while_another_member_is_served()
    {
        // Default rate limits (5/s, bursts of 10; 20/s per address); a short close timeout keeps the test short; an
        // in-memory store, so the victim's round trips measure the server, not the disk's fsyncs.
        await using ServerProcess server = await ServerProcess.StartAsync(["--close-timeout", "2s", "--data", ":memory:"]);
        await using ChatClient victim = await ChatClient.GuestAsync(server.WebSocketUri(), "victim");
        await victim.JoinAsync("lobby");
        ServerMemory before = await server.MemoryAsync();
        using var sampler = PeakSampler.Rss(server);
        using var heapSampler = PeakSampler.LiveHeap(server, before);

        Task<FloodReport> flood = Task.Run(() => FloodAsync(server.EndPoint, SourceAddress.Loopback(2)));

        // The victim says something every 250 ms (under its own limit) for as long as the flood lasts, and a bit after.
        var roundTrips = new List<TimeSpan>();
        for (int i = 0; i < 40 && (i < 8 || !flood.IsCompleted); i++)
        {
            var clock = Stopwatch.StartNew();
            JsonElement ack = await victim.SayAsync("lobby", $"victim {i}");
            Assert.True(ChatClient.Type(ack) == "ack", $"the victim's message {i} was refused: {ack.GetRawText()}");
            string id = ack.GetProperty("id").GetString()!;
            await victim.ReceiveAsync(m => ChatClient.Type(m) == "message" && m.GetProperty("id").GetString() == id);
            roundTrips.Add(clock.Elapsed);
            await Task.Delay(250);
        }
        FloodReport report = await flood;
        long rssPeak = sampler.Stop();
        long heapPeak = heapSampler.Stop();

        output.WriteLine($"flooder: {report.MessagesWritten} messages written in {report.WriteTime.TotalSeconds:0.00} s " +
            $"({report.MessagesWritten / Math.Max(0.001, report.WriteTime.TotalSeconds):0} msg/s); replies: {report.Acks} ack, {report.RateLimited} rate_limited; " +
            $"Close {report.CloseCode} \"{report.CloseReason}\" after {report.CloseAt?.TotalMilliseconds:0} ms; TCP dropped after {report.TcpEndAt?.TotalMilliseconds:0} ms");
        output.WriteLine($"victim send → own message: {roundTrips.Count} round trips, median {Median(roundTrips):0} ms, max {roundTrips.Max().TotalMilliseconds:0} ms");
        ServerMemory after = await server.SettledMemoryAsync(open: 1); // the victim; the flooder closed and collectable
        output.WriteLine($"server before: {before}; after: {after}; peaks: live heap {ServerMemory.Mib(heapPeak)}, RSS {ServerMemory.Mib(rssPeak)}");

        Assert.True(report.RateLimited > 0, "the flooder was never answered rate_limited");
        Assert.True(report.Acks <= 20, $"the flooder got {report.Acks} messages through (burst 10 + refill)");
        Assert.Equal(CloseCode.PolicyViolation, report.CloseCode);
        Assert.Equal("message flood", report.CloseReason);
        // It ignored the Close and kept writing: the close timeout (2 s) ends the connection.
        Assert.True(report.TcpEndAt is { } end && end - report.CloseAt!.Value < TimeSpan.FromSeconds(2 + 5), "the flooder was not dropped after ignoring the Close");
        Assert.All(roundTrips, t => Assert.True(t < TimeSpan.FromSeconds(2), $"a victim message took {t.TotalMilliseconds:0} ms"));
        Assert.Empty(victim.TakeAll(m => ChatClient.Type(m) == "error"));
        // Nothing of the flood is kept once the flooder is gone (live heap after a full collection, docs/security.md):
        // keeping the thousands of messages it wrote (or the refusals queued for it) would be megabytes. The victim's
        // 40 stored messages are in the store, not the heap. The RSS peak is a loose bound on native memory: it also
        // holds the garbage the GC's budget lets pile up, which depends on the CPU.
        Assert.True(after.LiveHeapBytes - before.LiveHeapBytes < 1L << 20, $"the flood left {ServerMemory.Mib(after.LiveHeapBytes - before.LiveHeapBytes)} on the live heap");
        Assert.True(heapPeak - before.LiveHeapBytes < 8L << 20, $"the live heap peaked {ServerMemory.Mib(heapPeak - before.LiveHeapBytes)} above where it started");
        Assert.True(rssPeak - before.RssBytes < 160L << 20, $"the flood grew the server's RSS by {ServerMemory.Mib(rssPeak - before.RssBytes)}");
        Assert.Contains("chat flood", server.LogText);
        server.AssertHealthy();
    }

    private static double Median(List<TimeSpan> values) => values.Select(v => v.TotalMilliseconds).Order().ElementAt(values.Count / 2);

    private sealed record FloodReport(long MessagesWritten, TimeSpan WriteTime, int Acks, int RateLimited, ushort? CloseCode, string? CloseReason,
        TimeSpan? CloseAt, TimeSpan? TcpEndAt);

    /// <summary>
    /// A raw client that logs in, joins, and then writes <c>send</c> frames in 16 KiB batches until the server drops
    /// it (at most 12 s), never answering the server's Close. A reader counts the replies.
    /// </summary>
    private static async Task<FloodReport> FloodAsync(IPEndPoint server, IPAddress from)
    {
        using Socket socket = await SourceAddress.ConnectAsync(from, server);
        await socket.SendAsync(Encoding.ASCII.GetBytes(RawClient.UpgradeRequest("/chat")));
        var frames = new FrameStream(socket);
        Assert.StartsWith("HTTP/1.1 101", await frames.ReadHeadAsync());

        var clock = Stopwatch.StartNew();
        int acks = 0, limited = 0;
        ushort? closeCode = null;
        string? closeReason = null;
        TimeSpan? closeAt = null, tcpEndAt = null;
        Task reader = Task.Run(async () =>
        {
            while (await frames.ReadFrameAsync() is { } frame)
            {
                if (frame.Opcode == Opcode.Close)
                {
                    closeCode = BinaryPrimitives.ReadUInt16BigEndian(frame.Payload);
                    closeReason = Encoding.UTF8.GetString(frame.Payload.AsSpan(2));
                    closeAt = clock.Elapsed;
                }
                else if (frame.Opcode == Opcode.Text)
                {
                    string text = Encoding.UTF8.GetString(frame.Payload);
                    if (text.Contains("\"type\":\"ack\"", StringComparison.Ordinal)) acks++;
                    if (text.Contains("\"code\":\"rate_limited\"", StringComparison.Ordinal)) limited++;
                }
            }
            tcpEndAt = clock.Elapsed;
        });

        await socket.SendAsync(Masked("{\"type\":\"login\",\"name\":\"flooder\"}"));
        await socket.SendAsync(Masked("{\"type\":\"join\",\"room\":\"lobby\"}"));
        byte[] one = Masked("{\"type\":\"send\",\"room\":\"lobby\",\"text\":\"" + new string('x', 200) + "\"}");
        int perBatch = 16 * 1024 / one.Length;
        byte[] batch = new byte[perBatch * one.Length];
        for (int i = 0; i < perBatch; i++)
            one.CopyTo(batch, i * one.Length);

        long written = 0;
        var writing = Stopwatch.StartNew();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(12));
        try
        {
            while (written < 20_000_000 && !reader.IsCompleted && !limit.IsCancellationRequested)
            {
                await socket.SendAsync(batch, SocketFlags.None, limit.Token);
                written += perBatch;
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException) { }
        TimeSpan writeTime = writing.Elapsed;
        await Task.WhenAny(reader, Task.Delay(TimeSpan.FromSeconds(2)));
        // If the server has not dropped us by now, closing our socket ends the reader, and that end does not count.
        bool droppedByServer = reader.IsCompleted;
        socket.Close();
        await reader.WaitAsync(TimeSpan.FromSeconds(10));
        return new FloodReport(written, writeTime, acks, limited, closeCode, closeReason, closeAt, droppedByServer ? tcpEndAt : null);
    }

    private static uint _maskKey = 0x5EED_0001;

    private static byte[] Masked(string text)
    {
        byte[] payload = Encoding.UTF8.GetBytes(text);
        byte[] frame = new byte[FrameWriter.MaskedFrameLength(payload.Length)];
        FrameWriter.WriteMaskedFrame(frame, Opcode.Text, payload, _maskKey++);
        return frame;
    }
}

/// <summary>Reads an HTTP response head, then server frames, from a bare socket (no limits, for tests only).</summary>
internal sealed class FrameStream(Socket socket)
{
    private byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;

    public async Task<string> ReadHeadAsync()
    {
        int end;
        while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
            if (!await FillAsync())
                throw new EndOfStreamException("closed before a response head");
        string head = Encoding.Latin1.GetString(_buffer, _start, end);
        _start += end + 4;
        return head;
    }

    /// <summary>The next frame, or null once the connection ended (FIN or reset).</summary>
    public async Task<(Opcode Opcode, byte[] Payload)?> ReadFrameAsync()
    {
        while (true)
        {
            if (FrameHeader.TryParse(_buffer.AsSpan(_start, _end - _start), out FrameHeader header, out int headerLength, out ProtocolError error))
            {
                long total = headerLength + header.PayloadLength;
                while (_end - _start < total)
                    if (!await FillAsync())
                        return null;
                byte[] payload = _buffer.AsSpan(_start + headerLength, (int)header.PayloadLength).ToArray();
                _start += (int)total;
                return (header.Opcode, payload);
            }
            if (error != ProtocolError.None)
                throw new InvalidDataException($"malformed frame from the server: {error}");
            if (!await FillAsync())
                return null;
        }
    }

    private async Task<bool> FillAsync()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);
        try
        {
            int n = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
            _end += n;
            return n > 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }
}
