using System.Diagnostics;
using RawSocketChat.Storage;
using Xunit.Abstractions;

namespace RawSocketChat.Tests.Storage;

/// <summary>The batching writer: ids in queue order, one commit per batch, results only after the commit.</summary>
public sealed class MessageWriterTests(ITestOutputHelper output)
{
    private static PendingMessage Pending(string text, string? reference = null, string user = "alice") =>
        new("lobby", user, "#ef4444", text, reference, guest: false);

    [Fact]
    public async Task Messages_get_increasing_ids_in_queue_order_and_are_stored_before_they_complete()
    {
        await using SqliteChatStore store = SqliteChatStore.OpenInMemory();
        var reported = new List<PendingMessage>();
        var writer = new MessageWriter(store, new MessageIdGenerator(), batch =>
        {
            // By the time a batch is reported, it is in the store.
            IReadOnlyList<MessageRecord> stored = store.GetMessagesAsync("lobby", null, 10_000).GetAwaiter().GetResult();
            Assert.All(batch, p => Assert.Contains(stored, m => m.Id == p.Result!.Value.Stored.Id));
            lock (reported) reported.AddRange(batch);
        });
        List<PendingMessage> pending = Enumerable.Range(0, 1000).Select(i => Pending($"m{i}")).ToList();
        foreach (PendingMessage p in pending)
            await writer.EnqueueAsync(p);
        AppendResult[] results = await Task.WhenAll(pending.Select(p => p.Completion)).WaitAsync(TimeSpan.FromSeconds(30));
        await writer.DisposeAsync();

        string[] ids = results.Select(r => r.Stored.Id).ToArray();
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Equal(1000, ids.Distinct().Count());
        Assert.Equal(pending.Select(p => p.Text), results.Select(r => r.Stored.Text));
        Assert.Equal(pending, reported); // the callback saw every message once, in id order
        Assert.Equal(1000, writer.Stored);
        Assert.True(writer.Batches < 1000, $"expected batching, got {writer.Batches} commits for 1000 messages");
    }

    [Fact]
    public async Task Duplicates_by_ref_complete_with_the_first_message()
    {
        await using SqliteChatStore store = SqliteChatStore.OpenInMemory();
        await using var writer = new MessageWriter(store, new MessageIdGenerator());
        PendingMessage a = Pending("hi", "c1"), b = Pending("hi", "c1"), other = Pending("hi", "c1", user: "bob");
        await writer.EnqueueAsync(a);
        await writer.EnqueueAsync(b);
        await writer.EnqueueAsync(other);
        AppendResult ra = await a.Completion, rb = await b.Completion, ro = await other.Completion;
        Assert.False(ra.Duplicate);
        Assert.True(rb.Duplicate);
        Assert.Equal(ra.Stored.Id, rb.Stored.Id);
        Assert.False(ro.Duplicate);
    }

    [Fact]
    public async Task A_failed_commit_fails_its_messages_and_the_writer_goes_on()
    {
        await using SqliteChatStore inner = SqliteChatStore.OpenInMemory();
        var store = new FlakyStore(inner) { FailNext = true };
        var errors = new List<Exception>();
        var reported = new List<PendingMessage>();
        await using var writer = new MessageWriter(store, new MessageIdGenerator(), batch => { lock (reported) reported.AddRange(batch); }, e => { lock (errors) errors.Add(e); });

        PendingMessage doomed = Pending("lost");
        await writer.EnqueueAsync(doomed);
        await Assert.ThrowsAsync<IOException>(() => doomed.Completion);
        Assert.IsType<IOException>(doomed.Error);

        PendingMessage fine = Pending("kept");
        await writer.EnqueueAsync(fine);
        Assert.False((await fine.Completion).Duplicate);
        lock (reported) Assert.Contains(doomed, reported);
        lock (errors) Assert.Single(errors);
    }

