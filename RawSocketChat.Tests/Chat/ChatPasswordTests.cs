using System.Text.Json;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>Changing one's password and an admin's reset, over /chat: who is signed out, which tokens die, what the log keeps.</summary>
public sealed class ChatPasswordTests
{
    private const string Old = "correct horse battery", New = "a much better passphrase";

    [Fact]
    public async Task A_new_password_signs_out_every_other_device_and_revokes_their_tokens_but_not_this_ones()
    {
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient phone, JsonElement phoneWelcome) = await ChatClient.RegisterAsync(server, "alice");
        await using (phone)
        {
            await using ChatClient laptop = await LogInAsync(server, "alice", Old);
            string laptopToken = Text(laptop.AllReceived.First(m => ChatClient.Type(m) == "welcome"), "token")!;
            string phoneToken = Text(phoneWelcome, "token")!;

            JsonElement changed = await phone.AskAsync(new { type = "password", password = Old, newPassword = New });
            Assert.Equal("password_changed", ChatClient.Type(changed));
            Assert.Equal((1, 1), (changed.GetProperty("sessionsRevoked").GetInt32(), changed.GetProperty("connectionsSignedOut").GetInt32()));

            JsonElement notice = await laptop.ReceiveAsync("logged_out");
            Assert.Equal("password_changed", Text(notice, "reason"));
            AssertError(await laptop.AskAsync(new { type = "send", room = "lobby", text = "still here?" }), "not_logged_in");
            AssertError(await laptop.AskAsync(new { type = "resume", token = laptopToken }), "invalid_token");
            AssertError(await laptop.AskAsync(new { type = "login", name = "alice", password = Old }), "bad_credentials");
            Assert.Equal("welcome", ChatClient.Type(await laptop.AskAsync(new { type = "login", name = "alice", password = New })));

            // The phone stays logged in, and its token still resumes.
            await phone.JoinAsync("lobby");
            Assert.Equal("ack", ChatClient.Type(await phone.AskAsync(new { type = "send", room = "lobby", text = "still me" })));
            await using ChatClient later = await ChatClient.ConnectAsync(server);
            Assert.Equal("welcome", ChatClient.Type(await later.AskAsync(new { type = "resume", token = phoneToken })));
        }
    }

    [Fact]
    public async Task A_wrong_current_password_a_weak_new_one_and_a_guest_are_refused_and_guessing_is_throttled()
    {
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient alice, _) = await ChatClient.RegisterAsync(server, "alice");
        await using (alice)
        {
            await using ChatClient guest = await ChatClient.GuestAsync(server, "visitor");
            AssertError(await guest.AskAsync(new { type = "password", password = Old, newPassword = New }), "forbidden");
            AssertError(await alice.AskAsync(new { type = "password", password = Old, newPassword = "short" }), "weak_password");
            AssertError(await alice.AskAsync(new { type = "password", newPassword = New }), "bad_request");

            // Wrong guesses are answered bad_credentials until the login throttle steps in.
            bool throttled = false;
            for (int i = 0; i < 20 && !throttled; i++)
            {
                JsonElement reply = await alice.AskAsync(new { type = "password", password = "not it at all", newPassword = New });
                throttled = ChatClient.IsError(reply, "rate_limited");
                Assert.True(throttled || ChatClient.IsError(reply, "bad_credentials"), reply.GetRawText());
            }
            Assert.True(throttled, "20 wrong passwords in a row were never throttled");
            // Nothing changed: the old password still logs in (from elsewhere: the throttle is per account and address).
            await using ChatClient again = await ChatClient.ConnectAsync(server);
            JsonElement login = await again.AskAsync(new { type = "login", name = "alice", password = Old });
            Assert.True(ChatClient.Type(login) == "welcome" || ChatClient.IsError(login, "rate_limited"), login.GetRawText());
        }
    }

    [Fact]
    public async Task An_admin_resets_a_lost_password_with_a_one_time_one_signing_the_user_out_everywhere()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.Admin = "root");
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            (ChatClient bob, JsonElement welcome) = await ChatClient.RegisterAsync(server, "bob");
            await using (bob)
            {
                JsonElement reset = await root.AskAsync(new { type = "reset", user = "BOB" });
                Assert.Equal(("reset", "bob"), (ChatClient.Type(reset), Text(reset, "user")));
                string oneTime = Text(reset, "password")!;
                Assert.Matches("^[a-zA-Z2-9]{20}$", oneTime);
                Assert.Equal(1, reset.GetProperty("sessionsRevoked").GetInt32());
                Assert.Equal("password_reset", Text(await bob.ReceiveAsync("logged_out"), "reason"));
                AssertError(await bob.AskAsync(new { type = "resume", token = Text(welcome, "token") }), "invalid_token");
                AssertError(await bob.AskAsync(new { type = "login", name = "bob", password = Old }), "bad_credentials");
                Assert.Equal("welcome", ChatClient.Type(await bob.AskAsync(new { type = "login", name = "bob", password = oneTime })));
                Assert.Equal("password_changed", ChatClient.Type(await bob.AskAsync(new { type = "password", password = oneTime, newPassword = New })));

                JsonElement audit = await root.AskAsync(new { type = "audit" });
                JsonElement entry = audit.GetProperty("entries").EnumerateArray().Single(e => Text(e, "action") == "reset");
                Assert.Equal(("root", "bob"), (Text(entry, "by"), Text(entry, "user")));
                Assert.DoesNotContain(oneTime, audit.GetRawText());

                AssertError(await root.AskAsync(new { type = "reset", user = "root" }), "forbidden");
                AssertError(await root.AskAsync(new { type = "reset", user = "nobody" }), "no_such_user");
                AssertError(await bob.AskAsync(new { type = "reset", user = "root" }), "forbidden");
            }
        }
    }

    [Fact]
    public async Task A_new_color_reaches_every_device_of_the_user_and_the_room_and_is_kept_for_an_account()
    {
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient phone, _) = await ChatClient.RegisterAsync(server, "alice");
        await using (phone)
        {
            await using ChatClient laptop = await LogInAsync(server, "alice", Old);
            await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
            await phone.JoinAsync("lobby");
            await bob.JoinAsync("lobby");

            JsonElement reply = await phone.AskAsync(new { type = "profile", color = "#10B981" });
            Assert.Equal(("profile", "#10b981"), (ChatClient.Type(reply), Text(reply.GetProperty("user"), "color")));
            Assert.Equal("#10b981", Text((await laptop.ReceiveAsync("profile")).GetProperty("user"), "color"));
            JsonElement seen = await bob.ReceiveAsync(m => ChatClient.Type(m) == "presence" && Text(m, "event") == "profile");
            Assert.Equal(("alice", "#10b981"), (Text(seen, "user"), Text(seen, "color")));
            string id = Id(await phone.AskAsync(new { type = "send", room = "lobby", text = "in green" }));
            Assert.Equal("#10b981", Text(await bob.ReceiveAsync(m => IsMessage(m, id)), "color"));
            AssertError(await phone.AskAsync(new { type = "profile", color = "green" }), "bad_request");

            await using ChatClient later = await LogInAsync(server, "alice", Old);
            Assert.Equal("#10b981", Text(later.AllReceived.First(m => ChatClient.Type(m) == "welcome").GetProperty("user"), "color"));
        }
    }

    [Fact]
    public async Task A_name_changes_only_its_spelling_everywhere_at_once_and_old_messages_keep_theirs()
    {
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient phone, _) = await ChatClient.RegisterAsync(server, "alice");
        await using (phone)
        {
            await using ChatClient laptop = await LogInAsync(server, "alice", Old);
            await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
            await phone.JoinAsync("lobby");
            await bob.JoinAsync("lobby");
            string before = Id(await phone.AskAsync(new { type = "send", room = "lobby", text = "before" }));

            JsonElement reply = await phone.AskAsync(new { type = "profile", name = "AliCe" });
            Assert.Equal(("profile", "AliCe"), (ChatClient.Type(reply), Text(reply.GetProperty("user"), "name")));
            Assert.Equal("AliCe", Text((await laptop.ReceiveAsync("profile")).GetProperty("user"), "name"));
            JsonElement seen = await bob.ReceiveAsync(m => ChatClient.Type(m) == "presence" && Text(m, "event") == "profile");
            Assert.Equal("AliCe", Text(seen, "user"));
            await laptop.JoinAsync("lobby");
            string after = Id(await laptop.AskAsync(new { type = "send", room = "lobby", text = "after" }));
            Assert.Equal("AliCe", Text(await bob.ReceiveAsync(m => IsMessage(m, after)), "user"));
            JsonElement history = await bob.AskAsync(new { type = "history", room = "lobby" });
            Assert.Equal("alice", Text(history.GetProperty("messages").EnumerateArray().Single(m => Text(m, "id") == before), "user"));
            await using (ChatClient carol = await ChatClient.GuestAsync(server, "carol"))
                Assert.Contains((await carol.JoinAsync("lobby")).GetProperty("members").EnumerateArray(), m => Text(m, "name") == "AliCe");

            AssertError(await phone.AskAsync(new { type = "profile", name = "alicia" }), "invalid_name"); // other letters: another name
            AssertError(await phone.AskAsync(new { type = "profile", name = "a b" }), "invalid_name");
            AssertError(await phone.AskAsync(new { type = "profile" }), "bad_request");
            // A guest's spelling lasts as long as the name.
            Assert.Equal("BOB", Text((await bob.AskAsync(new { type = "profile", name = "BOB" })).GetProperty("user"), "name"));

            // Kept for the account: the next login (with any spelling) gets the new one, and so does a new session.
            await using ChatClient later = await LogInAsync(server, "ALICE", Old);
            Assert.Equal("AliCe", Text(later.AllReceived.First(m => ChatClient.Type(m) == "welcome").GetProperty("user"), "name"));
        }
    }
}
