using RawSocketChat.Storage;

namespace RawSocketChat.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="IChatStore"/> must have. An implementation is tested by a subclass that says how
/// to make an empty store (<see cref="CreateStoreAsync"/>) and, when its data outlives the object, how to open it
/// again (<see cref="ReopenAsync"/>). The MongoDB store adds its own subclass; nothing here may depend on SQLite.
/// </summary>
public abstract class StoreConformanceTests : IAsyncLifetime
{
    protected IChatStore Store { get; private set; } = null!;

    /// <summary>A new, empty store.</summary>
    protected abstract Task<IChatStore> CreateStoreAsync();

    /// <summary>Whether <see cref="ReopenAsync"/> is supported (false for stores whose data dies with them).</summary>
    protected virtual bool CanReopen => false;

    /// <summary>Opens the same data again after <paramref name="closed"/> was disposed.</summary>
    protected virtual Task<IChatStore> ReopenAsync(IChatStore closed) => throw new NotSupportedException();

    /// <summary>Removes whatever <see cref="CreateStoreAsync"/> left behind (files, databases).</summary>
    protected virtual Task CleanupAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await CleanupAsync();
    }

    protected static readonly DateTime T0 = new(2026, 11, 27, 10, 0, 0, 123, DateTimeKind.Utc);

    private static UserRecord User(string name, Role role = Role.Member) =>
        new(name, "pbkdf2-sha256$1000$c2FsdA==$aGFzaA==", "#3b82f6", role, T0);

    private static int _counter;

    private static string NextId() => MessageIdGenerator.Format(1_800_000_000, (ulong)Interlocked.Increment(ref _counter));

    private static MessageRecord Message(string room, string user, string text, string? reference = null, bool guest = false) =>
        new(NextId(), room, user, "#ef4444", text, T0, reference, guest);

    // ---- Users ----

    [Fact]
    public async Task Users_are_found_by_name_ignoring_case_with_every_field_kept()
    {
        Assert.True(await Store.CreateUserAsync(User("Alice")));
        UserRecord? found = await Store.FindUserAsync("aLICE");
        Assert.NotNull(found);
        Assert.Equal(User("Alice"), found);
        Assert.Equal(DateTimeKind.Utc, found.CreatedAt.Kind);
        Assert.Null(await Store.FindUserAsync("bob"));
    }

    [Fact]
    public async Task A_user_name_is_unique_ignoring_case()
    {
        Assert.True(await Store.CreateUserAsync(User("alice")));
        Assert.False(await Store.CreateUserAsync(User("ALICE") with { Color = "#000000" }));
        Assert.Equal("alice", (await Store.FindUserAsync("Alice"))!.Name);
        Assert.Equal("#3b82f6", (await Store.FindUserAsync("Alice"))!.Color);
    }

    [Fact]
    public async Task Roles_can_be_changed()
    {
        await Store.CreateUserAsync(User("alice"));
        Assert.True(await Store.SetUserRoleAsync("ALICE", Role.Admin));
        Assert.Equal(Role.Admin, (await Store.FindUserAsync("alice"))!.Role);
        Assert.True(await Store.SetUserRoleAsync("alice", Role.Moderator));
        Assert.Equal(Role.Moderator, (await Store.FindUserAsync("alice"))!.Role);
        Assert.False(await Store.SetUserRoleAsync("nobody", Role.Admin));
    }

    // ---- Sessions ----

    [Fact]
    public async Task Sessions_are_found_by_token_hash_until_they_expire()
    {
        await Store.CreateUserAsync(User("Alice"));
        byte[] hash = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var session = new SessionRecord(hash, "alice", T0, T0.AddDays(30));
        await Store.CreateSessionAsync(session);

        SessionRecord? found = await Store.FindSessionAsync((byte[])hash.Clone(), T0.AddDays(1));
        Assert.NotNull(found);
        Assert.Equal("Alice", found.UserName); // the account's spelling
        Assert.Equal(hash, found.TokenHash);
        Assert.Equal(T0, found.CreatedAt);
        Assert.Equal(T0.AddDays(30), found.ExpiresAt);

        Assert.Null(await Store.FindSessionAsync(hash, T0.AddDays(30)));
        Assert.Null(await Store.FindSessionAsync(new byte[32], T0));
    }

    [Fact]
    public async Task Deleting_a_session_revokes_it()
    {
        await Store.CreateUserAsync(User("alice"));
        byte[] hash = new byte[32];
        hash[0] = 7;
        await Store.CreateSessionAsync(new SessionRecord(hash, "alice", T0, T0.AddDays(1)));
        Assert.True(await Store.DeleteSessionAsync(hash));
        Assert.Null(await Store.FindSessionAsync(hash, T0));
        Assert.False(await Store.DeleteSessionAsync(hash));
    }

    [Fact]
    public async Task Expired_sessions_are_removed_in_bulk()
    {
        await Store.CreateUserAsync(User("alice"));
        for (int i = 0; i < 5; i++)
        {
            byte[] hash = new byte[32];
            hash[0] = (byte)i;
            await Store.CreateSessionAsync(new SessionRecord(hash, "alice", T0, T0.AddHours(i + 1)));
        }
        Assert.Equal(3, await Store.DeleteExpiredSessionsAsync(T0.AddHours(3)));
        Assert.Equal(0, await Store.DeleteExpiredSessionsAsync(T0.AddHours(3)));
        byte[] kept = new byte[32];
        kept[0] = 4;
        Assert.NotNull(await Store.FindSessionAsync(kept, T0));
    }

    // ---- Rooms ----

    [Fact]
    public async Task Rooms_are_unique_ignoring_case_and_listed_by_name()
    {
        Assert.True(await Store.CreateRoomAsync(new RoomRecord("lobby", null, T0)));
        Assert.True(await Store.CreateRoomAsync(new RoomRecord("Dev", "alice", T0)));
        Assert.True(await Store.CreateRoomAsync(new RoomRecord("attic", "bob", T0)));
        Assert.False(await Store.CreateRoomAsync(new RoomRecord("DEV", "carol", T0)));

        Assert.Equal(["attic", "Dev", "lobby"], (await Store.ListRoomsAsync()).Select(r => r.Name));
        Assert.Equal(new RoomRecord("Dev", "alice", T0), await Store.FindRoomAsync("dev"));
        Assert.Equal(new RoomRecord("lobby", null, T0), await Store.FindRoomAsync("LOBBY"));
        Assert.Null(await Store.FindRoomAsync("nowhere"));
    }

    [Fact]
    public async Task Room_membership_is_kept_with_the_members_current_color_and_role()
    {
        await Store.CreateRoomAsync(new RoomRecord("lobby", null, T0));
        await Store.CreateUserAsync(User("Bob"));
        await Store.CreateUserAsync(User("alice", Role.Admin));

        Assert.True(await Store.AddRoomMemberAsync("LOBBY", "bob", T0));
        Assert.False(await Store.AddRoomMemberAsync("lobby", "BOB", T0));
        Assert.True(await Store.AddRoomMemberAsync("lobby", "alice", T0));
        Assert.Equal(
            [new RoomMemberRecord("alice", "#3b82f6", Role.Admin), new RoomMemberRecord("Bob", "#3b82f6", Role.Member)],
            await Store.ListRoomMembersAsync("Lobby"));

        await Store.SetUserRoleAsync("bob", Role.Moderator);
        Assert.Contains(new RoomMemberRecord("Bob", "#3b82f6", Role.Moderator), await Store.ListRoomMembersAsync("lobby"));

        Assert.True(await Store.RemoveRoomMemberAsync("lobby", "ALICE"));
        Assert.False(await Store.RemoveRoomMemberAsync("lobby", "alice"));
        Assert.Equal(["Bob"], (await Store.ListRoomMembersAsync("lobby")).Select(m => m.Name));
        Assert.Empty(await Store.ListRoomMembersAsync("elsewhere"));
    }

    // ---- Messages ----

    [Fact]
    public async Task Appended_messages_come_back_latest_first_in_pages_ordered_oldest_first()
    {
        var sent = new List<MessageRecord>();
        for (int i = 0; i < 25; i++)
            sent.Add(Message("lobby", "alice", $"m{i}"));
        IReadOnlyList<AppendResult> results = await Store.AppendMessagesAsync(sent);
        Assert.Equal(sent, results.Select(r => r.Stored));
        Assert.All(results, r => Assert.False(r.Duplicate));

        Assert.Equal(sent.Skip(15).Select(m => m.Id), (await Store.GetMessagesAsync("lobby", null, 10)).Select(m => m.Id));
        Assert.Equal(sent.Skip(5).Take(10), await Store.GetMessagesAsync("LOBBY", sent[15].Id, 10));
        Assert.Equal(sent.Take(5), await Store.GetMessagesAsync("lobby", sent[5].Id, 10));
        Assert.Empty(await Store.GetMessagesAsync("lobby", sent[0].Id, 10));
        Assert.Equal(sent, await Store.GetMessagesAsync("lobby", null, 100));
        Assert.Empty(await Store.GetMessagesAsync("lobby", null, 0));
    }

    [Fact]
    public async Task Rooms_do_not_see_each_others_messages()
    {
        MessageRecord a = Message("lobby", "alice", "in lobby");
        MessageRecord b = Message("Dev", "alice", "in dev");
        await Store.AppendMessagesAsync([a, b]);
        Assert.Equal([a], await Store.GetMessagesAsync("lobby", null, 50));
        Assert.Equal([b], await Store.GetMessagesAsync("dev", null, 50));
        Assert.Empty(await Store.GetMessagesAsync("attic", null, 50));
    }

    [Fact]
    public async Task Every_field_of_a_message_round_trips()
    {
        var message = new MessageRecord(NextId(), "lobby", "Zoë-is-not-valid-but-stored", "#00ff00",
            "line 1\nline 2\ttab — ünïcödé 🙂 \"quotes\" 'single' <b>&amp;</b> \\ back", T0.AddTicks(9999), "ref-1", Guest: true);
        await Store.AppendMessagesAsync([message]);
        MessageRecord stored = (await Store.GetMessagesAsync("lobby", null, 1)).Single();
        Assert.Equal(message with { Timestamp = T0 }, stored); // times keep millisecond precision
        Assert.Equal(DateTimeKind.Utc, stored.Timestamp.Kind);
    }

    [Fact]
    public async Task A_ref_already_stored_returns_the_earlier_message_as_a_duplicate()
    {
        MessageRecord first = Message("lobby", "alice", "hello", "c17");
        await Store.AppendMessagesAsync([first]);

        MessageRecord retry = Message("LOBBY", "ALICE", "hello again", "c17");
        AppendResult result = (await Store.AppendMessagesAsync([retry])).Single();
        Assert.True(result.Duplicate);
        Assert.Equal(first, result.Stored);
        Assert.Equal([first], await Store.GetMessagesAsync("lobby", null, 10));
    }

    [Fact]
    public async Task A_ref_repeated_within_one_batch_is_stored_once()
    {
        MessageRecord a = Message("lobby", "alice", "one", "r1");
        MessageRecord b = Message("lobby", "alice", "one", "r1");
        MessageRecord c = Message("lobby", "alice", "two", "r2");
        IReadOnlyList<AppendResult> results = await Store.AppendMessagesAsync([a, b, c]);
        Assert.Equal([false, true, false], results.Select(r => r.Duplicate));
        Assert.Equal(a.Id, results[1].Stored.Id);
        Assert.Equal([a, c], await Store.GetMessagesAsync("lobby", null, 10));
    }

    [Fact]
    public async Task Refs_are_scoped_to_the_user_and_to_guest_or_registered_and_a_missing_ref_never_matches()
    {
        IReadOnlyList<AppendResult> results = await Store.AppendMessagesAsync(
        [
            Message("lobby", "alice", "x", "same"),
            Message("lobby", "bob", "x", "same"),
            Message("lobby", "alice", "x", "same", guest: true),
            Message("lobby", "alice", "x"),
            Message("lobby", "alice", "x"),
        ]);
        Assert.All(results, r => Assert.False(r.Duplicate));
        Assert.Equal(5, (await Store.GetMessagesAsync("lobby", null, 10)).Count);
    }

    [Fact]
    public async Task The_latest_message_id_is_the_greatest_stored()
    {
        Assert.Null(await Store.GetLatestMessageIdAsync());
        MessageRecord a = Message("lobby", "alice", "a");
        MessageRecord b = Message("dev", "alice", "b");
        await Store.AppendMessagesAsync([a]);
        await Store.AppendMessagesAsync([b]);
        Assert.Equal(b.Id, await Store.GetLatestMessageIdAsync());
    }

    [Fact]
    public async Task A_large_batch_is_stored_whole()
    {
        List<MessageRecord> batch = Enumerable.Range(0, 2000).Select(i => Message("lobby", $"user{i % 7}", $"m{i}", $"r{i}")).ToList();
        IReadOnlyList<AppendResult> results = await Store.AppendMessagesAsync(batch);
        Assert.Equal(2000, results.Count);
        Assert.Equal(batch.TakeLast(100), await Store.GetMessagesAsync("lobby", null, 100));
    }

    [Fact]
    public async Task Concurrent_callers_are_all_served()
    {
        await Store.CreateRoomAsync(new RoomRecord("lobby", null, T0));
        Task[] work = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            await Store.CreateUserAsync(User($"user{t}"));
            for (int i = 0; i < 25; i++)
            {
                await Store.AppendMessagesAsync([Message("lobby", $"user{t}", $"{t}:{i}", $"{i}")]);
                await Store.GetMessagesAsync("lobby", null, 5);
                await Store.FindUserAsync($"user{(t + 1) % 8}");
            }
        })).ToArray();
        await Task.WhenAll(work).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(200, (await Store.GetMessagesAsync("lobby", null, 1000)).Count);
    }

    [Fact]
    public async Task Everything_survives_reopening()
    {
        if (!CanReopen)
            return; // this store keeps nothing after disposal, by design
        await Store.CreateUserAsync(User("alice"));
        await Store.CreateRoomAsync(new RoomRecord("lobby", null, T0));
        await Store.AddRoomMemberAsync("lobby", "alice", T0);
        byte[] hash = new byte[32];
        hash[31] = 1;
        await Store.CreateSessionAsync(new SessionRecord(hash, "alice", T0, T0.AddDays(1)));
        MessageRecord message = Message("lobby", "alice", "persistent", "p1");
        await Store.AppendMessagesAsync([message]);

        IChatStore old = Store;
        await old.DisposeAsync();
        Store = await ReopenAsync(old);

        Assert.Equal(User("alice"), await Store.FindUserAsync("alice"));
        Assert.NotNull(await Store.FindRoomAsync("lobby"));
        Assert.Single(await Store.ListRoomMembersAsync("lobby"));
        Assert.NotNull(await Store.FindSessionAsync(hash, T0));
        Assert.Equal([message], await Store.GetMessagesAsync("lobby", null, 10));
        Assert.Equal(message.Id, await Store.GetLatestMessageIdAsync());
        Assert.True((await Store.AppendMessagesAsync([Message("lobby", "alice", "again", "p1")])).Single().Duplicate);
    }
}