    [Fact]
    public async Task Draining_waits_for_everything_queued_before_it_and_reports_no_message_of_its_own()
    {
        await using SqliteChatStore store = SqliteChatStore.OpenInMemory();
        var reported = new List<PendingMessage>();
        await using var writer = new MessageWriter(store, new MessageIdGenerator(), batch => { lock (reported) reported.AddRange(batch); }, maxBatch: 7);
        await writer.DrainAsync(); // nothing queued: done at once

        PendingMessage[] queued = Enumerable.Range(0, 100).Select(i => Pending($"m{i}")).ToArray();
        foreach (PendingMessage message in queued)
            await writer.EnqueueAsync(message);
        await writer.DrainAsync();
        Assert.All(queued, m => Assert.True(m.Completion.IsCompletedSuccessfully));
        Assert.Equal(100, (await store.GetMessagesAsync("lobby", null, 200)).Count);
        lock (reported) Assert.Equal(queued, reported); // the barrier is no message: never reported, never stored
        Assert.Equal(100, writer.Stored);
    }

    [Fact]
    public async Task Disposing_stores_everything_already_queued_then_refuses_more()
    {
        string folder = Path.Combine(Path.GetTempPath(), "rawsocketchat-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using (SqliteChatStore store = SqliteChatStore.OpenFile(Path.Combine(folder, "w.db")))
            {
                var writer = new MessageWriter(store, new MessageIdGenerator());
                List<PendingMessage> pending = Enumerable.Range(0, 3000).Select(i => Pending($"m{i}")).ToList();
                foreach (PendingMessage p in pending)
                    await writer.EnqueueAsync(p);
                await writer.DisposeAsync();
                Assert.All(pending, p => Assert.True(p.Completion.IsCompletedSuccessfully));
                await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await writer.EnqueueAsync(Pending("late")));
                Assert.Equal(100, (await store.GetMessagesAsync("lobby", null, 100)).Count);
            }
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Twenty_thousand_messages_from_many_senders_are_stored_in_few_fsynced_commits()
    {
        string folder = Path.Combine(Path.GetTempPath(), "rawsocketchat-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using SqliteChatStore store = SqliteChatStore.OpenFile(Path.Combine(folder, "load.db"));
            var writer = new MessageWriter(store, new MessageIdGenerator());
            var clock = Stopwatch.StartNew();
            // 100 senders queueing 200 messages each, as fast as they can.
            Task[] senders = Enumerable.Range(0, 100).Select(s => Task.Run(async () =>
            {
                var mine = new List<PendingMessage>();
                for (int i = 0; i < 200; i++)
                {
                    var p = new PendingMessage("lobby", $"user{s}", "#ef4444", $"message {i} from {s}", $"{i}", guest: false);
                    mine.Add(p);
                    await writer.EnqueueAsync(p);
                }
                await Task.WhenAll(mine.Select(p => p.Completion));
            })).ToArray();
            await Task.WhenAll(senders).WaitAsync(TimeSpan.FromSeconds(60));
            clock.Stop();
            await writer.DisposeAsync();

            Assert.Equal(20_000, writer.Stored);
            output.WriteLine($"{writer.Stored} messages in {writer.Batches} commits, {clock.Elapsed.TotalMilliseconds:0} ms: {writer.Stored / clock.Elapsed.TotalSeconds:0} messages/s (synchronous=FULL)");
            Assert.True(writer.Batches <= writer.Stored / 10, "commits should carry many messages each under load");
            Assert.Equal(100, (await store.GetMessagesAsync("lobby", null, 100)).Count);
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Ids_continue_after_the_greatest_stored_one()
    {
        await using SqliteChatStore store = SqliteChatStore.OpenInMemory();
        string future = MessageIdGenerator.Format(uint.MaxValue - 1, 41);
        await store.AppendMessagesAsync([new MessageRecord(future, "lobby", "old", "#000000", "from the future", DateTime.UtcNow)]);
        await using var writer = new MessageWriter(store, new MessageIdGenerator(await store.GetLatestMessageIdAsync()));
        PendingMessage next = Pending("now");
        await writer.EnqueueAsync(next);
        Assert.True(string.CompareOrdinal((await next.Completion).Stored.Id, future) > 0);
    }

    /// <summary>A store whose next append fails, as a full disk would.</summary>
    private sealed class FlakyStore(IChatStore inner) : IChatStore
    {
        public bool FailNext { get; set; }

        public Task<IReadOnlyList<AppendResult>> AppendMessagesAsync(IReadOnlyList<MessageRecord> messages, CancellationToken cancellationToken = default)
        {
            if (FailNext)
            {
                FailNext = false;
                throw new IOException("disk full");
            }
            return inner.AppendMessagesAsync(messages, cancellationToken);
        }

        public Task<bool> CreateUserAsync(UserRecord user, CancellationToken cancellationToken = default) => inner.CreateUserAsync(user, cancellationToken);
        public Task<UserRecord?> FindUserAsync(string name, CancellationToken cancellationToken = default) => inner.FindUserAsync(name, cancellationToken);
        public Task<bool> SetUserRoleAsync(string name, Role role, CancellationToken cancellationToken = default) => inner.SetUserRoleAsync(name, role, cancellationToken);
        public Task CreateSessionAsync(SessionRecord session, CancellationToken cancellationToken = default) => inner.CreateSessionAsync(session, cancellationToken);
        public Task<SessionRecord?> FindSessionAsync(byte[] tokenHash, DateTime now, CancellationToken cancellationToken = default) => inner.FindSessionAsync(tokenHash, now, cancellationToken);
        public Task<bool> DeleteSessionAsync(byte[] tokenHash, CancellationToken cancellationToken = default) => inner.DeleteSessionAsync(tokenHash, cancellationToken);
        public Task<int> DeleteExpiredSessionsAsync(DateTime now, CancellationToken cancellationToken = default) => inner.DeleteExpiredSessionsAsync(now, cancellationToken);
        public Task<IReadOnlyList<MessageRecord>> SearchMessagesAsync(SearchQuery query, IReadOnlyCollection<string> rooms, string? user, string? beforeId, int limit,
            CancellationToken cancellationToken = default) => inner.SearchMessagesAsync(query, rooms, user, beforeId, limit, cancellationToken);
        public Task<AccountDeletion?> DeleteUserAsync(string name, DateTime deletedAt, CancellationToken cancellationToken = default) =>
            inner.DeleteUserAsync(name, deletedAt, cancellationToken);
        public Task<bool> IsNameRetiredAsync(string name, CancellationToken cancellationToken = default) => inner.IsNameRetiredAsync(name, cancellationToken);
        public Task<bool> SetUserNameSpellingAsync(string name, string spelling, CancellationToken cancellationToken = default) =>
            inner.SetUserNameSpellingAsync(name, spelling, cancellationToken);
        public Task<bool> CreateRoomAsync(RoomRecord room, CancellationToken cancellationToken = default) => inner.CreateRoomAsync(room, cancellationToken);
        public Task<RoomRecord?> FindRoomAsync(string name, CancellationToken cancellationToken = default) => inner.FindRoomAsync(name, cancellationToken);
        public Task<IReadOnlyList<RoomRecord>> ListRoomsAsync(CancellationToken cancellationToken = default) => inner.ListRoomsAsync(cancellationToken);
        public Task<bool> AddRoomMemberAsync(string room, string user, DateTime joinedAt, CancellationToken cancellationToken = default) => inner.AddRoomMemberAsync(room, user, joinedAt, cancellationToken);
        public Task<bool> RemoveRoomMemberAsync(string room, string user, CancellationToken cancellationToken = default) => inner.RemoveRoomMemberAsync(room, user, cancellationToken);
        public Task<IReadOnlyList<RoomMemberRecord>> ListRoomMembersAsync(string room, CancellationToken cancellationToken = default) => inner.ListRoomMembersAsync(room, cancellationToken);
        public Task<IReadOnlyList<MessageRecord>> GetMessagesAsync(string room, string? beforeId, int limit, CancellationToken cancellationToken = default) => inner.GetMessagesAsync(room, beforeId, limit, cancellationToken);
        public Task<string?> GetLatestMessageIdAsync(CancellationToken cancellationToken = default) => inner.GetLatestMessageIdAsync(cancellationToken);
        public Task<MessageRecord?> FindMessageAsync(string id, CancellationToken cancellationToken = default) => inner.FindMessageAsync(id, cancellationToken);
        public Task<MessageRecord?> EditMessageAsync(string id, string text, DateTime editedAt, MessageMentions? mentions = null, CancellationToken cancellationToken = default) => inner.EditMessageAsync(id, text, editedAt, mentions, cancellationToken);
        public Task<MessageRecord?> DeleteMessageAsync(string id, DateTime deletedAt, string? moderator = null, CancellationToken cancellationToken = default) => inner.DeleteMessageAsync(id, deletedAt, moderator, cancellationToken);
        public Task<ReactionOutcome> AddReactionAsync(string messageId, ReactionRecord reaction, int maxEmoji, CancellationToken cancellationToken = default) => inner.AddReactionAsync(messageId, reaction, maxEmoji, cancellationToken);
        public Task<ReactionOutcome> RemoveReactionAsync(string messageId, string emoji, string user, bool guest, CancellationToken cancellationToken = default) => inner.RemoveReactionAsync(messageId, emoji, user, guest, cancellationToken);
        public Task<string> MarkReadAsync(string user, string room, string messageId, CancellationToken cancellationToken = default) => inner.MarkReadAsync(user, room, messageId, cancellationToken);
        public Task<IReadOnlyList<ReadPosition>> GetReadPositionsAsync(string user, CancellationToken cancellationToken = default) => inner.GetReadPositionsAsync(user, cancellationToken);
        public Task<UnreadCount> CountUnreadAsync(string user, string room, string? afterId, int cap, CancellationToken cancellationToken = default) => inner.CountUnreadAsync(user, room, afterId, cap, cancellationToken);
        public Task<bool> SetUserColorAsync(string name, string color, CancellationToken cancellationToken = default) => inner.SetUserColorAsync(name, color, cancellationToken);
        public Task<bool> SetPasswordHashAsync(string name, string passwordHash, CancellationToken cancellationToken = default) => inner.SetPasswordHashAsync(name, passwordHash, cancellationToken);
        public Task<int> DeleteUserSessionsAsync(string name, byte[]? keepTokenHash, CancellationToken cancellationToken = default) => inner.DeleteUserSessionsAsync(name, keepTokenHash, cancellationToken);
        public Task<bool> SetRoomTopicAsync(string room, string? topic, CancellationToken cancellationToken = default) => inner.SetRoomTopicAsync(room, topic, cancellationToken);
        public Task SetBanAsync(BanRecord ban, CancellationToken cancellationToken = default) => inner.SetBanAsync(ban, cancellationToken);
        public Task<bool> RemoveBanAsync(string name, DateTime now, CancellationToken cancellationToken = default) => inner.RemoveBanAsync(name, now, cancellationToken);
        public Task<IReadOnlyList<BanRecord>> ListBansAsync(DateTime now, CancellationToken cancellationToken = default) => inner.ListBansAsync(now, cancellationToken);
        public Task SetMuteAsync(MuteRecord mute, CancellationToken cancellationToken = default) => inner.SetMuteAsync(mute, cancellationToken);
        public Task<bool> RemoveMuteAsync(string name, DateTime now, CancellationToken cancellationToken = default) => inner.RemoveMuteAsync(name, now, cancellationToken);
        public Task<IReadOnlyList<MuteRecord>> ListMutesAsync(DateTime now, CancellationToken cancellationToken = default) => inner.ListMutesAsync(now, cancellationToken);
        public Task AppendModerationAsync(ModerationRecord entry, CancellationToken cancellationToken = default) => inner.AppendModerationAsync(entry, cancellationToken);
        public Task<IReadOnlyList<ModerationRecord>> GetModerationLogAsync(string? beforeId, int limit, CancellationToken cancellationToken = default) => inner.GetModerationLogAsync(beforeId, limit, cancellationToken);
        public Task<long> CountUsersAsync(CancellationToken cancellationToken = default) => inner.CountUsersAsync(cancellationToken);
        public Task<IReadOnlyList<RoomMessageCount>> CountMessagesPerRoomAsync(CancellationToken cancellationToken = default) => inner.CountMessagesPerRoomAsync(cancellationToken);
        public Task<IReadOnlyList<UserMessageCount>> CountMessagesPerUserAsync(int limit, CancellationToken cancellationToken = default) => inner.CountMessagesPerUserAsync(limit, cancellationToken);
        public Task<IReadOnlyList<RoomUserMessageCount>> CountMessagesPerRoomAndUserAsync(IReadOnlyCollection<string> rooms, int limit, CancellationToken cancellationToken = default) => inner.CountMessagesPerRoomAndUserAsync(rooms, limit, cancellationToken);
        public Task<IReadOnlyList<HourMessageCount>> CountMessagesPerHourAsync(DateTime from, DateTime to, CancellationToken cancellationToken = default) => inner.CountMessagesPerHourAsync(from, to, cancellationToken);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
