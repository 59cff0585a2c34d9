using System.Buffers.Binary;
using System.Net.Sockets;
using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;
using Xunit.Abstractions;

namespace RawSocketChat.Tests.Attacks;

/// <summary>The server process the hostile-frame cases share; started once for the class.</summary>
public sealed class HostileFrameServer : IAsyncLifetime
{
    public const int MaxMessageBytes = 64 * 1024;
    public const int MaxSendBufferBytes = 256 * 1024;

    public ServerProcess Server { get; private set; } = null!;
    public ServerMemory Baseline { get; private set; }

    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsLinux())
            return; // each test skips itself (ServerProcess.RequireLinux)
        Server = await ServerProcess.StartAsync([
            "--max-message-bytes", MaxMessageBytes.ToString(), "--max-send-buffer-bytes", MaxSendBufferBytes.ToString(),
            "--max-connections-per-ip", "1000", "--close-timeout", "2s"]);
        await SlowlorisTests.WarmUpAsync(Server);
        Baseline = await Server.MemoryAsync();
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}

/// <summary>
/// Frames written to hurt: absurd declared lengths, messages cut into 10,000 pieces, ping floods, close frames with
/// reasons that are not UTF-8. Each case runs on several connections at once against one server process; each must
/// end with its close code (or, for legal abuse, be served), nothing may be logged as an error, and the server's
/// memory must stay where it was.
/// </summary>
[Collection(HeavyTests.Name)]
public sealed class HostileFrameTests(HostileFrameServer fixture, ITestOutputHelper output) : IClassFixture<HostileFrameServer>
{
    private const int Connections = 10;
    private const int Fragments = 10_000;

    private ServerProcess Server => fixture.Server;

    private sealed record Case(Func<RawClient, Task> Attack, Func<RawClient, Task> Expect);

    private static Case Closes(ushort code, Func<RawClient, Task> attack) => new(attack, async client =>
    {
        ServerFrame close = await client.ReadDataFrameAsync(TimeSpan.FromSeconds(10));
        Assert.True(close.Opcode == Opcode.Close, $"expected Close {code}, got {close}");
        Assert.Equal(code, close.CloseCode);
        await client.AssertServerClosesTcpAsync(TimeSpan.FromSeconds(10));
    });

    private static Func<RawClient, Task> Send(Func<RawClient, byte[]> bytes) => client => client.SendRawAsync(bytes(client));

    private static byte[] Header(Opcode opcode, long length, bool fin = true)
    {
        var header = new FrameHeader(fin, 0, opcode, Masked: true, length, MaskKey: 0x0BAD_F00D);
        byte[] bytes = new byte[header.EncodedLength];
        header.WriteTo(bytes);
        return bytes;
    }

    private static Func<RawClient, Task> CloseWith(params byte[] body) => Send(c => c.MaskedFrame(Opcode.Close, body));

    private static byte[] CloseBody(ushort code, params byte[] reason) => RawClient.CloseBody(code, reason);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // RFC 6455 §5.2 allows 63-bit lengths; the limit is checked on the declared length, before any payload.
        ["text frame declaring 2^63-1 bytes"] = Closes(CloseCode.MessageTooBig, Send(_ => Header(Opcode.Text, long.MaxValue))),
        ["binary frame declaring 2^63-1 bytes, then 64 KiB of it"] = Closes(CloseCode.MessageTooBig,
            Send(_ => [.. Header(Opcode.Binary, long.MaxValue), .. new byte[64 * 1024]])),
        ["continuation declaring 2^63-1 bytes"] = Closes(CloseCode.MessageTooBig,
            Send(c => [.. c.MaskedFrame(Opcode.Text, "a"u8, fin: false), .. Header(Opcode.Continuation, long.MaxValue)])),
        ["ping declaring 2^63-1 bytes"] = Closes(CloseCode.ProtocolError, Send(_ => Header(Opcode.Ping, long.MaxValue))),
        ["64-bit length with the top bit set"] = Closes(CloseCode.ProtocolError,
            Send(_ => [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])),

        // Legal but laborious: one message in 10,000 one-byte fragments is still one message.
        ["10,000 one-byte fragments"] = new(Send(c => Fragmented(c, Fragments, 1)), async client =>
        {
            ServerFrame echo = await client.ReadDataFrameAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(Opcode.Text, echo.Opcode);
            Assert.Equal(new string('f', Fragments), echo.Text);
        }),
        ["10,000 empty fragments"] = new(Send(c => Fragmented(c, Fragments, 0)), async client =>
        {
            ServerFrame echo = await client.ReadDataFrameAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(Opcode.Text, echo.Opcode);
            Assert.Empty(echo.Payload);
        }),
        // ...but the fragments add up to the message limit (64 KiB here) like one frame would.
        ["10,000 eight-byte fragments, past the limit"] = Closes(CloseCode.MessageTooBig, Send(c => Fragmented(c, Fragments, 8))),

