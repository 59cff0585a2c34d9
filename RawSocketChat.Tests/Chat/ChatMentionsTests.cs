using System.Text.Json;
using RawSocketChat.Chat.Messages;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>Mentions and read positions end to end over /chat: who counts as mentioned, and unread counts that follow a user's devices.</summary>
public sealed class ChatMentionsTests
{
    private static string[] MentionsOf(JsonElement message) =>
        message.TryGetProperty("mentions", out JsonElement m) ? m.EnumerateArray().Select(u => u.GetString()!).ToArray() : [];

    private static bool MentionsRoom(JsonElement message) => message.TryGetProperty("mentionsRoom", out JsonElement r) && r.GetBoolean();

    [Theory]
    [InlineData("@bob hi", new[] { "bob" })]
    [InlineData("hi @bob, @carol!", new[] { "bob", "carol" })]
    [InlineData("mail me at alice@example.com", new string[0])]
    [InlineData("@@bob", new string[0])]
    [InlineData("@b is too short", new string[0])]
    [InlineData("(@bob) and @bob-the-builder", new[] { "bob", "bob-the-builder" })]
    [InlineData("@abcdefghijklmnopqrstuvwxy is too long", new string[0])]
    [InlineData("`@bob` in code, @carol outside", new[] { "carol" })]
    [InlineData("```\nping @bob\n``` then @dave", new[] { "dave" })]
    [InlineData("a lone ` then @bob", new[] { "bob" })]
    [InlineData("``a ` @bob`` and `x` @carol", new[] { "carol" })]
    public void The_scanner_finds_whole_names_after_an_at_that_starts_a_word(string text, string[] names) =>
        Assert.Equal(names, Mentions.Scan(text));

