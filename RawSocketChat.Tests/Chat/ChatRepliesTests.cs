using System.Text.Json;
using RawSocketChat.Chat;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>Replies end to end over /chat: the quote on the live message and in history, and a quote that follows its parent.</summary>
public sealed class ChatRepliesTests
{
    private static (string? Id, string? User, string? Text, bool Deleted) Quote(JsonElement message)
    {
        JsonElement q = message.GetProperty("replyTo");
        return (Text(q, "id"), Text(q, "user"), Text(q, "text"), q.TryGetProperty("deleted", out JsonElement d) && d.GetBoolean());
    }

    private static async Task<JsonElement> ReplyAsync(ChatClient client, string parent, string text, string room = "lobby") =>
        await client.AskAsync(new { type = "send", room, text, replyTo = parent });

    [Fact]
    public async Task A_reply_carries_a_short_quote_of_its_parent_live_and_in_history()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");
        string parent = Id(await alice.SayAsync("lobby", "lunch at noon?\nor at one, whatever suits"));

        JsonElement ack = await ReplyAsync(bob, parent, "noon works");
        Assert.Equal("ack", ChatClient.Type(ack));
        string reply = Id(ack);
        foreach (ChatClient member in new[] { alice, bob })
        {
            JsonElement live = await member.ReceiveAsync(m => IsMessage(m, reply));
            Assert.Equal((parent, "alice", "lunch at noon? …", false), Quote(live)); // the first line, marked as cut
            Assert.Equal("noon works", Text(live));
        }