        // RFC 6455 §5.5.2: every Ping gets a Pong with the same payload, in order.
        ["10,000 pings in bursts of 500, pongs read after each"] = new(_ => Task.CompletedTask, PingFloodReadingAsync),
        // A ping flood that never reads its pongs fills its own send buffer and is dropped.
        ["ping flood that never reads"] = new(_ => Task.CompletedTask, PingFloodNotReadingAsync),

        // RFC 6455 §5.5.1 + §8.1: a close reason is UTF-8, or the connection fails with 1007.
        ["close reason C3 28 (bad continuation)"] = Closes(CloseCode.InvalidPayloadData, CloseWith(CloseBody(1000, 0xC3, 0x28))),
        ["close reason ED A0 80 (UTF-16 surrogate)"] = Closes(CloseCode.InvalidPayloadData, CloseWith(CloseBody(1000, 0xED, 0xA0, 0x80))),
        ["close reason C0 AF (overlong '/')"] = Closes(CloseCode.InvalidPayloadData, CloseWith(CloseBody(1000, 0xC0, 0xAF))),
        ["close reason F5 80 80 80 (above U+10FFFF)"] = Closes(CloseCode.InvalidPayloadData, CloseWith(CloseBody(1001, 0xF5, 0x80, 0x80, 0x80))),
        ["close reason E2 82 (cut short)"] = Closes(CloseCode.InvalidPayloadData, CloseWith(CloseBody(1000, [.. "bye "u8, 0xE2, 0x82]))),
        // RFC 6455 §7.4: codes that may not be sent, and a body too short for a code.
        ["close code 1005"] = Closes(CloseCode.ProtocolError, CloseWith(CloseBody(1005))),
        ["close code 999"] = Closes(CloseCode.ProtocolError, CloseWith(CloseBody(999))),
        ["close code 5000"] = Closes(CloseCode.ProtocolError, CloseWith(CloseBody(5000))),
        ["close body of one byte"] = Closes(CloseCode.ProtocolError, CloseWith(0x03)),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [SkippableTheory]
    [MemberData(nameof(CaseNames))]
    public async Task Each_hostile_frame_gets_its_close_code_and_nothing_crashes(string name)
    {
        ServerProcess.RequireLinux();
        Case @case = Cases[name];

        ServerMemory after = await RoundAsync(name, @case);
        output.WriteLine($"{name}: {Connections} connections; server now: {after} (at start: {fixture.Baseline})");
        // The exact check is in RoundAsync: every closed connection became collectable. In bytes (live heap after
        // a full collection, docs/security.md), what grows is the arrays the shared pool keeps for reuse, at most
        // what one case's connections rented: two send buffers of up to twice the limit and a message buffer each.
        long poolBound = Connections * (4L * HostileFrameServer.MaxSendBufferBytes + 2L * HostileFrameServer.MaxMessageBytes);
        Assert.True(after.LiveHeapBytes - fixture.Baseline.LiveHeapBytes < poolBound,
            $"the live heap grew by {ServerMemory.Mib(after.LiveHeapBytes - fixture.Baseline.LiveHeapBytes)} since the server started (bound {ServerMemory.Mib(poolBound)})");
        Assert.True(after.RssBytes - fixture.Baseline.RssBytes < 160L << 20, $"the RSS grew by {ServerMemory.Mib(after.RssBytes - fixture.Baseline.RssBytes)} since the server started");
        Server.AssertHealthy();
    }

    /// <summary>
    /// <see cref="Connections"/> connections attack at once and get their answer; then an ordinary client is still
    /// served. Returns the server's memory once every connection of the round is closed and collectable.
    /// </summary>
    private async Task<ServerMemory> RoundAsync(string name, Case @case)
    {
        int dropsBefore = Server.CountLog("send buffer limit exceeded");
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(async _ =>
        {
            await using RawClient client = await RawClient.ConnectAsync(Server.EndPoint, receiveBufferSize: name.Contains("never reads") ? 4096 : null);
            Assert.Equal(101, (await client.HandshakeAsync(RawClient.UpgradeRequest("/echo"))).StatusCode);
            await @case.Attack(client);
            await @case.Expect(client);
        }));

