using System.Text.Json;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>Reactions end to end over /chat: the whole-set events, history, repeats, the limits and the moderation path.</summary>
public sealed class ChatReactionsTests
{
    /// <summary>A message's reactions as "emoji:count:user,user" lines, from a message or a <c>reactions</c> event.</summary>
    private static string[] Shown(JsonElement message) =>
        message.TryGetProperty("reactions", out JsonElement reactions)
            ? reactions.EnumerateArray().Select(r =>
                $"{r.GetProperty("emoji").GetString()}:{r.GetProperty("count").GetInt32()}:{string.Join(',', r.GetProperty("users").EnumerateArray().Select(u => u.GetString()))}").ToArray()
            : [];

    private static bool IsReactions(JsonElement m, string id) => ChatClient.Type(m) == "reactions" && Text(m, "id") == id;

    private static async Task<JsonElement> ReactAsync(ChatClient client, string id, string emoji, string room = "lobby") =>
        await client.AskAsync(new { type = "react", room, id, emoji });

    private static async Task<JsonElement> UnreactAsync(ChatClient client, string id, string emoji, string? user = null) =>
        user is null ? await client.AskAsync(new { type = "unreact", room = "lobby", id, emoji })
            : await client.AskAsync(new { type = "unreact", room = "lobby", id, emoji, user });

    [Fact]
    public async Task A_reaction_reaches_every_member_as_the_whole_set_and_history_carries_it()
    {
        // Default limits: what a user would meet.
        await using TestServer server = await TestServer.StartAsync();
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");
        string id = Id(await alice.SayAsync("lobby", "ship it?"));

        JsonElement ack = await ReactAsync(bob, id, "👍");
        Assert.Equal("ack", ChatClient.Type(ack));
        Assert.False(ack.TryGetProperty("duplicate", out _));
        foreach (ChatClient member in new[] { alice, bob })
        {
            JsonElement update = await member.ReceiveAsync(m => IsReactions(m, id));
            Assert.Equal("lobby", Text(update, "room"));
            Assert.Equal(["👍:1:bob"], Shown(update));
        }
        await ReactAsync(alice, id, "🎉");
        await ReactAsync(alice, id, "👍");
        Assert.Equal(["👍:2:bob,alice", "🎉:1:alice"], Shown(await bob.ReceiveAsync(m => IsReactions(m, id) && Shown(m).Length == 2 && Shown(m)[0].StartsWith("👍:2"))));

        // A newcomer sees them in the join's history and in a history page; a message without any has no field.
        string plain = Id(await alice.SayAsync("lobby", "nothing to see"));
        await using ChatClient carol = await ChatClient.GuestAsync(server, "carol");
        JsonElement joined = await carol.JoinAsync("lobby");
        JsonElement page = await carol.AskAsync(new { type = "history", room = "lobby" });
        foreach (JsonElement history in new[] { joined.GetProperty("history"), page.GetProperty("messages") })
        {
            Assert.Equal(["👍:2:bob,alice", "🎉:1:alice"], Shown(history.EnumerateArray().Single(m => Text(m, "id") == id)));
            Assert.False(history.EnumerateArray().Single(m => Text(m, "id") == plain).TryGetProperty("reactions", out _));
        }

        // Taking one back sends the smaller set; the last one gone is an empty set, and history drops the field.
        await UnreactAsync(alice, id, "🎉");
        Assert.Equal(["👍:2:bob,alice"], Shown(await carol.ReceiveAsync(m => IsReactions(m, id))));
        await UnreactAsync(alice, id, "👍");
        await UnreactAsync(bob, id, "👍");
        JsonElement empty = await carol.ReceiveAsync(m => IsReactions(m, id) && Shown(m).Length == 0);
        Assert.Empty(empty.GetProperty("reactions").EnumerateArray());
        JsonElement after = await carol.AskAsync(new { type = "history", room = "lobby" });
        Assert.False(after.GetProperty("messages").EnumerateArray().Single(m => Text(m, "id") == id).TryGetProperty("reactions", out _));
        await using ChatClient dave = await ChatClient.GuestAsync(server, "dave");
        JsonElement rejoined = await dave.JoinAsync("lobby");
        Assert.False(rejoined.GetProperty("history").EnumerateArray().Single(m => Text(m, "id") == id).TryGetProperty("reactions", out _));
    }

    [Fact]
    public async Task A_repeat_changes_nothing_is_acked_as_a_duplicate_and_tells_nobody()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");
        string id = Id(await alice.SayAsync("lobby", "hello"));
        await ReactAsync(alice, id, "👋");
        await bob.ReceiveAsync(m => IsReactions(m, id));

