using System.Net.Sockets;
using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Transport;

/// <summary>
/// The outbound queue is bounded: a peer that sends but never reads cannot make the server buffer its echoes
/// without limit. Once the bytes waiting for it pass --max-send-buffer-bytes it is disconnected, and nobody else
/// notices.
/// </summary>
public sealed class SendBufferTests
{
    [Fact]
    public async Task Client_that_never_reads_is_disconnected_and_others_keep_working()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxSendBufferBytes = 64 * 1024);
        // A tiny receive buffer: the kernel stops accepting echoes early, so the server's queue fills fast.
        await using RawClient greedy = await RawClient.OpenAsync(server, receiveBufferSize: 4096);
        await using RawClient polite = await RawClient.OpenAsync(server);
        byte[] message = greedy.MaskedFrame(Opcode.Binary, new byte[32 * 1024]);

        // Send 32 KiB messages and never read the echoes, until the server hangs up (the write then fails).
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        long sent = 0;
        int count = 0;
        bool disconnected = false;
        while (!disconnected && sent < 512L * 1024 * 1024)
        {
            try
            {
                await greedy.SendRawAsync(message, deadline.Token);
                sent += message.Length;
                count++;
            }
            catch (IOException e) when (e.InnerException is SocketException)
            {
                disconnected = true; // reset or broken pipe: the server dropped us
            }

            // Meanwhile another client is served as usual.
            if (count % 64 == 0)
            {
                await polite.SendTextAsync($"hello {count}");
                Assert.Equal($"hello {count}", (await polite.ReadDataFrameAsync()).Text);
            }
        }

        Assert.True(disconnected, $"the server still accepted data after {sent} bytes that were never read back");
        await Eventually.TrueAsync(() => server.LogText.Contains("send buffer limit exceeded"), "the disconnect to be logged");
        await polite.SendTextAsync("after");
        Assert.Equal("after", (await polite.ReadDataFrameAsync()).Text);
        Assert.DoesNotContain("unexpected error", server.LogText);
    }
}
