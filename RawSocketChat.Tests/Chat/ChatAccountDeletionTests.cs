using System.Text.Json;
using RawSocketChat.Tests.Monitoring;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>
/// <c>delete_account</c> over /chat, as the user with two devices, the people they talked to, and a newcomer see it:
/// their messages become tombstones everywhere (live, in a join's history, after a restart), their reactions go, every
/// device is signed out, and the name can never be used again — not to register, log in, resume, or as a guest.
/// </summary>
public sealed class ChatAccountDeletionTests
{
    private const string Password = "correct horse battery";

    private static JsonElement Find(JsonElement messages, string id) => messages.EnumerateArray().Single(m => Text(m, "id") == id);

    [Fact]
    public async Task Deleting_ones_account_leaves_tombstones_signs_every_device_out_and_retires_the_name()
    {
        await using TestServer server = await TestServer.StartAsync(Generous);
        (ChatClient phone, JsonElement welcome) = await ChatClient.RegisterAsync(server, "alice");
        (ChatClient bob, _) = await ChatClient.RegisterAsync(server, "bob");
        string token = Text(welcome, "token")!;
        string said, reply, his;
        await using (bob)
        {
            await using (phone)
            {
                await using ChatClient laptop = await LogInAsync(server, "alice");
                await using ChatClient carol = await ChatClient.GuestAsync(server, "carol");
                await phone.JoinAsync("lobby");
                await bob.JoinAsync("lobby");
                said = Id(await phone.AskAsync(new { type = "send", room = "lobby", text = "my secret recipe, @bob" }));
                reply = Id(await bob.AskAsync(new { type = "send", room = "lobby", text = "tell me more", replyTo = said }));
                his = Id(await bob.AskAsync(new { type = "send", room = "lobby", text = "bob's own words" }));
                await bob.AskAsync(new { type = "react", room = "lobby", id = said, emoji = "👍" });
                await phone.AskAsync(new { type = "react", room = "lobby", id = his, emoji = "🎉" });
                Assert.Equal("ack", ChatClient.Type(await phone.AskAsync(new { type = "dm", to = "bob", text = "just between us" })));

                // Refusals first: a guest, a missing or wrong password.
                AssertError(await carol.AskAsync(new { type = "delete_account", password = Password }), "forbidden");
                AssertError(await phone.AskAsync(new { type = "delete_account" }), "bad_request");
                AssertError(await phone.AskAsync(new { type = "delete_account", password = "not the password" }), "bad_credentials");

                // The laptop is still sending while the phone deletes the account: whatever of it is stored must go too.
                await laptop.JoinAsync("lobby");
                for (int i = 0; i < 20; i++)
                    await laptop.SendJsonAsync(new { type = "send", room = "lobby", text = $"last words {i}", @ref = $"lw{i}" });
                JsonElement done = await phone.AskAsync(new { type = "delete_account", password = Password });
                Assert.Equal(("logged_out", "account_deleted"), (ChatClient.Type(done), Text(done, "reason")));
                Assert.Equal("account_deleted", Text(await laptop.ReceiveAsync("logged_out"), "reason"));
                foreach (ChatClient other in new[] { bob, carol })
                    Assert.Equal("alice", Text(await other.ReceiveAsync("user_deleted"), "user"));
                JsonElement left = await bob.ReceiveAsync(m => ChatClient.Type(m) == "presence" && Text(m, "event") == "left");
                Assert.Equal("alice", Text(left, "user"));
                AssertError(await laptop.AskAsync(new { type = "send", room = "lobby", text = "still me?" }), "not_logged_in");
            }

            // A newcomer's join (the room's cached history) and a history page (the store) agree: tombstones, by the author.
            await using ChatClient dave = await ChatClient.GuestAsync(server, "dave");
            JsonElement joined = await dave.JoinAsync("lobby");
            JsonElement page = (await bob.AskAsync(new { type = "history", room = "lobby" })).GetProperty("messages");
            foreach (JsonElement messages in new[] { joined.GetProperty("history"), page })
            {
                JsonElement tombstone = Find(messages, said);
                Assert.True(tombstone.GetProperty("deleted").GetBoolean());
                Assert.Equal(("", "author"), (Text(tombstone), Text(tombstone, "deletedBy")));
                Assert.False(tombstone.TryGetProperty("reactions", out _));
                Assert.True(Find(messages, reply).GetProperty("replyTo").GetProperty("deleted").GetBoolean());
                Assert.False(Find(messages, his).TryGetProperty("reactions", out _)); // alice's 🎉 is gone
                Assert.Equal("bob's own words", Text(Find(messages, his)));
            }
            Assert.DoesNotContain(joined.GetProperty("members").EnumerateArray(), m => Text(m, "name") == "alice");
            JsonElement all = (await bob.AskAsync(new { type = "history", room = "lobby", limit = 100 })).GetProperty("messages");
            Assert.All(all.EnumerateArray().Where(m => Text(m, "user") == "alice"), m => Assert.True(m.GetProperty("deleted").GetBoolean(), m.GetRawText()));
            // Bob keeps his side of their conversation; alice's words in it are gone, and she cannot be written to.
            JsonElement direct = await bob.AskAsync(new { type = "history", room = "@alice+bob" });
            Assert.All(direct.GetProperty("messages").EnumerateArray().Where(m => Text(m, "user") == "alice"), m => Assert.True(m.GetProperty("deleted").GetBoolean()));
            AssertError(await bob.AskAsync(new { type = "dm", to = "alice", text = "hello?" }), "no_such_user");
            Assert.Empty((await bob.AskAsync(new { type = "search", query = "recipe" })).GetProperty("messages").EnumerateArray());

            // The name is retired: no registration, login, resume or guest can take it, in any spelling.
            await using ChatClient stranger = await ChatClient.ConnectAsync(server);
            AssertError(await stranger.AskAsync(new { type = "register", name = "ALICE", password = "another password" }), "name_taken");
            AssertError(await stranger.AskAsync(new { type = "login", name = "alice", password = Password }), "bad_credentials");
            AssertError(await stranger.AskAsync(new { type = "resume", token }), "invalid_token");
            AssertError(await stranger.AskAsync(new { type = "login", name = "Alice" }), "name_taken");

            PrometheusParser.Scrape scrape = PrometheusParser.Parse(server.App.Metrics.Write().ToString());
            Assert.Equal(1, scrape["rawsocketchat_chat_accounts_deleted_total"]);
        }

        // And all of it survives a restart.
        await server.StopAsync();
        await server.StartAgainAsync();
        await using ChatClient erin = await ChatClient.GuestAsync(server, "erin");
        Assert.True(Find((await erin.JoinAsync("lobby")).GetProperty("history"), said).GetProperty("deleted").GetBoolean());
        await using ChatClient again = await ChatClient.ConnectAsync(server);
        AssertError(await again.AskAsync(new { type = "login", name = "alice" }), "name_taken");
    }

    [Fact]
    public async Task An_admin_cannot_delete_their_account_from_the_chat()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.Admin = "root");
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
            AssertError(await root.AskAsync(new { type = "delete_account", password = Password }), "forbidden");
    }
}
