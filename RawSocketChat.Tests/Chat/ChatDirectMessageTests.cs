using System.Text.Json;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>Direct messages end to end: delivery to exactly two people, the conversation as a private room, restarts.</summary>
public sealed class ChatDirectMessageTests
{
    private static bool InConversation(JsonElement m, string type) =>
        ChatClient.Type(m) == type && Text(m, "room") == "@alice+bob";

    [Fact]
    public async Task A_dm_reaches_only_the_two_people_on_every_connection_and_the_conversation_is_theirs_alone()
    {
        await using TestServer server = await TestServer.StartAsync(ChatTestHelpers.Generous);
        (ChatClient alice, _) = await ChatClient.RegisterAsync(server, "Alice");
        await using (alice)
        {
            await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
            await using ChatClient aliceTab = await ChatClient.ConnectAsync(server); // alice's second device
            await aliceTab.SendJsonAsync(new { type = "login", name = "alice", password = "correct horse battery" });
            await aliceTab.ReceiveAsync("welcome");
            await using ChatClient carol = await ChatClient.GuestAsync(server, "carol");
            await carol.JoinAsync("lobby");
            await bob.JoinAsync("lobby");

            JsonElement ack = await alice.AskAsync(new { type = "dm", to = "BOB", text = " psst " });
            Assert.Equal("ack", ChatClient.Type(ack));
            string id = Id(ack);

            // Every connection of both users was joined to the conversation, then got the message.
            foreach (ChatClient connection in new[] { alice, aliceTab, bob })
            {
                JsonElement joined = await connection.ReceiveAsync(m => InConversation(m, "joined"));
                Assert.Equal(2, joined.GetProperty("memberCount").GetInt32());
                JsonElement message = await connection.ReceiveAsync(m => IsMessage(m, id));
                Assert.Equal(("@alice+bob", "Alice", "psst"), (Text(message, "room"), Text(message, "user"), Text(message, "text")));
                Assert.True(connection.AllReceived.ToList().FindIndex(m => InConversation(m, "joined"))
                    < connection.AllReceived.ToList().FindIndex(m => IsMessage(m, id)));
            }

            // A reply with dm, and one with send to the conversation, work the same way.
            string reply = Id(await bob.AskAsync(new { type = "dm", to = "alice", text = "hi!" }));
            await alice.ReceiveAsync(m => IsMessage(m, reply));
            string viaSend = Id(await bob.SayAsync("@alice+bob", "via send"));
            await aliceTab.ReceiveAsync(m => IsMessage(m, viaSend));

            // Nobody else saw anything, or can see the conversation.
            Assert.DoesNotContain(carol.AllReceived, m => m.GetRawText().Contains("@alice+bob") || m.GetRawText().Contains("psst"));
            JsonElement carolRooms = await carol.AskAsync(new { type = "rooms" });
            Assert.DoesNotContain(carolRooms.GetProperty("rooms").EnumerateArray(), r => Text(r, "name")!.StartsWith('@'));
            AssertError(await carol.AskAsync(new { type = "join", room = "@alice+bob" }), "no_such_room");
            AssertError(await carol.AskAsync(new { type = "history", room = "@alice+bob" }), "no_such_room");
            AssertError(await carol.AskAsync(new { type = "send", room = "@alice+bob", text = "let me in" }), "no_such_room");

            // Both list it among their rooms.
            foreach (ChatClient connection in new[] { alice, bob })
            {
                JsonElement rooms = await connection.AskAsync(new { type = "rooms" });
                JsonElement dm = rooms.GetProperty("rooms").EnumerateArray().Single(r => Text(r, "name") == "@alice+bob");
                Assert.True(dm.GetProperty("joined").GetBoolean());
                Assert.Equal(2, dm.GetProperty("members").GetInt32());
            }
        }
    }

    [Fact]
    public async Task A_dm_needs_someone_else_who_exists()
    {
        await using TestServer server = await TestServer.StartAsync(ChatTestHelpers.Generous);
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        AssertError(await alice.AskAsync(new { type = "dm", to = "nobody", text = "hello?" }), "no_such_user");
        AssertError(await alice.AskAsync(new { type = "dm", to = "ALICE", text = "me" }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "dm", to = "no spaces", text = "x" }), "invalid_name");
        AssertError(await alice.AskAsync(new { type = "dm", text = "to whom?" }), "bad_request");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        AssertError(await alice.AskAsync(new { type = "dm", to = "bob", text = "" }), "bad_request");
        AssertError(await alice.AskAsync(new { type = "dm", to = "bob", text = "bell\u0007" }), "invalid_text");

