using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Transport;

/// <summary>
/// Messages larger than the send-buffer limit, as in Autobahn's case group 9.1/9.2 (one 8 or 16 MiB text or binary
/// message, echoed): a message the server accepted reaches a peer that reads it, fast or slowly. The limit bounds
/// what piles up behind the write in progress, and a peer that falls behind is closed with 1008 behind what it
/// was sent; a peer whose socket takes nothing is dropped at --send-timeout.
/// </summary>
public sealed class LargeMessageTests
{
    private const int MaxMessageBytes = 64 << 20; // what Autobahn's README command sets; the send buffer stays at its 4 MiB default

    private static Task<TestServer> StartAsync(Action<RawSocketChat.Hosting.ServerOptions>? more = null) =>
        TestServer.StartAsync(o =>
        {
            o.MaxMessageBytes = MaxMessageBytes;
            more?.Invoke(o);
        });

    private static byte[] Payload(int length, bool text)
    {
        byte[] bytes = new byte[length];
        if (text)
            bytes.AsSpan().Fill((byte)'*'); // Autobahn's 9.1.x send a run of one ASCII character
        else
            RandomNumberGenerator.Fill(bytes);
        return bytes;
    }

    [Theory]
    [Trait("Rfc", "6455-6.1-fragment")]
    [Trait("Rfc", "6455-6.1-transmit")]
    [InlineData(8, Opcode.Text)]     // 9.1.5
    [InlineData(16, Opcode.Text)]    // 9.1.6
    [InlineData(8, Opcode.Binary)]   // 9.2.5
    [InlineData(16, Opcode.Binary)]  // 9.2.6
    public async Task A_message_larger_than_the_send_buffer_limit_is_echoed_to_a_peer_that_reads(int mib, Opcode opcode)
    {
        await using TestServer server = await StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);
        byte[] payload = Payload(mib << 20, opcode == Opcode.Text);

        await client.SendFrameAsync(opcode, payload);
        ServerFrame echo = await client.ReadFrameAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(opcode, echo.Opcode);
        Assert.True(echo.Fin);
        Assert.True(payload.AsSpan().SequenceEqual(echo.Payload), "the echo differs from the message");
        await client.SendCloseAsync(CloseCode.NormalClosure);
        await client.AssertClosedWithAsync(CloseCode.NormalClosure);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public async Task An_echo_past_the_limit_reaches_a_peer_reading_at_1_MiB_per_second(int mib)
    {
        await using TestServer server = await StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server, receiveBufferSize: 64 * 1024);
        client.ReadBytesPerSecond = 1 << 20;
        byte[] payload = Payload(mib << 20, text: false);

