using System.Text.Json;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>Editing and deleting one's own messages, end to end over /chat: the events, the history, the refusals.</summary>
public sealed class ChatEditsTests
{
    [Fact]
    public async Task An_edit_reaches_every_member_and_history_shows_the_new_text_with_its_time()
    {
        await using TestServer server = await TestServer.StartAsync(Generous);
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");
        string id = Id(await alice.SayAsync("lobby", "helo wrold"));

        JsonElement ack = await alice.AskAsync(new { type = "edit", room = "lobby", id, text = "  hello world " });
        Assert.Equal("ack", ChatClient.Type(ack));
        Assert.Equal(id, Id(ack));
        foreach (ChatClient member in new[] { alice, bob })
        {
            JsonElement edited = await member.ReceiveAsync("edited");
            Assert.Equal("lobby", Text(edited, "room"));
            Assert.Equal(id, Text(edited, "id"));
            Assert.Equal("alice", Text(edited, "user"));
            Assert.Equal("hello world", Text(edited, "text")); // normalized like a send
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", Text(edited, "editedAt"));
        }
        // The edit is stored before the ack: the editor sees the event first.
        Assert.Equal(["edited", "ack"], alice.AllReceived.Select(ChatClient.Type).Where(t => t is "edited" or "ack").TakeLast(2));

        // A newcomer's history, and a history page, show the edit.
        await using ChatClient carol = await ChatClient.GuestAsync(server, "carol");
        JsonElement joined = await carol.JoinAsync("lobby");
        JsonElement inHistory = joined.GetProperty("history").EnumerateArray().Single(m => Text(m, "id") == id);
        Assert.Equal("hello world", Text(inHistory));
        Assert.NotNull(Text(inHistory, "editedAt"));
        JsonElement page = await carol.AskAsync(new { type = "history", room = "lobby" });
        JsonElement paged = page.GetProperty("messages").EnumerateArray().Single(m => Text(m, "id") == id);
        Assert.Equal("hello world", Text(paged));
        Assert.Equal(Text(inHistory, "editedAt"), Text(paged, "editedAt"));
    }

    [Fact]
    public async Task A_delete_reaches_every_member_and_history_keeps_a_tombstone_without_the_text()
    {
        await using TestServer server = await TestServer.StartAsync(Generous);
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");
        string before = Id(await alice.SayAsync("lobby", "before"));
        string id = Id(await alice.SayAsync("lobby", "oops, my password is hunter2"));
        string after = Id(await bob.SayAsync("lobby", "after"));

        JsonElement ack = await alice.AskAsync(new { type = "delete", room = "lobby", id });
        Assert.Equal("ack", ChatClient.Type(ack));
        foreach (ChatClient member in new[] { alice, bob })
        {
            JsonElement deleted = await member.ReceiveAsync("deleted");
            Assert.Equal((id, "lobby", "alice", "alice", "author"),
                (Text(deleted, "id"), Text(deleted, "room"), Text(deleted, "user"), Text(deleted, "by"), Text(deleted, "deletedBy")));
        }

        await using ChatClient carol = await ChatClient.GuestAsync(server, "carol");
        JsonElement joined = await carol.JoinAsync("lobby");
        JsonElement page = await carol.AskAsync(new { type = "history", room = "lobby" });
        foreach (JsonElement history in new[] { joined.GetProperty("history"), page.GetProperty("messages") })
        {
            Assert.Equal([before, id, after], history.EnumerateArray().Select(m => Text(m, "id")!).TakeLast(3));
            JsonElement tombstone = history.EnumerateArray().Single(m => Text(m, "id") == id);
            Assert.Equal("", Text(tombstone));
            Assert.True(tombstone.GetProperty("deleted").GetBoolean());
            Assert.Equal("author", Text(tombstone, "deletedBy"));
            Assert.DoesNotContain("hunter2", history.GetRawText());
        }

        AssertError(await alice.AskAsync(new { type = "delete", room = "lobby", id }), "no_such_message");
        AssertError(await alice.AskAsync(new { type = "edit", room = "lobby", id, text = "undo" }), "no_such_message");
    }

