using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Transport;

/// <summary>Many connections at once: each gets exactly its own messages back, in the order it sent them.</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Twenty_clients_sending_fifty_messages_each_get_all_their_echoes_in_order()
    {
        const int clients = 20, messages = 50;
        await using TestServer server = await TestServer.StartAsync();

        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            await using RawClient client = await RawClient.OpenAsync(server);
            // Write all messages first, then read: the echoes queue up on the server meanwhile.
            for (int i = 0; i < messages; i++)
                await client.SendTextAsync($"client {c} message {i}");
            for (int i = 0; i < messages; i++)
            {
                ServerFrame echo = await client.ReadFrameAsync(TimeSpan.FromSeconds(15));
                Assert.Equal(Opcode.Text, echo.Opcode);
                Assert.Equal($"client {c} message {i}", echo.Text);
            }
            await client.SendCloseAsync(CloseCode.NormalClosure);
            Assert.Equal(CloseCode.NormalClosure, (await client.ReadFrameAsync()).CloseCode);
        })).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.DoesNotContain("unexpected error", server.LogText);
    }
}