        await client.SendFrameAsync(Opcode.Binary, payload);
        // Meanwhile pings go back and forth: the pongs queue behind the echo, well under the limit.
        await client.SendFrameAsync(Opcode.Ping, "during"u8);
        ServerFrame echo = await client.ReadFrameAsync(TimeSpan.FromSeconds(mib * 4 + 30));
        Assert.True(payload.AsSpan().SequenceEqual(echo.Payload), "the echo differs from the message");
        ServerFrame pong = await client.ReadFrameAsync(TimeSpan.FromSeconds(10));
        Assert.True(pong.Opcode == Opcode.Pong, $"expected the pong, got {pong}; the server's log:\n{server.LogText}");
        Assert.Equal("during", pong.Text);
        Assert.DoesNotContain("send timeout", server.LogText);
    }

    [Theory]
    [InlineData(8, WebSocketMessageType.Text, false)]
    [InlineData(16, WebSocketMessageType.Binary, false)]
    [InlineData(8, WebSocketMessageType.Binary, true)]  // read at about 1 MiB/s
    public async Task ClientWebSocket_gets_its_8_and_16_MiB_messages_back(int mib, WebSocketMessageType type, bool slowly)
    {
        await using TestServer server = await StartAsync();
        using var socket = new ClientWebSocket();
        if (slowly)
            socket.Options.SetBuffer(64 * 1024, 16 * 1024);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60 + (slowly ? mib * 4 : 0)));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/echo"), timeout.Token);
        byte[] payload = Payload(mib << 20, type == WebSocketMessageType.Text);

        Task send = socket.SendAsync(payload, type, endOfMessage: true, timeout.Token);
        byte[] received = new byte[payload.Length];
        int length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            Memory<byte> into = received.AsMemory(length);
            result = await socket.ReceiveAsync(slowly ? into[..Math.Min(into.Length, 64 * 1024)] : into, timeout.Token);
            length += result.Count;
            if (slowly)
                await Task.Delay(TimeSpan.FromSeconds(result.Count / (double)(1 << 20)), timeout.Token);
        } while (!result.EndOfMessage && length < received.Length);
        await send;

        Assert.Equal(type, result.MessageType);
        Assert.True(result.EndOfMessage);
        Assert.Equal(payload.Length, length);
        Assert.True(payload.AsSpan().SequenceEqual(received), "the echo differs from the message");
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
    }

    /// <summary>
    /// A peer that sends faster than it reads passes the limit: the server stops queueing for it and sends Close
    /// 1008 after what it had queued. The peer, catching up, reads every echo it was sent, in order, then the Close.
    /// </summary>
    [Fact]
    [Trait("Rfc", "6455-5.5.1-delay-close")]
    [Trait("Rfc", "6455-7.1.2-start")]
    [Trait("Rfc", "6455-10.4-send-backlog")]
    public async Task A_peer_that_falls_behind_reads_what_was_queued_then_close_1008()
    {
        const int limit = 64 * 1024, messageBytes = 16 * 1024, messages = 1024; // 16 MiB, far more than the kernels buffer
        await using TestServer server = await TestServer.StartAsync(o =>
        {
            o.MaxSendBufferBytes = limit;
            o.CloseTimeout = TimeSpan.FromSeconds(60); // time to catch up: this test is about what the peer reads then
        });
        await using RawClient client = await RawClient.OpenAsync(server, receiveBufferSize: 4096);
        for (int i = 0; i < messages; i++)
        {
            byte[] payload = new byte[messageBytes];
            BitConverter.TryWriteBytes(payload, i);
            await client.SendFrameAsync(Opcode.Binary, payload);
        }

        int echoes = 0;
        ServerFrame frame;
        while ((frame = await client.ReadFrameAsync(TimeSpan.FromSeconds(30))).Opcode == Opcode.Binary)
        {
            Assert.Equal(echoes, BitConverter.ToInt32(frame.Payload));
            echoes++;
        }
        Assert.Equal(Opcode.Close, frame.Opcode);
        Assert.Equal(CloseCode.PolicyViolation, frame.CloseCode);
        Assert.Equal("send buffer limit exceeded", frame.CloseReason);
        Assert.InRange(echoes, 1, messages - 1);
        // The closing handshake completes as usual, and the log says why.
        await client.SendCloseAsync(CloseCode.PolicyViolation);
        await client.AssertServerClosesTcpAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => server.LogText.Contains("code=1008 reason=\"send buffer limit exceeded\""), "the close to be logged");
    }

    /// <summary>
    /// One 16 MiB echo to a peer that never reads and sends nothing more: nothing waits behind the write, so the
    /// backlog limit never trips, but the write stops moving once the kernels' buffers are full; --send-timeout
    /// drops the connection.
    /// </summary>
    [Fact]
    [Trait("Rfc", "6455-7.1.7-omit-close")]
    public async Task A_write_that_makes_no_progress_for_the_send_timeout_drops_the_connection()
    {
        await using TestServer server = await StartAsync(o => o.SendTimeout = TimeSpan.FromSeconds(1));
        await using RawClient stalled = await RawClient.OpenAsync(server, receiveBufferSize: 4096);
        await using RawClient other = await RawClient.OpenAsync(server);
        await stalled.SendFrameAsync(Opcode.Binary, new byte[16 << 20]);

        await Eventually.TrueAsync(() => server.LogText.Contains("code=1008 reason=\"send timeout\""), "the stalled connection to be dropped",
            TimeSpan.FromSeconds(30));
        Assert.Equal(1, server.App.Server.OpenConnections);
        // Everyone else is unaffected.
        await other.SendTextAsync("still here");
        Assert.Equal("still here", (await other.ReadDataFrameAsync()).Text);
    }
}
