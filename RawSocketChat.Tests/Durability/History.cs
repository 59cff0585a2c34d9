using System.Text.Json;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Durability;

/// <summary>What one load client sent and had acknowledged, kept after its connection is gone.</summary>
public sealed record SenderRecord(string Name, IReadOnlyDictionary<string, string> Sent, IReadOnlyDictionary<string, string> Acks)
{
    public static SenderRecord Of(ChatLoadClient client) =>
        new(client.Name, new Dictionary<string, string>(client.Sent), new Dictionary<string, string>(client.Acks));
}

/// <summary>What the check found, for the test output.</summary>
public sealed record HistoryCheck(int Stored, int Acked, int StoredNotAcked, int SentNotStored);

/// <summary>
/// Reads a room's whole history through the protocol (<c>history</c> pages, newest first, 100 at a time) and checks
/// it against what the clients sent: the durability promise of docs/protocol.md, "an ack means stored".
/// </summary>
public static class History
{
    public static async Task<List<ReceivedMessage>> ReadAllAsync(Uri uri, string reader, string room = "lobby")
    {
        await using ChatLoadClient client = await ChatLoadClient.JoinAsync(uri, reader, room);
        var pages = new List<List<ReceivedMessage>>();
        string? before = null;
        while (true)
        {
            if (before is null)
                await client.SendJsonAsync(new { type = "history", room, limit = 100 });
            else
                await client.SendJsonAsync(new { type = "history", room, limit = 100, before });
            JsonElement page = await client.ReplyAsync("history");
            List<ReceivedMessage> messages = page.GetProperty("messages").EnumerateArray()
                .Select(m => new ReceivedMessage(m.GetProperty("id").GetString()!, m.GetProperty("user").GetString()!, m.GetProperty("text").GetString()!))
                .ToList();
            pages.Add(messages);
            if (!page.GetProperty("more").GetBoolean() || messages.Count == 0)
                break;
            before = messages[0].Id;
        }
        pages.Reverse();
        return pages.SelectMany(p => p).ToList();
    }

    /// <summary>
    /// Every acknowledged message is in <paramref name="history"/> exactly once, with the text that was sent; nothing
    /// is there that was not sent; ids ascend; each sender's messages keep their send order (texts end in "#seq").
    /// </summary>
    public static HistoryCheck Verify(IReadOnlyList<ReceivedMessage> history, IReadOnlyCollection<SenderRecord> senders)
    {
        for (int i = 1; i < history.Count; i++)
            Assert.True(string.CompareOrdinal(history[i - 1].Id, history[i].Id) < 0,
                $"history out of order at {i}: {history[i - 1].Id} then {history[i].Id}");

        Dictionary<string, HashSet<string>> sentBy = senders.ToDictionary(s => s.Name, s => s.Sent.Values.ToHashSet(StringComparer.Ordinal));
        var byId = new Dictionary<string, ReceivedMessage>(StringComparer.Ordinal);
        var texts = new HashSet<string>(StringComparer.Ordinal);
        var lastSeq = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ReceivedMessage message in history)
        {
            Assert.True(byId.TryAdd(message.Id, message), $"id {message.Id} appears twice");
            Assert.True(texts.Add(message.Text), $"the message '{message.Text}' is stored twice");
            Assert.True(sentBy.TryGetValue(message.User, out HashSet<string>? sent), $"a message from '{message.User}', who never sent anything: '{message.Text}'");
            Assert.True(sent!.Contains(message.Text), $"'{message.Text}' from {message.User} was never sent (corrupted or invented)");
            int seq = int.Parse(message.Text[(message.Text.LastIndexOf('#') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(!lastSeq.TryGetValue(message.User, out int previous) || previous < seq,
                $"{message.User}'s message #{seq} is stored after its #{previous}");
            lastSeq[message.User] = seq;
        }

        int acked = 0, storedNotAcked = 0, sentNotStored = 0;
        foreach (SenderRecord sender in senders)
        {
            foreach ((string reference, string text) in sender.Sent)
            {
                if (sender.Acks.TryGetValue(reference, out string? id))
                {
                    acked++;
                    Assert.True(byId.TryGetValue(id, out ReceivedMessage? stored), $"acknowledged message {id} ('{text}') is missing from history");
                    Assert.Equal(text, stored!.Text);
                    Assert.Equal(sender.Name, stored.User);
                }
                else if (texts.Contains(text))
                    storedNotAcked++;
                else
                    sentNotStored++;
            }
        }
        return new HistoryCheck(history.Count, acked, storedNotAcked, sentNotStored);
    }
}
