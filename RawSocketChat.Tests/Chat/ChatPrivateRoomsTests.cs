using System.Text.Json;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>Private rooms over /chat: invisible to non-members everywhere, joined by invitation, kept when the last member leaves.</summary>
public sealed class ChatPrivateRoomsTests
{
    private static string[] RoomNames(JsonElement list, string property = "rooms") =>
        list.GetProperty(property).EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToArray();

    [Fact]
    public async Task A_private_room_exists_only_for_its_members_until_one_invites_someone()
    {
        await using TestServer server = await TestServer.StartAsync(o => { Generous(o); o.RoomListInterval = TimeSpan.FromMilliseconds(50); });
        (ChatClient alice, _) = await ChatClient.RegisterAsync(server, "alice");
        (ChatClient bob, _) = await ChatClient.RegisterAsync(server, "bob");
        await using (alice)
        await using (bob)
        {
            await using ChatClient guest = await ChatClient.GuestAsync(server, "guest");
            JsonElement created = await alice.AskAsync(new { type = "create", room = "secret", @private = true });
            Assert.Equal("created", ChatClient.Type(created));

            // The creator is its first member and sees it, marked private; nobody else sees it anywhere.
            JsonElement mine = (await alice.AskAsync(new { type = "rooms" })).GetProperty("rooms").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "secret");
            Assert.True(mine.GetProperty("private").GetBoolean());
            Assert.True(mine.GetProperty("member").GetBoolean());
            foreach (ChatClient outsider in new[] { bob, guest })
            {
                Assert.DoesNotContain("secret", RoomNames(await outsider.AskAsync(new { type = "rooms" })));
                AssertError(await outsider.AskAsync(new { type = "join", room = "secret" }), "no_such_room");
                AssertError(await outsider.AskAsync(new { type = "history", room = "secret" }), "no_such_room");
                AssertError(await outsider.AskAsync(new { type = "invite", room = "secret", user = "guest" }), "no_such_room");
            }
            AssertError(await alice.AskAsync(new { type = "create", room = "SECRET" }), "room_exists"); // the name is taken all the same
            // The room list updates that go to everyone never carry it.
            await Task.Delay(300);
            Assert.DoesNotContain(bob.AllReceived.Where(m => ChatClient.Type(m) == "rooms_changed"), m => RoomNames(m).Contains("secret"));

            JsonElement joined = await alice.JoinAsync("secret");
            Assert.True(joined.GetProperty("private").GetBoolean());
            await alice.SayAsync("secret", "just us");

            // An invitation: bob is told, sees it, joins and reads its history.
            Assert.Equal("ack", ChatClient.Type(await alice.AskAsync(new { type = "invite", room = "secret", user = "BOB" })));
            JsonElement invited = await bob.ReceiveAsync("invited");
            Assert.Equal(("secret", "alice"), (Text(invited, "room"), Text(invited, "by")));
            Assert.Contains("secret", RoomNames(await bob.AskAsync(new { type = "rooms" })));
            JsonElement bobJoined = await bob.JoinAsync("secret");
            Assert.Contains(bobJoined.GetProperty("history").EnumerateArray(), m => Text(m) == "just us");
            Assert.True((await alice.AskAsync(new { type = "invite", room = "secret", user = "bob" })).GetProperty("duplicate").GetBoolean());

            AssertError(await alice.AskAsync(new { type = "invite", room = "secret", user = "guest" }), "no_such_user"); // guests are not stored
            AssertError(await alice.AskAsync(new { type = "invite", room = "lobby", user = "bob" }), "bad_request");
            await alice.SendTextAsync("""{"type":"create","ref":"p1","room":"x2","private":"yes"}""");
            AssertError(await alice.ReceiveAsync(m => ChatClient.Ref(m) == "p1"), "bad_request");
        }
    }

    [Fact]
    public async Task The_last_member_leaving_keeps_the_room_and_its_history_and_a_moderator_can_invite_back_into_it()
    {
        await using TestServer server = await TestServer.StartAsync(o => { Generous(o); o.Admin = "root"; });
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await using ChatClient mod = await ModeratorAsync(server, root, "mod");
            (ChatClient alice, _) = await ChatClient.RegisterAsync(server, "alice");
            await using (alice)
            {
                await alice.AskAsync(new { type = "create", room = "attic", @private = true });
                await alice.JoinAsync("attic");
                await alice.SayAsync("attic", "dusty notes");
                Assert.Equal("left", ChatClient.Type(await alice.AskAsync(new { type = "leave", room = "attic" })));
                AssertError(await alice.AskAsync(new { type = "join", room = "attic" }), "no_such_room"); // no longer hers to see

                // A moderator, not a member, can still invite; that is in the audit log. The history was kept.
                Assert.Equal("ack", ChatClient.Type(await mod.AskAsync(new { type = "invite", room = "attic", user = "alice" })));
                JsonElement back = await alice.JoinAsync("attic");
                Assert.Contains(back.GetProperty("history").EnumerateArray(), m => Text(m) == "dusty notes");
                JsonElement audit = await root.AskAsync(new { type = "audit" });
                JsonElement entry = audit.GetProperty("entries").EnumerateArray().Single(e => Text(e, "action") == "invite");
                Assert.Equal(("mod", "alice", "attic"), (Text(entry, "by"), Text(entry, "user"), Text(entry, "room")));
            }
        }

        // It is still private after a restart.
        await server.StopAsync();
        await server.StartAgainAsync();
        await using ChatClient stranger = await ChatClient.GuestAsync(server, "stranger");
        Assert.DoesNotContain("attic", RoomNames(await stranger.AskAsync(new { type = "rooms" })));
    }
}
