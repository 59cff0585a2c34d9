using Microsoft.Data.Sqlite;
using RawSocketChat.Tests.Support;
using Xunit.Abstractions;

namespace RawSocketChat.Tests.Durability;

/// <summary>
/// "An ack means stored", tested the hard way: the server process is killed with SIGKILL while 20 clients are sending,
/// restarted on the same database, and the history is compared with what the clients were told. Several rounds on
/// one file, so each recovery also has to keep what the earlier ones recovered.
/// <para>
/// SIGKILL ends the process, not the machine: what the process had handed to the kernel survives it even without an
/// fsync. So this proves that no ack is sent before its commit, and that SQLite's WAL recovers cleanly from a
/// process killed at any instruction — not that data survives a power cut (that is what <c>synchronous=FULL</c> is for).
/// </para>
/// </summary>
[Collection(HeavyTests.Name)]
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int Rounds = 4;
    private const int Clients = 20;

    internal static readonly string[] LoadArgs =
        ["--rate", "100000", "--burst", "100000", "--ip-rate", "100000", "--ip-burst", "100000", "--max-connections-per-ip", "1000"];

    [SkippableFact]
    public async Task Every_acknowledged_message_survives_sigkill_exactly_once_and_in_order_round_after_round()
    {
        string data = Path.Combine(Path.GetTempPath(), "rawsocketchat-process-tests", Guid.NewGuid().ToString("N"), "chat.db");
        ServerProcess server = await ServerProcess.StartAsync(LoadArgs, data);
        var random = new Random(20261127);
        var senders = new List<SenderRecord>();
        try
        {
            for (int round = 1; round <= Rounds; round++)
            {
                ChatLoadClient[] clients = await Task.WhenAll(Enumerable.Range(0, Clients)
                    .Select(i => ChatLoadClient.JoinAsync(server.WebSocketUri(), $"r{round}c{i}", window: 8)));
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                // Pipelined (8 unanswered at most), and at most 500 messages/s per client, so that a fast machine
                // does not turn the history check into a long read.
                Task<int>[] sending = clients.Select(c => c.SendUntilAsync("lobby", n => ($"{c.Name}-{n}", $"{c.Name} #{n}"), stop.Token,
                    max: 5_000, interval: TimeSpan.FromMilliseconds(2))).ToArray();

                // Kill at an arbitrary moment of the load.
                await Task.Delay(random.Next(700, 1500));
                int ackedAtKill = clients.Sum(c => c.Acks.Count);
                server.Kill();
                await server.WaitForExitAsync(TimeSpan.FromSeconds(10));
                await Task.WhenAll(sending).WaitAsync(TimeSpan.FromSeconds(20));
                foreach (ChatLoadClient client in clients)
                {
                    senders.Add(SenderRecord.Of(client));
                    await client.DisposeAsync();
                }

                ServerProcess killed = server;
                Assert.Empty(killed.ErrorLines());
                server = await killed.RestartAsync();
                await killed.DisposeAsync();

                List<ReceivedMessage> history = await History.ReadAllAsync(server.WebSocketUri(), $"reader{round}");
                HistoryCheck check = History.Verify(history, senders);
                int sentThisRound = sending.Sum(t => t.Result);
                output.WriteLine($"round {round}: killed after ~{ackedAtKill} acks; {sentThisRound} sent this round; history now {check.Stored} messages: " +
                    $"{check.Acked} acknowledged (all present once), {check.StoredNotAcked} stored whose ack was lost with the process, " +
                    $"{check.SentNotStored} sent but never stored (in flight at a kill), all rounds so far");
                Assert.True(senders.TakeLast(Clients).Sum(s => s.Acks.Count) > 0, $"round {round}: no message was acknowledged before the kill");
            }

            // A last, graceful stop; then SQLite's own consistency check of the file.
            server.Terminate();
            Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(15)));
            Assert.Equal("ok", IntegrityCheck(data));
            Assert.Empty(server.ErrorLines());
        }
        finally
        {
            await server.DisposeAsync();
            server.DeleteDataFolder();
        }
    }

    internal static string IntegrityCheck(string file)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }
}
