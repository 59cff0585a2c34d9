using System.Net.WebSockets;
using RawSocketChat.Tests.Support;
using Xunit.Abstractions;

namespace RawSocketChat.Tests.Durability;

/// <summary>
/// SIGTERM under load — what systemd, Docker and Kubernetes send on every deploy. Every client is told "going away"
/// (1001) instead of losing its connection, the process exits 0, and every acknowledged message is stored.
/// </summary>
[Collection(HeavyTests.Name)]
public sealed class GracefulShutdownTests(ITestOutputHelper output)
{
    private const int Clients = 20;

    [SkippableFact]
    public async Task Sigterm_under_load_closes_every_client_with_1001_and_keeps_every_acknowledged_message()
    {
        string data = Path.Combine(Path.GetTempPath(), "rawsocketchat-process-tests", Guid.NewGuid().ToString("N"), "chat.db");
        ServerProcess server = await ServerProcess.StartAsync(CrashRecoveryTests.LoadArgs, data);
        try
        {
            ChatLoadClient[] clients = await Task.WhenAll(Enumerable.Range(0, Clients)
                .Select(i => ChatLoadClient.JoinAsync(server.WebSocketUri(), $"c{i}", window: 8)));
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Task<int>[] sending = clients.Select(c => c.SendUntilAsync("lobby", n => ($"{c.Name}-{n}", $"{c.Name} #{n}"), stop.Token,
                max: 5_000, interval: TimeSpan.FromMilliseconds(2))).ToArray();

            await Task.Delay(1000);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            server.Terminate();
            int exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(20));
            TimeSpan shutdown = clock.Elapsed;
            await Task.WhenAll(sending).WaitAsync(TimeSpan.FromSeconds(20));
            var senders = new List<SenderRecord>();
            foreach (ChatLoadClient client in clients)
            {
                senders.Add(SenderRecord.Of(client));
                await client.DisposeAsync();
            }

            Assert.Equal(0, exitCode);
            Assert.All(clients, c => Assert.True(c.CloseStatus == WebSocketCloseStatus.EndpointUnavailable,
                $"{c.Name} saw {c.CloseStatus?.ToString() ?? "no Close"} ({c.CloseDescription}) instead of 1001"));
            Assert.All(clients, c => Assert.Equal("server shutting down", c.CloseDescription));
            Assert.Contains("received SIGTERM", server.LogText);
            Assert.Contains($"shutting down: closing {Clients} connection(s)", server.LogText);
            Assert.Empty(server.ErrorLines());

            ServerProcess stopped = server;
            server = await stopped.RestartAsync();
            await stopped.DisposeAsync();
            HistoryCheck check = History.Verify(await History.ReadAllAsync(server.WebSocketUri(), "reader"), senders);
            output.WriteLine($"SIGTERM after {sending.Sum(t => t.Result)} messages sent; exit 0 after {shutdown.TotalMilliseconds:0} ms; " +
                $"history {check.Stored} messages: {check.Acked} acknowledged (all present once), {check.StoredNotAcked} stored but not acknowledged, " +
                $"{check.SentNotStored} refused as they arrived during the shutdown");
            Assert.True(check.Acked > 0, "nothing was acknowledged before the shutdown");
            // The server stores and acknowledges everything queued before it sends Close: nothing is left stored but
            // unacknowledged (a client would only learn of it by retrying).
            Assert.Equal(0, check.StoredNotAcked);
        }
        finally
        {
            await server.DisposeAsync();
            server.DeleteDataFolder();
        }
    }
}
