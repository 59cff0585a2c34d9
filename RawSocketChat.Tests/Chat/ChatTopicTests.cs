using System.Text.Json;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>Room topics over /chat: who may set them, what everyone sees, what survives a restart, what the audit log keeps.</summary>
public sealed class ChatTopicTests
{
    [Fact]
    public async Task The_creator_sets_the_topic_everyone_in_the_room_sees_it_and_it_survives_a_restart()
    {
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient alice, _) = await ChatClient.RegisterAsync(server, "alice");
        await using (alice)
        {
            Assert.Equal("created", ChatClient.Type(await alice.AskAsync(new { type = "create", room = "dev" })));
            await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
            await alice.JoinAsync("dev");
            JsonElement joined = await bob.JoinAsync("dev");
            Assert.Equal("alice", Text(joined, "createdBy"));
            Assert.Null(Text(joined, "topic"));

            Assert.Equal("ack", ChatClient.Type(await alice.AskAsync(new { type = "topic", room = "dev", text = "  Release 2.0 on Friday 🚀 " })));
            JsonElement update = await bob.ReceiveAsync("topic");
            Assert.Equal(("dev", "Release 2.0 on Friday 🚀", "alice"), (Text(update, "room"), Text(update, "topic"), Text(update, "by")));

            AssertError(await bob.AskAsync(new { type = "topic", room = "dev", text = "mine now" }), "forbidden");
            AssertError(await alice.AskAsync(new { type = "topic", room = "dev", text = "two\nlines" }), "invalid_text");
            AssertError(await alice.AskAsync(new { type = "topic", room = "dev", text = new string('x', 251) }), "too_long");
            AssertError(await alice.AskAsync(new { type = "topic", room = "nowhere", text = "x" }), "no_such_room");
        }

        await server.StopAsync();
        await server.StartAgainAsync();
        await using ChatClient carol = await ChatClient.GuestAsync(server, "carol");
        Assert.Equal("Release 2.0 on Friday 🚀", Text(await carol.JoinAsync("dev"), "topic"));
    }

    [Fact]
    public async Task A_moderator_sets_or_clears_any_rooms_topic_and_that_is_in_the_audit_log()
    {
        await using TestServer server = await TestServer.StartAsync(o => { Generous(o); o.Admin = "root"; });
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await using ChatClient mod = await ModeratorAsync(server, root, "mod");
            Assert.Equal("ack", ChatClient.Type(await mod.AskAsync(new { type = "topic", room = "lobby", text = "Be kind" })));
            await using ChatClient guest = await ChatClient.GuestAsync(server, "guest");
            Assert.Equal("Be kind", Text(await guest.JoinAsync("lobby"), "topic"));

            Assert.Equal("ack", ChatClient.Type(await mod.AskAsync(new { type = "topic", room = "lobby", text = "" })));
            JsonElement cleared = await guest.ReceiveAsync("topic");
            Assert.Null(Text(cleared, "topic"));

            JsonElement audit = await root.AskAsync(new { type = "audit" });
            List<JsonElement> entries = audit.GetProperty("entries").EnumerateArray().Where(e => Text(e, "action") == "topic").ToList();
            Assert.Equal([("mod", "lobby", "Be kind"), ("mod", "lobby", null)], entries.Select(e => (Text(e, "by"), Text(e, "room"), Text(e, "reason"))));
        }
    }
}