        Assert.True((await ReactAsync(alice, id, "👋")).GetProperty("duplicate").GetBoolean());
        Assert.True((await UnreactAsync(alice, id, "🙃")).GetProperty("duplicate").GetBoolean());
        Assert.True((await UnreactAsync(bob, id, "👋")).GetProperty("duplicate").GetBoolean()); // bob never reacted so
        // The next thing bob hears about is the marker, not a reactions event for a change that did not happen.
        string marker = Id(await alice.SayAsync("lobby", "marker"));
        JsonElement next = await bob.ReceiveAsync(m => ChatClient.Type(m) is "reactions" or "message" && (ChatClient.Type(m) == "reactions" || Text(m, "id") == marker));
        Assert.Equal("message", ChatClient.Type(next));
    }

    [Fact]
    public async Task Both_devices_of_a_user_see_a_reaction_and_it_counts_once_for_the_account()
    {
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient phone, _) = await ChatClient.RegisterAsync(server, "erin");
        await using (phone)
        {
            await using ChatClient laptop = await LogInAsync(server, "ERIN");
            await phone.JoinAsync("lobby");
            await laptop.JoinAsync("lobby");
            string id = Id(await phone.SayAsync("lobby", "from my phone"));

            await ReactAsync(phone, id, "❤️");
            Assert.Equal(["❤️:1:erin"], Shown(await laptop.ReceiveAsync(m => IsReactions(m, id))));
            // The laptop is the same user: its react is a repeat, its unreact takes the phone's back.
            Assert.True((await ReactAsync(laptop, id, "❤️")).GetProperty("duplicate").GetBoolean());
            Assert.Equal("ack", ChatClient.Type(await UnreactAsync(laptop, id, "❤️")));
            Assert.Empty(Shown(await phone.ReceiveAsync(m => IsReactions(m, id) && Shown(m).Length == 0)));
        }
    }

    [Theory]
    [InlineData("ok")]
    [InlineData("👍👍")]
    [InlineData("👍 ")]
    [InlineData("\u200B")]
    [InlineData("1")]
    [InlineData("<")]
    [InlineData("e\u0301")]
    public async Task Anything_but_one_emoji_is_invalid_emoji(string emoji)
    {
        await using TestServer server = await TestServer.StartAsync();
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await alice.JoinAsync("lobby");
        string id = Id(await alice.SayAsync("lobby", "hello"));
        AssertError(await ReactAsync(alice, id, emoji), "invalid_emoji");
        AssertError(await UnreactAsync(alice, id, emoji), "invalid_emoji");
    }

    [Fact]
    public async Task Reactions_need_a_joined_room_a_live_message_of_it_and_every_field()
    {
        await using TestServer server = await TestServer.StartAsync(Generous);
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        (ChatClient owner, _) = await ChatClient.RegisterAsync(server, "owner");
        await using (owner)
            Assert.Equal("created", ChatClient.Type(await owner.AskAsync(new { type = "create", room = "dev" })));
        await alice.JoinAsync("lobby");
        await alice.JoinAsync("dev");
        string id = Id(await alice.SayAsync("lobby", "hello"));
        string inDev = Id(await alice.SayAsync("dev", "elsewhere"));

        AssertError(await bob.AskAsync(new { type = "react", room = "lobby", id, emoji = "👍" }), "not_member");
        await bob.JoinAsync("lobby");
        AssertError(await bob.AskAsync(new { type = "react", room = "nowhere", id, emoji = "👍" }), "no_such_room");
        AssertError(await bob.AskAsync(new { type = "react", room = "lobby", id = inDev, emoji = "👍" }), "no_such_message");
        AssertError(await bob.AskAsync(new { type = "react", room = "lobby", id = "6b0954a000000000000000a3", emoji = "👍" }), "no_such_message");
        AssertError(await bob.AskAsync(new { type = "react", room = "lobby", id = "nope", emoji = "👍" }), "bad_request");
        AssertError(await bob.AskAsync(new { type = "react", room = "lobby", id }), "bad_request");
        AssertError(await bob.AskAsync(new { type = "react", room = "lobby", emoji = "👍" }), "bad_request");
        AssertError(await bob.AskAsync(new { type = "react", id, emoji = "👍" }), "bad_request");

        // A deleted message takes no reactions, and loses those it had.
        await ReactAsync(bob, id, "👍");
        await alice.AskAsync(new { type = "delete", room = "lobby", id });
        AssertError(await ReactAsync(bob, id, "🎉"), "no_such_message");
        AssertError(await UnreactAsync(bob, id, "👍"), "no_such_message");
        JsonElement page = await bob.AskAsync(new { type = "history", room = "lobby" });
        Assert.False(page.GetProperty("messages").EnumerateArray().Single(m => Text(m, "id") == id).TryGetProperty("reactions", out _));
    }

    [Fact]
    public async Task A_message_takes_at_most_the_limit_of_different_emoji_at_the_default_limit()
    {
        await using TestServer server = await TestServer.StartAsync(Generous); // the message rate is not what is tested
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        JsonElement welcome = alice.AllReceived.First(m => ChatClient.Type(m) == "welcome");
        int limit = welcome.GetProperty("limits").GetProperty("maxReactionEmoji").GetInt32();
        Assert.Equal(20, limit);
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");
        string id = Id(await alice.SayAsync("lobby", "vote with anything"));

        for (int i = 0; i < limit; i++)
            Assert.Equal("ack", ChatClient.Type(await ReactAsync(alice, id, char.ConvertFromUtf32(0x1F600 + i))));
        JsonElement refused = await ReactAsync(bob, id, "🦄");
        AssertError(refused, "too_many_reactions");
        // Joining an emoji the message has is always possible.
        Assert.Equal("ack", ChatClient.Type(await ReactAsync(bob, id, "😀")));
        JsonElement update = await alice.ReceiveAsync(m => IsReactions(m, id) && Shown(m)[0] == "😀:2:alice,bob");
        Assert.Equal(limit, Shown(update).Length);
    }

    [Fact]
    public async Task The_muted_cannot_react_but_can_take_a_reaction_back()
    {
        await using TestServer server = await TestServer.StartAsync(o => { Generous(o); o.Admin = "root"; });
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await using ChatClient chatty = await ChatClient.GuestAsync(server, "chatty");
            await chatty.JoinAsync("lobby");
            string id = Id(await chatty.SayAsync("lobby", "first"));
            await ReactAsync(chatty, id, "🔥");
            Assert.Equal("moderated", ChatClient.Type(await root.AskAsync(new { type = "mute", user = "chatty", seconds = 600 })));

            AssertError(await ReactAsync(chatty, id, "💯"), "muted");
            Assert.Equal("ack", ChatClient.Type(await UnreactAsync(chatty, id, "🔥")));
        }
    }

    [Fact]
    public async Task A_moderator_removes_a_lower_ranks_reaction_into_the_audit_log_and_nobody_else_can()
    {
        await using TestServer server = await TestServer.StartAsync(o => { Generous(o); o.Admin = "root"; });
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await using ChatClient mod = await ModeratorAsync(server, root, "mod");
            await using ChatClient other = await ModeratorAsync(server, root, "other");
            (ChatClient member, _) = await ChatClient.RegisterAsync(server, "member");
            await using (member)
            {
                await using ChatClient troll = await ChatClient.GuestAsync(server, "troll");
                foreach (ChatClient c in new[] { root, mod, other, member, troll })
                    await c.JoinAsync("lobby");
                string id = Id(await member.SayAsync("lobby", "a fine message"));
                await ReactAsync(troll, id, "🖕");
                await ReactAsync(member, id, "👍");
                await ReactAsync(other, id, "👀");

                AssertError(await UnreactAsync(member, id, "🖕", user: "troll"), "forbidden");
                AssertError(await UnreactAsync(mod, id, "👀", user: "other"), "forbidden"); // moderators do not overrule each other
                Assert.Equal("ack", ChatClient.Type(await UnreactAsync(mod, id, "🖕", user: "TROLL")));
                await member.ReceiveAsync(m => IsReactions(m, id) && Shown(m).SequenceEqual(["👍:1:member", "👀:1:other"]));
                Assert.Equal("ack", ChatClient.Type(await UnreactAsync(root, id, "👀", user: "other")));
                Assert.True((await UnreactAsync(mod, id, "🖕", user: "troll")).GetProperty("duplicate").GetBoolean());

                JsonElement audit = await root.AskAsync(new { type = "audit" });
                List<JsonElement> entries = audit.GetProperty("entries").EnumerateArray().Where(e => Text(e, "action") == "unreact").ToList();
                Assert.Equal([("mod", "troll", "🖕"), ("root", "other", "👀")],
                    entries.Select(e => (Text(e, "by"), Text(e, "user"), Text(e, "reason"))));
                Assert.All(entries, e => Assert.Equal((id, "lobby"), (Text(e, "message"), Text(e, "room"))));
            }
        }
    }

    [Fact]
    public async Task Reactions_in_a_direct_conversation_reach_both_and_no_one_else()
    {
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient alice, _) = await ChatClient.RegisterAsync(server, "alice");
        (ChatClient bob, _) = await ChatClient.RegisterAsync(server, "bob");
        await using (alice)
        await using (bob)
        {
            JsonElement ack = await alice.AskAsync(new { type = "dm", to = "bob", text = "psst" });
            string id = Id(ack);
            JsonElement delivered = await bob.ReceiveAsync(m => IsMessage(m, id));
            string room = Text(delivered, "room")!;
            Assert.Equal("ack", ChatClient.Type(await bob.AskAsync(new { type = "react", room, id, emoji = "🤫" })));
            Assert.Equal(["🤫:1:bob"], Shown(await alice.ReceiveAsync(m => IsReactions(m, id))));
        }
    }
}