    [Fact]
    public async Task Members_are_mentioned_by_name_in_their_spelling_and_room_only_by_a_moderator()
    {
        await using TestServer server = await TestServer.StartAsync(o => { Generous(o); o.Admin = "root"; });
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await using ChatClient mod = await ModeratorAsync(server, root, "mod");
            (ChatClient bob, _) = await ChatClient.RegisterAsync(server, "Bob");
            await using (bob)
            {
                await using ChatClient carol = await ChatClient.GuestAsync(server, "carol");
                foreach (ChatClient c in new[] { mod, bob, carol })
                    await c.JoinAsync("lobby");

                string id = Id(await carol.SayAsync("lobby", "@bob @BOB @carol @nobody @room @mod look"));
                JsonElement message = await bob.ReceiveAsync(m => IsMessage(m, id));
                Assert.Equal(["Bob", "mod"], MentionsOf(message)); // as spelled by the member; not oneself, not a stranger, once
                Assert.False(MentionsRoom(message)); // @room is a moderator's

                string everyone = Id(await mod.SayAsync("lobby", "@room meeting in 5"));
                JsonElement announcement = await carol.ReceiveAsync(m => IsMessage(m, everyone));
                Assert.True(MentionsRoom(announcement));
                Assert.Empty(MentionsOf(announcement));

                // An edit re-reads the text: the event and history carry the new mentions.
                await carol.AskAsync(new { type = "edit", room = "lobby", id, text = "never mind @mod" });
                JsonElement edited = await bob.ReceiveAsync(m => ChatClient.Type(m) == "edited" && Text(m, "id") == id);
                Assert.Equal(["mod"], MentionsOf(edited));
                JsonElement page = await bob.AskAsync(new { type = "history", room = "lobby" });
                Assert.Equal(["mod"], MentionsOf(page.GetProperty("messages").EnumerateArray().Single(m => Text(m, "id") == id)));
            }
        }
    }

    [Fact]
    public async Task A_message_mentions_at_most_the_limit_and_a_direct_message_nobody()
    {
        await using TestServer server = await TestServer.StartAsync(o => { Generous(o); o.MaxMentions = 2; });
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        var others = new List<ChatClient>();
        foreach (string name in new[] { "bob", "carol", "dave" })
        {
            ChatClient c = await ChatClient.GuestAsync(server, name);
            await c.JoinAsync("lobby");
            others.Add(c);
        }
        await alice.JoinAsync("lobby");
        string id = Id(await alice.SayAsync("lobby", "@bob @carol @dave"));
        Assert.Equal(["bob", "carol"], MentionsOf(await others[2].ReceiveAsync(m => IsMessage(m, id))));
        foreach (ChatClient c in others)
            await c.DisposeAsync();

        (ChatClient erin, _) = await ChatClient.RegisterAsync(server, "erin");
        (ChatClient frank, _) = await ChatClient.RegisterAsync(server, "frank");
        await using (erin)
        await using (frank)
        {
            string dm = Id(await erin.AskAsync(new { type = "dm", to = "frank", text = "@frank psst" }));
            Assert.Empty(MentionsOf(await frank.ReceiveAsync(m => IsMessage(m, dm))));
        }
    }

    [Fact]
    public async Task Read_positions_agree_across_devices_move_only_forward_and_drive_unread_and_mention_counts()
    {
        // Default limits: as a user meets them.
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient phone, _) = await ChatClient.RegisterAsync(server, "alice");
        await using (phone)
        {
            await using ChatClient laptop = await LogInAsync(server, "alice");
            await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
            await phone.JoinAsync("lobby");
            await bob.JoinAsync("lobby");

            string first = Id(await bob.SayAsync("lobby", "one"));
            string mine = Id(await phone.SayAsync("lobby", "my own"));
            string second = Id(await bob.SayAsync("lobby", "@alice two"));
            string third = Id(await bob.SayAsync("lobby", "three"));

            JsonElement before = await laptop.AskAsync(new { type = "unread" });
            JsonElement lobby = before.GetProperty("rooms").EnumerateArray().Single(r => Text(r, "room") == "lobby");
            Assert.Equal((3, 1), (lobby.GetProperty("unread").GetInt32(), lobby.GetProperty("mentions").GetInt32())); // not her own
            Assert.False(lobby.TryGetProperty("read", out _));
            Assert.Equal(1000, before.GetProperty("cap").GetInt32());

            // The phone reads up to the mention; the laptop is told, and its count agrees.
            JsonElement ack = await phone.AskAsync(new { type = "read", room = "lobby", id = second });
            Assert.Equal(second, Id(ack));
            JsonElement told = await laptop.ReceiveAsync("read");
            Assert.Equal(("lobby", second), (Text(told, "room"), Text(told, "id")));
            lobby = (await laptop.AskAsync(new { type = "unread" })).GetProperty("rooms").EnumerateArray().Single(r => Text(r, "room") == "lobby");
            Assert.Equal((second, 1, 0), (Text(lobby, "read"), lobby.GetProperty("unread").GetInt32(), lobby.GetProperty("mentions").GetInt32()));

            // An older id (a device that was offline) does not move it back.
            JsonElement stale = await laptop.AskAsync(new { type = "read", room = "lobby", id = first });
            Assert.Equal(second, Id(stale));
            Assert.True(stale.GetProperty("duplicate").GetBoolean());
            // Both devices hear the stored position each time: the phone's own read, then the laptop's stale one.
            for (int i = 0; i < 2; i++)
                await phone.ReceiveAsync(m => ChatClient.Type(m) == "read" && Text(m, "id") == second);

            // And it survives a restart: the position is stored.
            await server.StopAsync();
            await server.StartAgainAsync();
            await using ChatClient later = await LogInAsync(server, "alice");
            lobby = (await later.AskAsync(new { type = "unread" })).GetProperty("rooms").EnumerateArray().Single(r => Text(r, "room") == "lobby");
            Assert.Equal((second, 1), (Text(lobby, "read"), lobby.GetProperty("unread").GetInt32()));
            _ = (mine, third);
        }
    }

    [Fact]
    public async Task Read_needs_a_message_of_that_room_and_guests_have_no_positions()
    {
        await using TestServer server = await TestServer.StartAsync(Generous);
        (ChatClient alice, _) = await ChatClient.RegisterAsync(server, "alice");
        await using (alice)
        {
            await using ChatClient guest = await ChatClient.GuestAsync(server, "visitor");
            await guest.JoinAsync("lobby");
            string id = Id(await guest.SayAsync("lobby", "hello"));
            AssertError(await guest.AskAsync(new { type = "read", room = "lobby", id }), "forbidden");
            AssertError(await guest.AskAsync(new { type = "unread" }), "forbidden");

            AssertError(await alice.AskAsync(new { type = "read", room = "lobby", id = "6b0954a000000000000000a3" }), "no_such_message");
            AssertError(await alice.AskAsync(new { type = "read", room = "nowhere", id }), "no_such_room");
            AssertError(await alice.AskAsync(new { type = "read", room = "lobby", id = "x" }), "bad_request");
            AssertError(await alice.AskAsync(new { type = "read", room = "lobby" }), "bad_request");
            await guest.AskAsync(new { type = "delete", room = "lobby", id });
            Assert.Equal("ack", ChatClient.Type(await alice.AskAsync(new { type = "read", room = "lobby", id }))); // a tombstone is a place too
        }
    }
}