        await using ChatClient carol = await ChatClient.GuestAsync(server, "carol");
        JsonElement joined = await carol.JoinAsync("lobby");
        JsonElement page = await carol.AskAsync(new { type = "history", room = "lobby" });
        foreach (JsonElement history in new[] { joined.GetProperty("history"), page.GetProperty("messages") })
        {
            Assert.Equal((parent, "alice", "lunch at noon? …", false), Quote(history.EnumerateArray().Single(m => Text(m, "id") == reply)));
            Assert.False(history.EnumerateArray().Single(m => Text(m, "id") == parent).TryGetProperty("replyTo", out _));
        }
    }

    [Fact]
    public async Task A_long_first_line_is_cut_at_120_characters_without_splitting_an_emoji()
    {
        string line = new string('a', 119) + "🙂🙂 and more";
        Assert.Equal(new string('a', 119) + "🙂…", ServerMessages.Quote(line));
        Assert.Equal("short", ServerMessages.Quote("short"));
        Assert.Equal("first …", ServerMessages.Quote("first  \nsecond"));

        await using TestServer server = await TestServer.StartAsync();
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await alice.JoinAsync("lobby");
        string parent = Id(await alice.SayAsync("lobby", line));
        string reply = Id(await ReplyAsync(alice, parent, "replying to myself"));
        JsonElement live = await alice.ReceiveAsync(m => IsMessage(m, reply));
        Assert.Equal(new string('a', 119) + "🙂…", Quote(live).Text);
    }

    [Fact]
    public async Task The_quote_follows_its_parents_edit_and_deletion_in_history_and_for_newcomers()
    {
        await using TestServer server = await TestServer.StartAsync(Generous);
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");
        string parent = Id(await alice.SayAsync("lobby", "my password is hunter2"));
        string reply = Id(await ReplyAsync(bob, parent, "you should change it"));

        await alice.AskAsync(new { type = "edit", room = "lobby", id = parent, text = "my password is secret" });
        await using (ChatClient carol = await ChatClient.GuestAsync(server, "carol"))
        {
            JsonElement joined = await carol.JoinAsync("lobby");
            Assert.Equal("my password is secret", Quote(joined.GetProperty("history").EnumerateArray().Single(m => Text(m, "id") == reply)).Text);
        }

        await alice.AskAsync(new { type = "delete", room = "lobby", id = parent });
        await using ChatClient dave = await ChatClient.GuestAsync(server, "dave");
        JsonElement rejoined = await dave.JoinAsync("lobby");
        JsonElement page = await dave.AskAsync(new { type = "history", room = "lobby" });
        foreach (JsonElement history in new[] { rejoined.GetProperty("history"), page.GetProperty("messages") })
        {
            Assert.Equal((parent, "alice", "", true), Quote(history.EnumerateArray().Single(m => Text(m, "id") == reply)));
            Assert.DoesNotContain("hunter2", history.GetRawText());
            Assert.DoesNotContain("secret", history.GetRawText());
        }
        // The reply itself stays; a reply to the deleted parent is refused.
        AssertError(await ReplyAsync(dave, parent, "too late"), "no_such_message");
    }

    [Fact]
    public async Task A_reply_needs_a_live_message_of_the_same_room()
    {
        await using TestServer server = await TestServer.StartAsync(Generous);
        (ChatClient owner, _) = await ChatClient.RegisterAsync(server, "owner");
        await using (owner)
            Assert.Equal("created", ChatClient.Type(await owner.AskAsync(new { type = "create", room = "dev" })));
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await alice.JoinAsync("lobby");
        await alice.JoinAsync("dev");
        string inDev = Id(await alice.SayAsync("dev", "over here"));

        AssertError(await ReplyAsync(alice, inDev, "wrong room"), "no_such_message");
        AssertError(await ReplyAsync(alice, "6b0954a000000000000000a3", "nothing there"), "no_such_message");
        AssertError(await ReplyAsync(alice, "not-an-id", "garbage"), "bad_request");
        JsonElement history = await alice.AskAsync(new { type = "history", room = "lobby" });
        Assert.Empty(history.GetProperty("messages").EnumerateArray()); // nothing refused was stored

        // Replies are one level deep: a reply to a reply quotes that reply, and nothing above it.
        string first = Id(await alice.SayAsync("dev", "question"));
        string second = Id(await ReplyAsync(alice, first, "answer", room: "dev"));
        string third = Id(await ReplyAsync(alice, second, "follow-up", room: "dev"));
        JsonElement live = await alice.ReceiveAsync(m => IsMessage(m, third));
        Assert.Equal((second, "alice", "answer", false), Quote(live));
        Assert.DoesNotContain("question", live.GetProperty("replyTo").GetRawText());
    }

    [Fact]
    public async Task A_direct_message_can_reply_within_its_conversation_only()
    {
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient alice, _) = await ChatClient.RegisterAsync(server, "alice");
        (ChatClient bob, _) = await ChatClient.RegisterAsync(server, "bob");
        await using (alice)
        await using (bob)
        {
            await alice.JoinAsync("lobby");
            string inLobby = Id(await alice.SayAsync("lobby", "public words"));
            string question = Id(await alice.AskAsync(new { type = "dm", to = "bob", text = "coffee?" }));
            JsonElement ack = await bob.AskAsync(new { type = "dm", to = "alice", text = "yes!", replyTo = question });
            JsonElement answer = await alice.ReceiveAsync(m => IsMessage(m, Id(ack)));
            Assert.Equal((question, "alice", "coffee?", false), Quote(answer));
            AssertError(await bob.AskAsync(new { type = "dm", to = "alice", text = "re: lobby", replyTo = inLobby }), "no_such_message");
        }
    }

    [Fact]
    public async Task A_retried_reply_is_stored_once_and_acked_with_the_same_id()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await alice.JoinAsync("lobby");
        string parent = Id(await alice.SayAsync("lobby", "ping"));
        await alice.SendJsonAsync(new { type = "send", room = "lobby", text = "pong", replyTo = parent, @ref = "re1" });
        JsonElement first = await alice.ReceiveAsync(m => ChatClient.Type(m) == "ack" && ChatClient.Ref(m) == "re1");
        await alice.SendJsonAsync(new { type = "send", room = "lobby", text = "pong", replyTo = parent, @ref = "re1" });
        JsonElement again = await alice.ReceiveAsync(m => ChatClient.Type(m) == "ack" && ChatClient.Ref(m) == "re1" && m.TryGetProperty("duplicate", out _));
        Assert.Equal(Id(first), Id(again));
    }
}
