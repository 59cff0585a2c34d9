using RawSocketChat.Storage;

namespace RawSocketChat.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="IChatStore"/> must have. An implementation is tested by a subclass that says how
/// to make an empty store (<see cref="CreateStoreAsync"/>) and, when its data outlives the object, how to open it
/// again (<see cref="ReopenAsync"/>). The MongoDB store adds its own subclass; nothing here may depend on SQLite.
/// Tests are <c>[SkippableFact]</c>: a subclass whose server is absent (MongoDB) skips them by calling <c>Skip.If</c> in
/// <see cref="CreateStoreAsync"/>, and the run reports them as skipped rather than failed.
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

    [SkippableFact]
    public async Task Users_are_found_by_name_ignoring_case_with_every_field_kept()
    {
        Assert.True(await Store.CreateUserAsync(User("Alice")));
        UserRecord? found = await Store.FindUserAsync("aLICE");
        Assert.NotNull(found);
        Assert.Equal(User("Alice"), found);
        Assert.Equal(DateTimeKind.Utc, found.CreatedAt.Kind);
        Assert.Null(await Store.FindUserAsync("bob"));
    }

    [SkippableFact]
    public async Task A_user_name_is_unique_ignoring_case()
    {
        Assert.True(await Store.CreateUserAsync(User("alice")));
        Assert.False(await Store.CreateUserAsync(User("ALICE") with { Color = "#000000" }));
        Assert.Equal("alice", (await Store.FindUserAsync("Alice"))!.Name);
        Assert.Equal("#3b82f6", (await Store.FindUserAsync("Alice"))!.Color);
    }

    [SkippableFact]
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

    [SkippableFact]
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

    [SkippableFact]
    public async Task A_new_password_hash_replaces_the_old_and_a_users_other_sessions_can_be_revoked_at_once()
    {
        await Store.CreateUserAsync(User("Alice"));
        await Store.CreateUserAsync(User("bob"));
        Assert.True(await Store.SetUserColorAsync("alice", "#10b981"));
        Assert.Equal("#10b981", (await Store.FindUserAsync("ALICE"))!.Color);
        Assert.False(await Store.SetUserColorAsync("nobody", "#10b981"));
        Assert.True(await Store.SetUserNameSpellingAsync("alice", "ALICE"));
        Assert.Equal("ALICE", (await Store.FindUserAsync("alice"))!.Name);
        Assert.False(await Store.SetUserNameSpellingAsync("nobody", "NOBODY"));
        Assert.True(await Store.SetPasswordHashAsync("ALICE", "pbkdf2-sha256$1000$bmV3$bmV3"));
        Assert.Equal("pbkdf2-sha256$1000$bmV3$bmV3", (await Store.FindUserAsync("alice"))!.PasswordHash);
        Assert.False(await Store.SetPasswordHashAsync("nobody", "x"));

        byte[] phone = [1, 1, 1], laptop = [2, 2, 2], tablet = [3, 3, 3], bobs = [4, 4, 4];
        foreach ((byte[] hash, string user) in new[] { (phone, "alice"), (laptop, "Alice"), (tablet, "alice"), (bobs, "bob") })
            await Store.CreateSessionAsync(new SessionRecord(hash, user, T0, T0.AddDays(30)));

        Assert.Equal(2, await Store.DeleteUserSessionsAsync("alice", keepTokenHash: phone));
        Assert.NotNull(await Store.FindSessionAsync(phone, T0));
        Assert.Null(await Store.FindSessionAsync(laptop, T0));
        Assert.Null(await Store.FindSessionAsync(tablet, T0));
        Assert.NotNull(await Store.FindSessionAsync(bobs, T0)); // someone else's stay
        Assert.Equal(1, await Store.DeleteUserSessionsAsync("ALICE", keepTokenHash: null));
        Assert.Null(await Store.FindSessionAsync(phone, T0));
    }

    [SkippableFact]
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

    [SkippableFact]
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

    [SkippableFact]
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

    [SkippableFact]
    public async Task A_room_topic_is_set_replaced_and_cleared_and_listed_with_the_room()
    {
        await Store.CreateRoomAsync(new RoomRecord("Dev", "alice", T0));
        Assert.Null((await Store.FindRoomAsync("dev"))!.Topic);
        Assert.True(await Store.SetRoomTopicAsync("DEV", "Release 2.0 on Friday 🚀"));
        Assert.Equal(new RoomRecord("Dev", "alice", T0, "Release 2.0 on Friday 🚀"), await Store.FindRoomAsync("dev"));
        Assert.Equal("Release 2.0 on Friday 🚀", (await Store.ListRoomsAsync()).Single(r => r.Name == "Dev").Topic);
        Assert.True(await Store.SetRoomTopicAsync("dev", null));
        Assert.Null((await Store.FindRoomAsync("dev"))!.Topic);
        Assert.False(await Store.SetRoomTopicAsync("nowhere", "x"));
    }

    [SkippableFact]
    public async Task A_private_room_is_kept_as_private()
    {
        await Store.CreateRoomAsync(new RoomRecord("Secret", "alice", T0, Private: true));
        await Store.CreateRoomAsync(new RoomRecord("open", "alice", T0));
        Assert.Equal(new RoomRecord("Secret", "alice", T0, Private: true), await Store.FindRoomAsync("secret"));
        Assert.Equal([("open", false), ("Secret", true)], (await Store.ListRoomsAsync()).Where(r => r.Name is "open" or "Secret").Select(r => (r.Name, r.Private)));
    }

    [SkippableFact]
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

    [SkippableFact]
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

    [SkippableFact]
    public async Task Rooms_do_not_see_each_others_messages()
    {
        MessageRecord a = Message("lobby", "alice", "in lobby");
        MessageRecord b = Message("Dev", "alice", "in dev");
        await Store.AppendMessagesAsync([a, b]);
        Assert.Equal([a], await Store.GetMessagesAsync("lobby", null, 50));
        Assert.Equal([b], await Store.GetMessagesAsync("dev", null, 50));
        Assert.Empty(await Store.GetMessagesAsync("attic", null, 50));
    }

    [SkippableFact]
    public async Task Every_field_of_a_message_round_trips()
    {
        var message = new MessageRecord(NextId(), "lobby", "Zoë-is-not-valid-but-stored", "#00ff00",
            "line 1\nline 2\ttab — ünïcödé 🙂 \"quotes\" 'single' <b>&amp;</b> \\ back", T0.AddTicks(9999), "ref-1", Guest: true);
        await Store.AppendMessagesAsync([message]);
        MessageRecord stored = (await Store.GetMessagesAsync("lobby", null, 1)).Single();
        Assert.Equal(message with { Timestamp = T0 }, stored); // times keep millisecond precision
        Assert.Equal(DateTimeKind.Utc, stored.Timestamp.Kind);
    }

    [SkippableFact]
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

    [SkippableFact]
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

    [SkippableFact]
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

    [SkippableFact]
    public async Task The_latest_message_id_is_the_greatest_stored()
    {
        Assert.Null(await Store.GetLatestMessageIdAsync());
        MessageRecord a = Message("lobby", "alice", "a");
        MessageRecord b = Message("dev", "alice", "b");
        await Store.AppendMessagesAsync([a]);
        await Store.AppendMessagesAsync([b]);
        Assert.Equal(b.Id, await Store.GetLatestMessageIdAsync());
    }

    [SkippableFact]
    public async Task A_large_batch_is_stored_whole()
    {
        List<MessageRecord> batch = Enumerable.Range(0, 2000).Select(i => Message("lobby", $"user{i % 7}", $"m{i}", $"r{i}")).ToList();
        IReadOnlyList<AppendResult> results = await Store.AppendMessagesAsync(batch);
        Assert.Equal(2000, results.Count);
        Assert.Equal(batch.TakeLast(100), await Store.GetMessagesAsync("lobby", null, 100));
    }

    [SkippableFact]
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

    // ---- Edits and deletes ----

    [SkippableFact]
    public async Task A_message_is_found_by_id_and_an_edit_replaces_its_text_and_keeps_the_rest()
    {
        MessageRecord original = Message("lobby", "alice", "helo", "e1");
        MessageRecord other = Message("lobby", "bob", "untouched");
        await Store.AppendMessagesAsync([original, other]);
        Assert.Equal(original, await Store.FindMessageAsync(original.Id));
        Assert.Null(await Store.FindMessageAsync(NextId()));

        MessageRecord? edited = await Store.EditMessageAsync(original.Id, "hello", T0.AddMinutes(1).AddTicks(5));
        MessageRecord expected = original with { Text = "hello", EditedAt = T0.AddMinutes(1) };
        Assert.Equal(expected, edited);
        Assert.Equal(DateTimeKind.Utc, edited!.EditedAt!.Value.Kind);
        Assert.Equal(expected, await Store.FindMessageAsync(original.Id));
        Assert.Equal([expected, other], await Store.GetMessagesAsync("lobby", null, 10));

        // Edited again: the latest text and time win.
        Assert.Equal("hello!", (await Store.EditMessageAsync(original.Id, "hello!", T0.AddMinutes(2)))!.Text);
        Assert.Equal(T0.AddMinutes(2), (await Store.FindMessageAsync(original.Id))!.EditedAt);
        Assert.Null(await Store.EditMessageAsync(NextId(), "nobody", T0));
    }

    [SkippableFact]
    public async Task A_deleted_message_keeps_its_place_loses_its_text_and_cannot_be_edited_or_deleted_again()
    {
        MessageRecord before = Message("lobby", "alice", "one");
        MessageRecord victim = Message("lobby", "alice", "something abusive", "d1");
        MessageRecord after = Message("lobby", "bob", "three");
        await Store.AppendMessagesAsync([before, victim, after]);
        await Store.EditMessageAsync(victim.Id, "still abusive", T0.AddMinutes(1));

        MessageRecord? deleted = await Store.DeleteMessageAsync(victim.Id, T0.AddMinutes(2));
        Assert.NotNull(deleted);
        Assert.True(deleted.Deleted);
        Assert.Equal("", deleted.Text);
        Assert.Equal(T0.AddMinutes(2), deleted.DeletedAt);
        Assert.Equal((victim.Id, victim.Room, victim.User, victim.Timestamp, victim.Ref), (deleted.Id, deleted.Room, deleted.User, deleted.Timestamp, deleted.Ref));

        IReadOnlyList<MessageRecord> page = await Store.GetMessagesAsync("lobby", null, 10);
        Assert.Equal([before.Id, victim.Id, after.Id], page.Select(m => m.Id));
        Assert.Equal(deleted, page[1]);
        Assert.DoesNotContain(page, m => m.Text.Contains("abusive", StringComparison.Ordinal));

        Assert.Null(await Store.DeleteMessageAsync(victim.Id, T0.AddMinutes(3)));
        Assert.Null(await Store.EditMessageAsync(victim.Id, "back from the dead", T0.AddMinutes(3)));
        Assert.Null(await Store.DeleteMessageAsync(NextId(), T0));
        Assert.Equal(deleted, await Store.FindMessageAsync(victim.Id));

        // Its ref is still taken: a retry is a duplicate of the tombstone, not a resurrection.
        AppendResult retry = (await Store.AppendMessagesAsync([Message("lobby", "alice", "something abusive", "d1")])).Single();
        Assert.True(retry.Duplicate);
        Assert.Equal(deleted, retry.Stored);
    }

    [SkippableFact]
    public async Task A_tombstone_says_which_moderator_deleted_it_or_that_its_author_did()
    {
        MessageRecord own = Message("lobby", "alice", "my typo");
        MessageRecord moderated = Message("lobby", "bob", "spam", "m1");
        await Store.AppendMessagesAsync([own, moderated]);

        MessageRecord? byAuthor = await Store.DeleteMessageAsync(own.Id, T0.AddMinutes(1));
        MessageRecord? byModerator = await Store.DeleteMessageAsync(moderated.Id, T0.AddMinutes(2), moderator: "Mod");
        Assert.Equal(own with { Text = "", DeletedAt = T0.AddMinutes(1) }, byAuthor);
        Assert.Equal(moderated with { Text = "", DeletedAt = T0.AddMinutes(2), DeletedByModerator = "Mod" }, byModerator);
        Assert.Equal(byModerator, await Store.FindMessageAsync(moderated.Id));
        Assert.Equal([byAuthor!, byModerator!], await Store.GetMessagesAsync("lobby", null, 10));

        // A second delete changes nothing, not even who did it; a retried send is a duplicate of the tombstone as it is.
        Assert.Null(await Store.DeleteMessageAsync(moderated.Id, T0.AddMinutes(3), moderator: "other"));
        Assert.Equal("Mod", (await Store.FindMessageAsync(moderated.Id))!.DeletedByModerator);
        AppendResult retry = (await Store.AppendMessagesAsync([Message("lobby", "bob", "spam", "m1")])).Single();
        Assert.Equal(byModerator, retry.Stored);

        // A record offered to append never brings a deletion with it.
        MessageRecord fresh = Message("lobby", "carol", "new") with { DeletedByModerator = "Mod" };
        Assert.Null((await Store.AppendMessagesAsync([fresh])).Single().Stored.DeletedByModerator);
        Assert.Null((await Store.FindMessageAsync(fresh.Id))!.DeletedByModerator);
    }

    // ---- Reactions ----

    private static ReactionRecord Reacted(string emoji, string user, bool guest = false, int minute = 1) => new(emoji, user, guest, T0.AddMinutes(minute));

    private static string[] Shown(MessageRecord? message) =>
        message?.Reactions?.Items.Select(r => $"{r.Emoji}:{string.Join(',', r.Users)}").ToArray() ?? [];

    [SkippableFact]
    public async Task Reactions_are_one_per_user_per_emoji_grouped_in_the_order_given_and_come_back_with_their_message()
    {
        MessageRecord message = Message("lobby", "alice", "ship it?");
        MessageRecord plain = Message("lobby", "bob", "no reactions here");
        await Store.AppendMessagesAsync([message, plain]);

        Assert.Equal(ReactionStatus.Changed, (await Store.AddReactionAsync(message.Id, Reacted("👍", "Bob"), 20)).Status);
        Assert.Equal(ReactionStatus.Changed, (await Store.AddReactionAsync(message.Id, Reacted("🎉", "carol"), 20)).Status);
        ReactionOutcome third = await Store.AddReactionAsync(message.Id, Reacted("👍", "carol"), 20);
        Assert.Equal(ReactionStatus.Changed, third.Status);
        Assert.Equal(["👍:Bob,carol", "🎉:carol"], Shown(third.Message));
        Assert.Equal(message with { Reactions = third.Message!.Reactions }, third.Message);

        // The same user and emoji again, in any spelling of the name: nothing changes. A guest of that name is someone else.
        ReactionOutcome again = await Store.AddReactionAsync(message.Id, Reacted("👍", "BOB"), 20);
        Assert.Equal(ReactionStatus.Unchanged, again.Status);
        Assert.Equal(third.Message, again.Message);
        Assert.Equal(ReactionStatus.Changed, (await Store.AddReactionAsync(message.Id, Reacted("👍", "bob", guest: true), 20)).Status);

        string[] expected = ["👍:Bob,carol,bob", "🎉:carol"];
        Assert.Equal(expected, Shown(await Store.FindMessageAsync(message.Id)));
        IReadOnlyList<MessageRecord> page = await Store.GetMessagesAsync("lobby", null, 10);
        Assert.Equal(expected, Shown(page[0]));
        Assert.Null(page[1].Reactions);
        Assert.Equal(expected, Shown(await Store.EditMessageAsync(message.Id, "ship it!", T0.AddMinutes(5)))); // an edit keeps them
    }

    [SkippableFact]
    public async Task A_reaction_is_removed_by_its_user_only_and_the_last_one_leaves_no_trace()
    {
        MessageRecord message = Message("lobby", "alice", "lunch?");
        await Store.AppendMessagesAsync([message]);
        await Store.AddReactionAsync(message.Id, Reacted("🍕", "bob"), 20);
        await Store.AddReactionAsync(message.Id, Reacted("🍕", "carol"), 20);

        Assert.Equal(ReactionStatus.Unchanged, (await Store.RemoveReactionAsync(message.Id, "🍕", "bob", guest: true)).Status);
        Assert.Equal(ReactionStatus.Unchanged, (await Store.RemoveReactionAsync(message.Id, "🍣", "bob", guest: false)).Status);
        ReactionOutcome removed = await Store.RemoveReactionAsync(message.Id, "🍕", "BOB", guest: false);
        Assert.Equal(ReactionStatus.Changed, removed.Status);
        Assert.Equal(["🍕:carol"], Shown(removed.Message));

        ReactionOutcome last = await Store.RemoveReactionAsync(message.Id, "🍕", "carol", guest: false);
        Assert.Equal(message, last.Message); // Reactions null again, not an empty list
        Assert.Equal(message, await Store.FindMessageAsync(message.Id));
        Assert.Equal(ReactionStatus.Unchanged, (await Store.RemoveReactionAsync(message.Id, "🍕", "carol", guest: false)).Status);
    }

    [SkippableFact]
    public async Task A_message_takes_at_most_the_limit_of_distinct_emoji_but_more_users_of_one_it_has()
    {
        MessageRecord message = Message("lobby", "alice", "vote");
        await Store.AppendMessagesAsync([message]);
        Assert.Equal(ReactionStatus.Changed, (await Store.AddReactionAsync(message.Id, Reacted("1️⃣", "bob"), 2)).Status);
        Assert.Equal(ReactionStatus.Changed, (await Store.AddReactionAsync(message.Id, Reacted("2️⃣", "bob"), 2)).Status);

        ReactionOutcome full = await Store.AddReactionAsync(message.Id, Reacted("3️⃣", "carol"), 2);
        Assert.Equal(ReactionStatus.TooManyEmoji, full.Status);
        Assert.Equal(["1️⃣:bob", "2️⃣:bob"], Shown(full.Message));
        Assert.Equal(ReactionStatus.Changed, (await Store.AddReactionAsync(message.Id, Reacted("2️⃣", "carol"), 2)).Status);

        // Removing the only user of an emoji frees its place.
        await Store.RemoveReactionAsync(message.Id, "1️⃣", "bob", guest: false);
        Assert.Equal(ReactionStatus.Changed, (await Store.AddReactionAsync(message.Id, Reacted("3️⃣", "carol"), 2)).Status);
        Assert.Equal(["2️⃣:bob,carol", "3️⃣:carol"], Shown(await Store.FindMessageAsync(message.Id)));
    }

    [SkippableFact]
    public async Task Reactions_go_with_a_deleted_message_and_a_tombstone_or_missing_message_takes_none()
    {
        MessageRecord message = Message("lobby", "alice", "regrettable");
        await Store.AppendMessagesAsync([message]);
        await Store.AddReactionAsync(message.Id, Reacted("😬", "bob"), 20);

        MessageRecord? deleted = await Store.DeleteMessageAsync(message.Id, T0.AddMinutes(2));
        Assert.Null(deleted!.Reactions);
        Assert.Null((await Store.FindMessageAsync(message.Id))!.Reactions);
        Assert.Equal(new ReactionOutcome(ReactionStatus.NoSuchMessage, null), await Store.AddReactionAsync(message.Id, Reacted("😬", "carol"), 20));
        Assert.Equal(new ReactionOutcome(ReactionStatus.NoSuchMessage, null), await Store.RemoveReactionAsync(message.Id, "😬", "bob", guest: false));
        Assert.Equal(ReactionStatus.NoSuchMessage, (await Store.AddReactionAsync(NextId(), Reacted("😬", "carol"), 20)).Status);

        // A record offered to append never brings reactions with it.
        MessageRecord fresh = Message("lobby", "carol", "new") with { Reactions = MessageReactions.Group([("👍", "mallory")]) };
        Assert.Null((await Store.AppendMessagesAsync([fresh])).Single().Stored.Reactions);
        Assert.Null((await Store.FindMessageAsync(fresh.Id))!.Reactions);
    }

    [SkippableFact]
    public async Task Concurrent_reactions_are_all_kept_and_never_pass_the_emoji_limit()
    {
        MessageRecord message = Message("lobby", "alice", "react to me");
        await Store.AppendMessagesAsync([message]);
        // Forty users at once, each with an emoji of their own and a shared one: the limit of 10 holds, every shared one lands.
        ReactionOutcome[] outcomes = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            await Store.AddReactionAsync(message.Id, Reacted("❤️", $"user{i}"), 10);
            return await Store.AddReactionAsync(message.Id, Reacted(char.ConvertFromUtf32(0x1F600 + i), $"user{i}"), 10);
        })));

        MessageReactions reactions = (await Store.FindMessageAsync(message.Id))!.Reactions!;
        Assert.Equal(10, reactions.Items.Count);
        Assert.Equal("❤️", reactions.Items[0].Emoji);
        Assert.Equal(40, reactions.Items[0].Users.Count);
        Assert.Equal(9, outcomes.Count(o => o.Status == ReactionStatus.Changed));
        Assert.Equal(31, outcomes.Count(o => o.Status == ReactionStatus.TooManyEmoji));
    }

    // ---- Replies ----

    [SkippableFact]
    public async Task A_reply_keeps_its_parent_id_and_reads_the_parent_as_it_is_now()
    {
        MessageRecord parent = Message("lobby", "alice", "lunch at noon?\nor one?");
        MessageRecord other = Message("lobby", "bob", "unrelated");
        await Store.AppendMessagesAsync([parent, other]);
        var seen = new ReplyParent(parent.Id, "alice", parent.Text, Deleted: false);
        MessageRecord reply = Message("lobby", "bob", "noon works", "r1") with { ReplyTo = parent.Id, Parent = seen };
        MessageRecord second = Message("lobby", "carol", "me too") with { ReplyTo = parent.Id, Parent = seen };
        AppendResult[] appended = (await Store.AppendMessagesAsync([reply, second])).ToArray();
        Assert.Equal(reply, appended[0].Stored);

        Assert.Equal(reply, await Store.FindMessageAsync(reply.Id));
        IReadOnlyList<MessageRecord> page = await Store.GetMessagesAsync("lobby", null, 10);
        Assert.Equal([parent, other, reply, second], page);
        // A page that does not reach back to the parent still quotes it.
        Assert.Equal(seen, (await Store.GetMessagesAsync("lobby", null, 1)).Single().Parent);

        // The parent edited: every read quotes the new text. Deleted: no text, and marked so.
        await Store.EditMessageAsync(parent.Id, "lunch at one", T0.AddMinutes(1));
        Assert.Equal(seen with { Text = "lunch at one" }, (await Store.FindMessageAsync(reply.Id))!.Parent);
        await Store.DeleteMessageAsync(parent.Id, T0.AddMinutes(2));
        var gone = new ReplyParent(parent.Id, "alice", "", Deleted: true);
        Assert.All((await Store.GetMessagesAsync("lobby", null, 10)).Where(m => m.ReplyTo is not null), m => Assert.Equal(gone, m.Parent));

        // A retried reply is a duplicate that carries the parent too; the reply's own edit and reactions keep it.
        AppendResult retry = (await Store.AppendMessagesAsync([Message("lobby", "bob", "noon works", "r1")])).Single();
        Assert.True(retry.Duplicate);
        Assert.Equal(gone, retry.Stored.Parent);
        Assert.Equal(gone, (await Store.EditMessageAsync(reply.Id, "one works too", T0.AddMinutes(3)))!.Parent);
        Assert.Equal(gone, (await Store.AddReactionAsync(reply.Id, Reacted("👍", "alice"), 20)).Message!.Parent);
        Assert.Null((await Store.FindMessageAsync(other.Id))!.Parent);
    }

    // ---- Mentions and read positions ----

    [SkippableFact]
    public async Task Mentions_are_kept_with_the_message_replaced_by_an_edit_and_gone_with_a_delete()
    {
        var mentions = new MessageMentions(["Bob", "carol"], Room: true);
        MessageRecord message = Message("lobby", "alice", "@Bob @carol @room look") with { Mentions = mentions };
        MessageRecord plain = Message("lobby", "alice", "nobody");
        Assert.Equal(message, (await Store.AppendMessagesAsync([message, plain]))[0].Stored);
        Assert.Equal(mentions, (await Store.FindMessageAsync(message.Id))!.Mentions);
        Assert.Equal([mentions, null], (await Store.GetMessagesAsync("lobby", null, 10)).Select(m => m.Mentions));

        var fewer = new MessageMentions(["carol"], Room: false);
        Assert.Equal(fewer, (await Store.EditMessageAsync(message.Id, "@carol look", T0.AddMinutes(1), fewer))!.Mentions);
        Assert.Equal(fewer, (await Store.FindMessageAsync(message.Id))!.Mentions);
        Assert.Null((await Store.EditMessageAsync(message.Id, "look", T0.AddMinutes(2)))!.Mentions);
        await Store.EditMessageAsync(message.Id, "@carol again", T0.AddMinutes(3), fewer);
        Assert.Null((await Store.DeleteMessageAsync(message.Id, T0.AddMinutes(4)))!.Mentions);
    }

    [SkippableFact]
    public async Task A_read_position_only_moves_forward_and_is_kept_per_user_and_room_ignoring_case()
    {
        string early = NextId(), late = NextId();
        Assert.Equal(late, await Store.MarkReadAsync("Alice", "Lobby", late));
        Assert.Equal(late, await Store.MarkReadAsync("alice", "lobby", early)); // an older id from a device that was offline
        Assert.Equal(early, await Store.MarkReadAsync("alice", "dev", early));
        Assert.Equal(early, await Store.MarkReadAsync("bob", "lobby", early));
        Assert.Equal([new ReadPosition("dev", early), new ReadPosition("lobby", late)], await Store.GetReadPositionsAsync("ALICE"));
        Assert.Empty(await Store.GetReadPositionsAsync("nobody"));
    }

    [SkippableFact]
    public async Task Unread_counts_skip_ones_own_and_deleted_messages_count_mentions_of_the_user_or_the_room_and_stop_at_the_cap()
    {
        MessageRecord read = Message("lobby", "bob", "seen already");
        MessageRecord own = Message("lobby", "alice", "@alice talking to myself") with { Mentions = new(["alice"], false) };
        MessageRecord hello = Message("lobby", "bob", "hello");
        MessageRecord mention = Message("lobby", "bob", "@Alice look") with { Mentions = new(["Alice"], false) };
        MessageRecord everyone = Message("lobby", "mod", "@room heads up") with { Mentions = new([], true) };
        MessageRecord other = Message("lobby", "bob", "@carol not you") with { Mentions = new(["carol"], false) };
        MessageRecord gone = Message("lobby", "bob", "@alice deleted") with { Mentions = new(["alice"], false) };
        MessageRecord guest = Message("lobby", "alice", "a guest named alice is someone else", guest: true);
        MessageRecord elsewhere = Message("dev", "bob", "@alice in dev") with { Mentions = new(["alice"], false) };
        await Store.AppendMessagesAsync([read, own, hello, mention, everyone, other, gone, guest, elsewhere]);
        await Store.DeleteMessageAsync(gone.Id, T0.AddMinutes(1));

        Assert.Equal(new UnreadCount(5, 2), await Store.CountUnreadAsync("ALICE", "Lobby", read.Id, 100));
        Assert.Equal(new UnreadCount(6, 2), await Store.CountUnreadAsync("alice", "lobby", null, 100));
        Assert.Equal(new UnreadCount(3, 2), await Store.CountUnreadAsync("alice", "lobby", read.Id, 3));
        Assert.Equal(new UnreadCount(1, 1), await Store.CountUnreadAsync("alice", "dev", null, 100));
        Assert.Equal(new UnreadCount(0, 0), await Store.CountUnreadAsync("alice", "lobby", guest.Id, 100));
        // An edit that drops the mention drops it from the count.
        await Store.EditMessageAsync(mention.Id, "look", T0.AddMinutes(2));
        Assert.Equal(new UnreadCount(5, 1), await Store.CountUnreadAsync("alice", "lobby", read.Id, 100));
    }

    // ---- Deleting an account ----

    [SkippableFact]
    public async Task Deleting_an_account_tombstones_its_messages_drops_its_traces_and_retires_the_name()
    {
        await Store.CreateUserAsync(User("Alice"));
        await Store.CreateUserAsync(User("bob"));
        await Store.CreateRoomAsync(new RoomRecord("lobby", null, T0));
        await Store.AddRoomMemberAsync("lobby", "alice", T0);
        await Store.AddRoomMemberAsync("lobby", "bob", T0);
        await Store.CreateSessionAsync(new SessionRecord([7, 7, 7], "alice", T0, T0.AddDays(1)));
        MessageRecord hers = Message("lobby", "alice", "mine, @bob", reference: "r1") with { Mentions = new(["bob"], false) };
        MessageRecord his = Message("lobby", "bob", "his");
        MessageRecord guest = Message("lobby", "alice", "a guest called alice is someone else", guest: true);
        MessageRecord reply = Message("lobby", "bob", "about yours") with { ReplyTo = hers.Id };
        await Store.AppendMessagesAsync([hers, his, guest, reply]);
        await Store.AddReactionAsync(hers.Id, new ReactionRecord("👍", "bob", false, T0), 20);
        await Store.AddReactionAsync(his.Id, new ReactionRecord("👍", "alice", false, T0), 20);
        await Store.AddReactionAsync(his.Id, new ReactionRecord("🎉", "bob", false, T0), 20);
        await Store.MarkReadAsync("alice", "lobby", his.Id);

        Assert.Equal(new AccountDeletion(1), await Store.DeleteUserAsync("ALICE", T0.AddHours(1)));

        Assert.Null(await Store.FindUserAsync("alice"));
        Assert.True(await Store.IsNameRetiredAsync("alice"));
        Assert.False(await Store.IsNameRetiredAsync("bob"));
        Assert.False(await Store.CreateUserAsync(User("aLiCe"))); // never again, in any spelling
        Assert.Null(await Store.FindSessionAsync([7, 7, 7], T0));
        Assert.Equal(["bob"], (await Store.ListRoomMembersAsync("lobby")).Select(m => m.Name));
        Assert.Empty(await Store.GetReadPositionsAsync("alice"));

        MessageRecord[] page = (await Store.GetMessagesAsync("lobby", null, 10)).ToArray();
        MessageRecord tombstone = page.Single(m => m.Id == hers.Id);
        Assert.True(tombstone.Deleted);
        Assert.Null(tombstone.DeletedByModerator); // deleted by its author, who asked
        Assert.Equal(("", null, null, "r1"), (tombstone.Text, tombstone.Reactions, tombstone.Mentions, tombstone.Ref));
        Assert.Equal(["🎉"], page.Single(m => m.Id == his.Id).Reactions!.Items.Select(r => r.Emoji));
        Assert.False(page.Single(m => m.Id == guest.Id).Deleted);
        Assert.True(page.Single(m => m.Id == reply.Id).Parent!.Deleted);
        Assert.Empty(await SearchAsync("mine"));
        Assert.Equal(new UnreadCount(1, 0), await Store.CountUnreadAsync("bob", "lobby", null, 100)); // the guest's; the tombstone no longer counts
        Assert.Null(await Store.DeleteUserAsync("alice", T0.AddHours(2)));
    }

    // ---- Search ----

    private async Task<string[]> SearchAsync(string query, string[]? rooms = null, string? user = null, string? before = null, int limit = 50) =>
        (await Store.SearchMessagesAsync(SearchQuery.Parse(query, 8, out _)!, rooms ?? ["lobby"], user, before, limit)).Select(m => m.Text).ToArray();

    [SkippableFact]
    public async Task Search_finds_words_prefixes_and_phrases_ignoring_case_and_accents_newest_first()
    {
        await Store.AppendMessagesAsync([
            Message("lobby", "alice", "The quick brown fox"),
            Message("lobby", "bob", "A CAFÉ near the station"),
            Message("lobby", "carol", "brown bread, quick!"),
            Message("lobby", "dave", "e-mail me the café menu"),
        ]);

        Assert.Equal(["brown bread, quick!", "The quick brown fox"], await SearchAsync("QUICK"));
        Assert.Equal(["brown bread, quick!", "The quick brown fox"], await SearchAsync("brown quick")); // every word, any order
        Assert.Equal(["The quick brown fox"], await SearchAsync("\"quick brown\"")); // a phrase keeps its order
        Assert.Empty(await SearchAsync("\"brown quick\""));
        Assert.Equal(["e-mail me the café menu", "A CAFÉ near the station"], await SearchAsync("cafe"));
        Assert.Equal(["e-mail me the café menu", "A CAFÉ near the station"], await SearchAsync("Café"));
        Assert.Equal(["brown bread, quick!", "The quick brown fox"], await SearchAsync("bro*"));
        Assert.Equal(["A CAFÉ near the station"], await SearchAsync("sta* caf*"));
        Assert.Equal(["e-mail me the café menu"], await SearchAsync("e-mail")); // a phrase of "e" and "mail"
        Assert.Equal(["e-mail me the café menu"], await SearchAsync("\"the cafe me*\""));
        Assert.Empty(await SearchAsync("qui")); // a word is whole unless it is a prefix*
        Assert.Empty(await SearchAsync("quick nowhere"));
    }

    [SkippableFact]
    public async Task Search_keeps_to_the_rooms_and_the_author_asked_for_and_never_finds_deleted_text()
    {
        MessageRecord lobby = Message("Lobby", "alice", "deploy at noon");
        MessageRecord dev = Message("dev", "Bob", "deploy failed");
        MessageRecord secret = Message("secret", "bob", "deploy the secret");
        MessageRecord gone = Message("lobby", "bob", "deploy was deleted");
        MessageRecord edited = Message("lobby", "carol", "deploy later");
        await Store.AppendMessagesAsync([lobby, dev, secret, gone, edited]);
        await Store.DeleteMessageAsync(gone.Id, T0.AddMinutes(1));
        await Store.EditMessageAsync(edited.Id, "ship it later", T0.AddMinutes(2));

        Assert.Equal(["deploy at noon"], await SearchAsync("deploy", ["LOBBY"]));
        Assert.Equal(["deploy failed", "deploy at noon"], await SearchAsync("deploy", ["lobby", "dev"]));
        Assert.Equal(["deploy failed"], await SearchAsync("deploy", ["lobby", "dev"], user: "BOB"));
        Assert.Equal(["ship it later"], await SearchAsync("ship"));
        Assert.Empty(await SearchAsync("was deleted"));
        Assert.Empty(await SearchAsync("deploy", []));
        // Names the index would split alike ("dev-ops", "dev_ops") stay apart: the index narrows, the keys decide.
        await Store.AppendMessagesAsync([Message("dev-ops", "a-b", "deploy one"), Message("dev_ops", "a_b", "deploy two")]);
        Assert.Equal(["deploy one"], await SearchAsync("deploy", ["dev-ops"]));
        Assert.Equal(["deploy two"], await SearchAsync("deploy", ["dev-ops", "dev_ops"], user: "a_b"));
        // What comes back is the message as stored, like history.
        MessageRecord found = (await Store.SearchMessagesAsync(SearchQuery.Parse("noon", 8, out _)!, ["lobby"], null, null, 10)).Single();
        Assert.Equal(lobby, found);
    }

    [SkippableFact]
    public async Task Search_pages_backwards_from_the_last_id_of_a_page()
    {
        MessageRecord[] messages = Enumerable.Range(0, 25).Select(i => Message("lobby", "alice", $"note {i}")).ToArray();
        await Store.AppendMessagesAsync(messages);
        var seen = new List<string>();
        string? before = null;
        while (true)
        {
            IReadOnlyList<MessageRecord> page = await Store.SearchMessagesAsync(SearchQuery.Parse("note", 8, out _)!, ["lobby"], null, before, 10);
            seen.AddRange(page.Select(m => m.Text));
            if (page.Count < 10)
                break;
            before = page[^1].Id;
        }
        Assert.Equal(Enumerable.Range(0, 25).Reverse().Select(i => $"note {i}"), seen);
        // A phrase that only some candidates have still fills its page (MongoDB checks the order after its index).
        await Store.AppendMessagesAsync(Enumerable.Range(0, 30).Select(i => Message("lobby", "bob", i % 3 == 0 ? $"red apple {i}" : $"apple red {i}")).ToArray());
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 3 == 0).Reverse().Take(4).Select(i => $"red apple {i}"), await SearchAsync("\"red apple\"", limit: 4));
    }

    // ---- Bans and mutes ----

    [SkippableFact]
    public async Task Bans_are_kept_by_name_ignoring_case_listed_while_in_force_and_replaced_by_a_new_one()
    {
        Assert.Empty(await Store.ListBansAsync(T0));
        var forever = new BanRecord("Mallory", "mod", "spam", T0, null);
        var hour = new BanRecord("eve", "root", null, T0, T0.AddHours(1));
        await Store.SetBanAsync(forever);
        await Store.SetBanAsync(hour);
        Assert.Equal([hour, forever], await Store.ListBansAsync(T0.AddMinutes(1)));   // by name, ignoring case
        Assert.Equal([forever], await Store.ListBansAsync(T0.AddHours(1)));           // expired at its end

        var again = new BanRecord("EVE", "mod", "again", T0.AddHours(2), T0.AddDays(1));
        await Store.SetBanAsync(again);
        Assert.Equal([again, forever], await Store.ListBansAsync(T0.AddHours(2)));

        Assert.True(await Store.RemoveBanAsync("mallory", T0));
        Assert.False(await Store.RemoveBanAsync("mallory", T0));
        Assert.False(await Store.RemoveBanAsync("nobody", T0));
        Assert.False(await Store.RemoveBanAsync("eve", T0.AddDays(2)));                // expired: no ban to lift
        Assert.Empty(await Store.ListBansAsync(T0.AddHours(2)));
    }

    [SkippableFact]
    public async Task Mutes_are_kept_by_name_ignoring_case_until_they_expire()
    {
        var mute = new MuteRecord("Bob", "mod", "shouting", T0, T0.AddMinutes(10));
        await Store.SetMuteAsync(mute);
        Assert.Equal([mute], await Store.ListMutesAsync(T0.AddMinutes(9)));
        Assert.Empty(await Store.ListMutesAsync(T0.AddMinutes(10)));

        var longer = new MuteRecord("bob", "root", null, T0.AddMinutes(1), T0.AddHours(1));
        await Store.SetMuteAsync(longer);
        Assert.Equal([longer], await Store.ListMutesAsync(T0.AddMinutes(30)));
        Assert.True(await Store.RemoveMuteAsync("BOB", T0.AddMinutes(30)));
        Assert.Empty(await Store.ListMutesAsync(T0));
        Assert.False(await Store.RemoveMuteAsync("bob", T0));
    }

    // ---- Moderation log ----

    [SkippableFact]
    public async Task The_moderation_log_keeps_every_field_and_pages_backwards_oldest_first()
    {
        Assert.Empty(await Store.GetModerationLogAsync(null, 10));
        var entries = new List<ModerationRecord>
        {
            new(NextId(), T0, ModerationAction.Mute, "mod", "bob", ExpiresAt: T0.AddMinutes(10), Reason: "spam"),
            new(NextId(), T0.AddMinutes(1), ModerationAction.Delete, "mod", "bob", Room: "lobby", MessageId: NextId()),
            new(NextId(), T0.AddMinutes(2), ModerationAction.Kick, "root", "carol", Room: "dev", Reason: "off topic — ünïcödé"),
        };
        for (int i = 0; i < 12; i++)
            entries.Add(new ModerationRecord(NextId(), T0.AddMinutes(3 + i), i % 2 == 0 ? ModerationAction.Ban : ModerationAction.Unban, "root", $"user{i}"));
        foreach (ModerationRecord entry in entries)
            await Store.AppendModerationAsync(entry);

        Assert.Equal(entries.TakeLast(5), await Store.GetModerationLogAsync(null, 5));
        Assert.Equal(entries.Skip(5).Take(5), await Store.GetModerationLogAsync(entries[10].Id, 5));
        Assert.Equal(entries.Take(3), await Store.GetModerationLogAsync(entries[3].Id, 10));
        Assert.Equal(entries, await Store.GetModerationLogAsync(null, 100));
        Assert.Empty(await Store.GetModerationLogAsync(entries[0].Id, 10));
        Assert.Empty(await Store.GetModerationLogAsync(null, 0));
    }

    // ---- Statistics ----

    [SkippableFact]
    public async Task Users_are_counted()
    {
        Assert.Equal(0, await Store.CountUsersAsync());
        await Store.CreateUserAsync(User("alice"));
        await Store.CreateUserAsync(User("bob"));
        await Store.CreateUserAsync(User("BOB"));
        Assert.Equal(2, await Store.CountUsersAsync());
    }

    [SkippableFact]
    public async Task Messages_are_counted_per_room_ignoring_case_most_first_then_by_name()
    {
        Assert.Empty(await Store.CountMessagesPerRoomAsync());
        var batch = new List<MessageRecord>();
        for (int i = 0; i < 3; i++) batch.Add(Message("lobby", "alice", $"l{i}"));
        for (int i = 0; i < 2; i++) batch.Add(Message("dev", "alice", $"d{i}"));
        for (int i = 0; i < 2; i++) batch.Add(Message("attic", "bob", $"a{i}"));
        batch.Add(Message("@alice+bob", "alice", "psst"));
        await Store.AppendMessagesAsync(batch);
        // Deleted and edited messages still count: the numbers are of what was sent.
        await Store.DeleteMessageAsync(batch[0].Id, T0);
        await Store.EditMessageAsync(batch[1].Id, "edited", T0);

        Assert.Equal(
            [new RoomMessageCount("lobby", 3), new RoomMessageCount("attic", 2), new RoomMessageCount("dev", 2), new RoomMessageCount("@alice+bob", 1)],
            await Store.CountMessagesPerRoomAsync());
    }

    [SkippableFact]
    public async Task Top_posters_are_counted_by_name_ignoring_case_and_by_guest_flag()
    {
        var batch = new List<MessageRecord>();
        void Add(string user, int count, bool guest = false)
        {
            for (int i = 0; i < count; i++)
                batch.Add(Message(i % 2 == 0 ? "lobby" : "dev", user, $"{user}{i}", guest: guest));
        }
        Add("carol", 5);
        Add("alice", 3);
        Add("bob", 3);
        Add("alice", 4, guest: true); // a guest named alice is someone else
        Add("dave", 1);
        await Store.AppendMessagesAsync(batch);

        Assert.Equal(
            [new UserMessageCount("carol", false, 5), new UserMessageCount("alice", true, 4), new UserMessageCount("alice", false, 3), new UserMessageCount("bob", false, 3)],
            await Store.CountMessagesPerUserAsync(4));
        Assert.Equal(5, (await Store.CountMessagesPerUserAsync(10)).Count);
        Assert.Empty(await Store.CountMessagesPerUserAsync(0));
    }

    [SkippableFact]
    public async Task Top_posters_are_counted_per_room_for_the_rooms_asked_for_ignoring_case()
    {
        var batch = new List<MessageRecord>();
        void Add(string room, string user, int count, bool guest = false)
        {
            for (int i = 0; i < count; i++)
                batch.Add(Message(room, user, $"{room}/{user}/{i}", guest: guest));
        }
        Add("lobby", "carol", 4);
        Add("LOBBY", "alice", 3);            // the same room
        Add("lobby", "Bob", 2);
        Add("lobby", "bob", 1);              // the same poster
        Add("lobby", "alice", 2, guest: true);
        Add("dev", "dave", 2);
        Add("dev", "alice", 2);              // a tie: by name
        Add("attic", "eve", 9);              // not asked for
        Add("@alice+bob", "alice", 1);
        await Store.AppendMessagesAsync(batch);
        await Store.DeleteMessageAsync(batch[0].Id, T0); // deleted messages still count

        Assert.Equal(
            [
                new RoomUserMessageCount("Dev", "alice", false, 2), new RoomUserMessageCount("Dev", "dave", false, 2),
                new RoomUserMessageCount("lobby", "carol", false, 4), new RoomUserMessageCount("lobby", "alice", false, 3),
                new RoomUserMessageCount("lobby", "Bob", false, 3),
            ],
            await Store.CountMessagesPerRoomAndUserAsync(["lobby", "Dev", "quiet"], 3));
        Assert.Equal(
            [("lobby", "carol", false), ("lobby", "alice", false), ("lobby", "Bob", false), ("lobby", "alice", true)],
            (await Store.CountMessagesPerRoomAndUserAsync(["lobby", "LOBBY"], 10)).Select(c => (c.Room, c.User, c.Guest)));
        Assert.Empty(await Store.CountMessagesPerRoomAndUserAsync(["lobby"], 0));
        Assert.Empty(await Store.CountMessagesPerRoomAndUserAsync([], 5));
        Assert.Empty(await Store.CountMessagesPerRoomAndUserAsync(["quiet"], 5));
    }

    [SkippableFact]
    public async Task Messages_are_counted_per_utc_hour_within_the_window()
    {
        DateTime hour = new(2026, 11, 27, 10, 0, 0, DateTimeKind.Utc);
        MessageRecord At(DateTime ts) => Message("lobby", "alice", "x") with { Timestamp = ts };
        await Store.AppendMessagesAsync(
        [
            At(hour.AddHours(-3).AddMinutes(59)),           // before the window
            At(hour.AddHours(-2)),                           // first instant of the window
            At(hour.AddHours(-2).AddMinutes(30)),
            At(hour.AddMinutes(-1)),
            At(hour.AddMinutes(10)),
            At(hour.AddMinutes(59).AddSeconds(59)),
            At(hour.AddHours(1)),                            // the window's end is excluded
        ]);

        Assert.Equal(
            [new HourMessageCount(hour.AddHours(-2), 2), new HourMessageCount(hour.AddHours(-1), 1), new HourMessageCount(hour, 2)],
            await Store.CountMessagesPerHourAsync(hour.AddHours(-2), hour.AddHours(1)));
        Assert.All(await Store.CountMessagesPerHourAsync(hour.AddHours(-5), hour.AddHours(5)), h => Assert.Equal(DateTimeKind.Utc, h.Hour.Kind));
        Assert.Empty(await Store.CountMessagesPerHourAsync(hour.AddDays(1), hour.AddDays(2)));
    }

    [SkippableFact]
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

    [SkippableFact]
    public async Task Edits_deletes_reactions_replies_bans_mutes_and_the_moderation_log_survive_reopening()
    {
        if (!CanReopen)
            return;
        MessageRecord edited = Message("lobby", "alice", "typo");
        MessageRecord deleted = Message("lobby", "bob", "rude");
        MessageRecord regretted = Message("lobby", "carol", "oops");
        await Store.AppendMessagesAsync([edited, deleted, regretted]);
        await Store.EditMessageAsync(edited.Id, "fixed", T0.AddMinutes(1));
        await Store.DeleteMessageAsync(deleted.Id, T0.AddMinutes(2), moderator: "mod");
        await Store.DeleteMessageAsync(regretted.Id, T0.AddMinutes(3));
        await Store.AddReactionAsync(edited.Id, Reacted("👀", "carol"), 20);
        await Store.MarkReadAsync("carol", "lobby", edited.Id);
        MessageRecord reply = Message("lobby", "dave", "re: typo") with { ReplyTo = edited.Id };
        await Store.AppendMessagesAsync([reply]);
        var ban = new BanRecord("mallory", "mod", "abuse", T0, null);
        var mute = new MuteRecord("bob", "mod", null, T0, T0.AddDays(1));
        var entry = new ModerationRecord(NextId(), T0, ModerationAction.Delete, "mod", "bob", "lobby", deleted.Id);
        await Store.SetBanAsync(ban);
        await Store.SetMuteAsync(mute);
        await Store.AppendModerationAsync(entry);

        IChatStore old = Store;
        await old.DisposeAsync();
        Store = await ReopenAsync(old);

        IReadOnlyList<MessageRecord> page = await Store.GetMessagesAsync("lobby", null, 10);
        Assert.Equal(edited with { Text = "fixed", EditedAt = T0.AddMinutes(1), Reactions = MessageReactions.Group([("👀", "carol")]) }, page[0]);
        Assert.Equal(deleted with { Text = "", DeletedAt = T0.AddMinutes(2), DeletedByModerator = "mod" }, page[1]);
        Assert.Equal(regretted with { Text = "", DeletedAt = T0.AddMinutes(3) }, page[2]);
        Assert.Equal(reply with { Parent = new ReplyParent(edited.Id, "alice", "fixed", false) }, page[3]);
        Assert.Equal([new ReadPosition("lobby", edited.Id)], await Store.GetReadPositionsAsync("carol"));
        Assert.Equal([ban], await Store.ListBansAsync(T0));
        Assert.Equal([mute], await Store.ListMutesAsync(T0));
        Assert.Equal([entry], await Store.GetModerationLogAsync(null, 10));
    }
}