        if (name.Contains("never reads"))
            await Transport.Eventually.TrueAsync(() => Server.CountLog("send buffer limit exceeded") >= dropsBefore + Connections,
                "each ping flooder to be dropped at its send buffer limit");
        await using (RawClient probe = await RawClient.ConnectAsync(Server.EndPoint))
        {
            Assert.Equal(101, (await probe.HandshakeAsync(RawClient.UpgradeRequest("/echo"))).StatusCode);
            await probe.SendTextAsync("still here");
            Assert.Equal("still here", (await probe.ReadDataFrameAsync()).Text);
        }
        return await Server.SettledMemoryAsync(open: 0);
    }

    /// <summary>One text message in <paramref name="count"/> fragments of <paramref name="size"/> bytes each.</summary>
    private static byte[] Fragmented(RawClient client, int count, int size)
    {
        byte[] piece = Enumerable.Repeat((byte)'f', size).ToArray();
        var all = new MemoryStream();
        for (int i = 0; i < count; i++)
            all.Write(client.MaskedFrame(i == 0 ? Opcode.Text : Opcode.Continuation, piece, fin: i == count - 1));
        return all.ToArray();
    }

    /// <summary>
    /// 10,000 pings in bursts of 500 (each burst written at once), reading the pongs after each burst: the flood goes as
    /// fast as the server answers. (A client that does not keep up is a slow reader, the next case.)
    /// </summary>
    private static async Task PingFloodReadingAsync(RawClient client)
    {
        const int pings = 10_000, burst = 500;
        byte[] payload = new byte[125];
        for (int start = 0; start < pings; start += burst)
        {
            var all = new MemoryStream();
            for (int i = start; i < start + burst; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(payload, i);
                all.Write(client.MaskedFrame(Opcode.Ping, payload));
            }
            await client.SendRawAsync(all.ToArray());
            for (int i = start; i < start + burst; i++)
            {
                ServerFrame pong = await client.ReadFrameAsync(TimeSpan.FromSeconds(20));
                Assert.Equal(Opcode.Pong, pong.Opcode);
                Assert.Equal(125, pong.Payload.Length);
                Assert.Equal(i, BinaryPrimitives.ReadInt32BigEndian(pong.Payload));
            }
        }
        await client.SendTextAsync("after the flood");
        Assert.Equal("after the flood", (await client.ReadDataFrameAsync()).Text);
    }

    private static async Task PingFloodNotReadingAsync(RawClient client)
    {
        // 1,000 pings per write; up to 100,000 pings (13 MB), until the server hangs up.
        var batch = new MemoryStream();
        for (int i = 0; i < 1000; i++)
            batch.Write(client.MaskedFrame(Opcode.Ping, new byte[125]));
        byte[] bytes = batch.ToArray();
        bool dropped = false;
        for (int i = 0; i < 100 && !dropped; i++)
        {
            try
            {
                await client.SendRawAsync(bytes);
            }
            catch (IOException e) when (e.InnerException is SocketException)
            {
                dropped = true;
            }
            catch (OperationCanceledException)
            {
                break; // the write blocked for 5 s: the server stopped reading, which it does once it dropped us
            }
        }
        // Whatever pongs had reached our socket, then the end of the connection.
        await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(15));
    }
}

/// <summary>A frame that declares a large length and then stalls must not make the server reserve that length.</summary>
[Collection(HeavyTests.Name)]
public sealed class DeclaredLengthAmplificationTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Two_hundred_stalled_frames_declaring_the_whole_message_limit_cost_almost_nothing()
    {
        const int connections = 200;
        const int limit = 1024 * 1024; // the default --max-message-bytes
        await using ServerProcess server = await ServerProcess.StartAsync(["--max-connections-per-ip", "1000"]);
        await SlowlorisTests.WarmUpAsync(server);
        ServerMemory before = await server.MemoryAsync();

        var clients = new List<RawClient>();
        try
        {
            for (int i = 0; i < connections; i++)
            {
                RawClient client = await RawClient.ConnectAsync(server.EndPoint);
                clients.Add(client);
                Assert.Equal(101, (await client.HandshakeAsync(RawClient.UpgradeRequest("/echo"))).StatusCode);
                // A header declaring exactly the limit (accepted), one byte of payload, then nothing.
                var header = new FrameHeader(true, 0, Opcode.Binary, true, limit, 0x01020304);
                byte[] bytes = new byte[header.EncodedLength + 1];
                header.WriteTo(bytes);
                await client.SendRawAsync(bytes);
            }
            await Task.Delay(1000);
            ServerMemory during = await server.MemoryAsync();
            long grown = during.LiveHeapBytes - before.LiveHeapBytes;
            output.WriteLine($"{connections} connections each declaring {limit / 1024} KiB and sending 1 byte: server before: {before}; during: {during} " +
                $"(live heap +{ServerMemory.Mib(grown)}, {grown / connections / 1024} KiB per connection; reserving the declared lengths would be +{connections * (limit >> 20)} MiB)");
            Assert.Equal(connections, during.ConnectionsOpen);
            // What the stalled connections hold, live after a full collection (docs/security.md): reserving even a
            // tenth of each declared length would be 20 MiB; an open connection costs the server ~10 KiB.
            Assert.True(grown < 8L << 20, $"stalled frames grew the live heap by {ServerMemory.Mib(grown)}");
            Assert.True(during.RssBytes - before.RssBytes < 128L << 20, $"stalled frames grew the RSS by {ServerMemory.Mib(during.RssBytes - before.RssBytes)}");
            server.AssertHealthy();
        }
        finally
        {
            foreach (RawClient client in clients)
                await client.DisposeAsync();
        }
    }
}
