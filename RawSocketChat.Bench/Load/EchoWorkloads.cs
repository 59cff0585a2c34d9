using System.Diagnostics;
using RawSocketChat.Bench.Client;
using RawSocketChat.Bench.Micro;
using RawSocketChat.Protocol;

namespace RawSocketChat.Bench.Load;

/// <summary>
/// <c>echo-latency</c> (in flight = 1) and <c>echo-throughput</c> (in flight = K) against <c>/echo</c>. Each connection
/// keeps K messages outstanding; every echo that comes back is timed against the send of the same message (echoes
/// come back in order on one connection) and answered with the next message, so the load adapts to the server's pace.
/// Replies are sent in one write per batch of echoes read together.
/// </summary>
internal sealed class EchoWorkload(LoadOptions options, bool throughput) : Workload(options)
{
    private RawClient[] _clients = [];
    private readonly List<Task> _loops = [];

    public override int Connections => Options.Connections ?? (throughput ? 50 : 100);
    private int Size => Options.Size ?? (throughput ? 128 : 32);
    private int InFlight => throughput ? Options.InFlight ?? 16 : 1;

    public override async Task SetupAsync(CancellationToken cancellation)
    {
        RawClient?[] clients = await ConnectAllAsync(Connections, null, tolerateFailures: false, 64 * 1024, cancellation);
        _clients = clients.Select(c => c!).ToArray();
    }

    public override void StartTraffic()
    {
        byte[] payload = Options.Binary ? Samples.RandomBytes(Size) : Samples.Text(TextKind.Ascii, Size);
        Opcode opcode = Options.Binary ? Opcode.Binary : Opcode.Text;
        foreach (RawClient client in _clients)
            _loops.Add(Task.Run(() => RunAsync(client, opcode, payload)));
    }

    private async Task RunAsync(RawClient client, Opcode opcode, byte[] payload)
    {
        // K copies of the frame back to back: sending n of them is one write of the first n * frameLength bytes.
        byte[] frame = client.BuildFrame(opcode, payload);
        int inFlight = InFlight;
        byte[] batch = new byte[frame.Length * inFlight];
        for (int i = 0; i < inFlight; i++)
            frame.CopyTo(batch, i * frame.Length);
        var sentAt = new long[inFlight]; // ring of send times, in order
        int head = 0, tail = 0;

        try
        {
            long now = Stopwatch.GetTimestamp();
            for (int i = 0; i < inFlight; i++)
                sentAt[i] = now;
            await client.SendAsync(batch);

            while (!Stopping)
            {
                int echoed = 0;
                while (client.TryReadFrame(out ServerFrame received))
                {
                    if (!received.Fin)
                        continue; // a peer may echo a large message in pieces: the last piece completes it
                    now = Stopwatch.GetTimestamp();
                    Measurement.Latency(sentAt[head], now);
                    Measurement.Message(payload.Length);
                    head = (head + 1) % inFlight;
                    echoed++;
                }
                if (echoed > 0)
                {
                    now = Stopwatch.GetTimestamp();
                    for (int i = 0; i < echoed; i++)
                    {
                        sentAt[tail] = now;
                        tail = (tail + 1) % inFlight;
                    }
                    await client.SendAsync(batch.AsMemory(0, echoed * frame.Length));
                }
                if (!await client.FillAsync())
                {
                    if (!Stopping) Measurement.Error();
                    return;
                }
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            if (!Stopping) Measurement.Error();
        }
    }

    public override async Task OnMeasureEndAsync()
    {
        Stopping = true;
        // Loops blocked in a read end when their socket closes.
        foreach (RawClient client in _clients)
            client.Close();
        await Task.WhenAll(_loops);
    }

    public override Task FinishAsync(LoadResult result, double seconds)
    {
        result.Metrics["size_bytes"] = Size;
        result.Metrics["in_flight_per_conn"] = InFlight;
        return Task.CompletedTask;
    }

    public override void Close()
    {
        Stopping = true;
        foreach (RawClient client in _clients)
            client.Close();
    }
}