    [Fact]
    public async Task Only_the_author_edits_and_only_the_author_deletes_and_bad_requests_are_refused()
    {
        await using TestServer server = await TestServer.StartAsync(Generous);
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");
        string id = Id(await alice.SayAsync("lobby", "mine"));

        AssertError(await bob.AskAsync(new { type = "edit", room = "lobby", id, text = "yours now" }), "forbidden");
        AssertError(await bob.AskAsync(new { type = "delete", room = "lobby", id }), "forbidden");
        AssertError(await alice.AskAsync(new { type = "edit", room = "lobby", id = "0123456789abcdef01234567", text = "x" }), "no_such_message");
        AssertError(await alice.AskAsync(new { type = "edit", room = "lobby", id = "not-an-id", text = "x" }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "edit", room = "lobby", id, text = "   " }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "edit", room = "lobby", id, text = "bell\u0007" }), "invalid_text");
        AssertError(await alice.AskAsync(new { type = "edit", room = "lobby", id }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "delete", room = "nowhere", id }), "no_such_room");

        // The id must be a message of that room.
        (ChatClient owner, _) = await ChatClient.RegisterAsync(server, "owner");
        await using (owner)
        {
            await owner.AskAsync(new { type = "create", room = "dev" });
            AssertError(await alice.AskAsync(new { type = "delete", room = "dev", id }), "no_such_message");
        }

        // Nothing changed.
        JsonElement page = await bob.AskAsync(new { type = "history", room = "lobby" });
        Assert.Equal("mine", Text(page.GetProperty("messages").EnumerateArray().Single(m => Text(m, "id") == id)));
        Assert.Null(Text(page.GetProperty("messages")[0], "editedAt"));
    }

    [Fact]
    public async Task Edits_and_deletes_survive_a_restart_and_a_retried_send_of_an_edited_message_is_still_a_duplicate()
    {
        await using TestServer server = await TestServer.StartAsync(Generous);
        (ChatClient pat, JsonElement welcome) = await ChatClient.RegisterAsync(server, "pat");
        string token = welcome.GetProperty("token").GetString()!;
        await pat.JoinAsync("lobby");
        string edited = Id(await pat.SayAsync("lobby", "frist", "r-edit"));
        string deleted = Id(await pat.SayAsync("lobby", "regrettable"));
        Assert.Equal("ack", ChatClient.Type(await pat.AskAsync(new { type = "edit", room = "lobby", id = edited, text = "first" })));
        Assert.Equal("ack", ChatClient.Type(await pat.AskAsync(new { type = "delete", room = "lobby", id = deleted })));
        await pat.DisposeAsync();

        await server.StopAsync();
        await server.StartAgainAsync();

        await using ChatClient again = await ChatClient.ConnectAsync(server);
        await again.SendJsonAsync(new { type = "resume", token });
        await again.ReceiveAsync("welcome");
        JsonElement joined = await again.JoinAsync("lobby");
        JsonElement page = await again.AskAsync(new { type = "history", room = "lobby" });
        foreach (JsonElement history in new[] { joined.GetProperty("history"), page.GetProperty("messages") })
        {
            JsonElement first = history.EnumerateArray().Single(m => Text(m, "id") == edited);
            Assert.Equal("first", Text(first));
            Assert.NotNull(Text(first, "editedAt"));
            JsonElement gone = history.EnumerateArray().Single(m => Text(m, "id") == deleted);
            Assert.True(gone.GetProperty("deleted").GetBoolean());
            Assert.Equal("author", Text(gone, "deletedBy"));
            Assert.Equal("", Text(gone));
        }

        // The original send retried (its ack was lost, say): the same message, not a conflict, not a second copy.
        JsonElement retry = await again.SayAsync("lobby", "frist", "r-edit");
        Assert.Equal("ack", ChatClient.Type(retry));
        Assert.Equal(edited, Id(retry));
        Assert.True(retry.GetProperty("duplicate").GetBoolean());
    }
}