        // A retried dm with the same ref is stored once.
        await alice.SendJsonAsync(new { type = "dm", to = "bob", text = "once", @ref = "d1" });
        JsonElement first = await alice.ReceiveAsync(m => ChatClient.Type(m) == "ack");
        await alice.SendJsonAsync(new { type = "dm", to = "bob", text = "once", @ref = "d1" });
        JsonElement second = await alice.ReceiveAsync(m => ChatClient.Type(m) == "ack");
        Assert.Equal(Id(first), Id(second));
        Assert.True(second.GetProperty("duplicate").GetBoolean());
    }

    [Fact]
    public async Task A_registered_user_offline_receives_dms_and_conversations_survive_a_restart_with_history_and_paging()
    {
        await using TestServer server = await TestServer.StartAsync(ChatTestHelpers.Generous);
        (ChatClient bob, JsonElement bobWelcome) = await ChatClient.RegisterAsync(server, "bob");
        string bobToken = bobWelcome.GetProperty("token").GetString()!;
        await bob.DisposeAsync(); // offline, but registered: still reachable
        (ChatClient alice, JsonElement aliceWelcome) = await ChatClient.RegisterAsync(server, "alice");
        string aliceToken = aliceWelcome.GetProperty("token").GetString()!;
        var ids = new List<string>();
        for (int i = 0; i < 60; i++)
            ids.Add(Id(await alice.AskAsync(new { type = "dm", to = "bob", text = $"dm {i}" })));
        await alice.DisposeAsync();

        await server.StopAsync();
        await server.StartAgainAsync();

        await using ChatClient bobAgain = await ChatClient.ConnectAsync(server);
        JsonElement welcome = await bobAgain.AskAsync(new { type = "resume", token = bobToken });
        Assert.Contains(welcome.GetProperty("rooms").EnumerateArray(), r => Text(r, "name") == "@alice+bob");
        JsonElement joined = await bobAgain.JoinAsync("@alice+bob");
        Assert.Equal(ids.TakeLast(50), joined.GetProperty("history").EnumerateArray().Select(m => Text(m, "id")!));
        JsonElement page = await bobAgain.AskAsync(new { type = "history", room = "@alice+bob", before = ids[10], limit = 20 });
        Assert.Equal(ids.Take(10), page.GetProperty("messages").EnumerateArray().Select(m => Text(m, "id")!));
        Assert.False(page.GetProperty("more").GetBoolean());

        // The conversation goes on after the restart, for both.
        await using ChatClient aliceAgain = await ChatClient.ConnectAsync(server);
        await aliceAgain.AskAsync(new { type = "resume", token = aliceToken });
        string next = Id(await bobAgain.AskAsync(new { type = "dm", to = "alice", text = "back" }));
        await aliceAgain.ReceiveAsync(m => IsMessage(m, next));
        Assert.True(string.CompareOrdinal(next, ids[^1]) > 0);

        // A guest who happens to take a name later cannot read it: "alice" and "bob" are registered names.
        await using ChatClient impostor = await ChatClient.ConnectAsync(server);
        AssertError(await impostor.AskAsync(new { type = "login", name = "alice" }), "name_taken");
    }

    [Fact]
    public async Task Edits_and_deletes_in_a_conversation_reach_both_and_the_next_dm_brings_back_one_who_left()
    {
        await using TestServer server = await TestServer.StartAsync(ChatTestHelpers.Generous);
        (ChatClient alice, _) = await ChatClient.RegisterAsync(server, "alice");
        await using (alice)
        {
            (ChatClient bob, _) = await ChatClient.RegisterAsync(server, "bob");
            await using (bob)
            {
                string id = Id(await alice.AskAsync(new { type = "dm", to = "bob", text = "typo" }));
                await bob.ReceiveAsync(m => IsMessage(m, id));
                await alice.AskAsync(new { type = "edit", room = "@alice+bob", id, text = "fixed" });
                Assert.Equal("fixed", Text(await bob.ReceiveAsync("edited")));
                await alice.AskAsync(new { type = "delete", room = "@alice+bob", id });
                Assert.Equal(id, Text(await bob.ReceiveAsync("deleted"), "id"));

                Assert.Equal("left", ChatClient.Type(await bob.AskAsync(new { type = "leave", room = "@alice+bob" })));
                JsonElement rooms = await bob.AskAsync(new { type = "rooms" });
                Assert.Equal(1, rooms.GetProperty("rooms").EnumerateArray().Single(r => Text(r, "name") == "@alice+bob").GetProperty("members").GetInt32());

                string again = Id(await alice.AskAsync(new { type = "dm", to = "bob", text = "come back" }));
                await bob.ReceiveAsync(m => InConversation(m, "joined"));
                await bob.ReceiveAsync(m => IsMessage(m, again));
            }
        }
    }
}
