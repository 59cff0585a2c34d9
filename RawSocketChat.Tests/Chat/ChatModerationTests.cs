using System.Net.WebSockets;
using System.Text.Json;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>
/// Moderation end to end: every action by a moderator and by an admin, refused for members and guests, the rank
/// rules, bans that disconnect at once and refuse logins, mutes that end by themselves, kicks, roles, the audit log.
/// </summary>
public sealed class ChatModerationTests
{
    private static Task<TestServer> StartAsync() => TestServer.StartAsync(o =>
    {
        Generous(o);
        o.Admin = "root";
    });

    private static bool Moderated(JsonElement reply, string action) =>
        ChatClient.Type(reply) == "moderated" && reply.GetProperty("action").GetString() == action;

    [Theory]
    [InlineData("mod")]
    [InlineData("root")]
    public async Task Each_moderation_action_works_for_moderators_and_admins(string actorName)
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            ChatClient actor = actorName == "root" ? root : await ModeratorAsync(server, root, actorName);
            (ChatClient victim, _) = await ChatClient.RegisterAsync(server, "victim");
            await using ChatClient witness = await ChatClient.GuestAsync(server, "witness");
            await actor.AskAsync(new { type = "create", room = "dev" });
            await victim.JoinAsync("dev");
            await witness.JoinAsync("dev");

            // delete: anyone's message, and everyone in the room is told who did it.
            string id = Id(await victim.SayAsync("dev", "something abusive"));
            Assert.Equal("ack", ChatClient.Type(await actor.AskAsync(new { type = "delete", room = "dev", id })));
            JsonElement deleted = await witness.ReceiveAsync("deleted");
            Assert.Equal((id, "victim", actorName, "moderator"), (Text(deleted, "id"), Text(deleted, "user"), Text(deleted, "by"), Text(deleted, "deletedBy")));

            // mute, then unmute.
            JsonElement muted = await actor.AskAsync(new { type = "mute", user = "victim", seconds = 3600, reason = "cool down" });
            Assert.True(Moderated(muted, "mute"));
            Assert.Equal((actorName, "victim", "cool down"), (Text(muted, "by"), Text(muted, "user"), Text(muted, "reason")));
            JsonElement notice = await victim.ReceiveAsync("muted");
            Assert.Equal(Text(muted, "until"), Text(notice, "until"));
            Assert.Equal(actorName, Text(notice, "by"));
            AssertError(await victim.SayAsync("dev", "let me speak"), "muted");
            Assert.True(Moderated(await actor.AskAsync(new { type = "unmute", user = "VICTIM" }), "unmute"));
            await victim.ReceiveAsync("unmuted");
            Assert.Equal("ack", ChatClient.Type(await victim.SayAsync("dev", "thank you")));

            // kick: out of the room, everyone there told.
            JsonElement kickedReply = await actor.AskAsync(new { type = "kick", room = "dev", user = "victim", reason = "off topic" });
            Assert.True(Moderated(kickedReply, "kick"));
            Assert.Equal("dev", Text(kickedReply, "room"));
            foreach (ChatClient member in new[] { victim, witness })
            {
                JsonElement kicked = await member.ReceiveAsync("kicked");
                Assert.Equal(("dev", "victim", actorName, "off topic"), (Text(kicked, "room"), Text(kicked, "user"), Text(kicked, "by"), Text(kicked, "reason")));
            }
            AssertError(await victim.SayAsync("dev", "still here?"), "not_member");
            JsonElement rooms = await witness.AskAsync(new { type = "rooms" });
            Assert.Equal(1, rooms.GetProperty("rooms").EnumerateArray().Single(r => Text(r, "name") == "dev").GetProperty("members").GetInt32());
            AssertError(await actor.AskAsync(new { type = "kick", room = "dev", user = "victim" }), "not_member");

            // ban: disconnected at once, then unban.
            Assert.True(Moderated(await actor.AskAsync(new { type = "ban", user = "victim", reason = "abuse" }), "ban"));
            await victim.WaitClosedAsync();
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, victim.CloseStatus);
            Assert.True(Moderated(await actor.AskAsync(new { type = "unban", user = "victim" }), "unban"));
            await victim.DisposeAsync();

            // Every action is in the audit log, in order, by this actor.
            JsonElement audit = await root.AskAsync(new { type = "audit" });
            List<JsonElement> entries = audit.GetProperty("entries").EnumerateArray().Where(e => Text(e, "user") == "victim").ToList();
            Assert.Equal(["delete", "mute", "unmute", "kick", "ban", "unban"], entries.Select(e => Text(e, "action")));
            Assert.All(entries, e => Assert.Equal(actorName, Text(e, "by")));
            Assert.Equal(id, Text(entries[0], "message"));
            Assert.Equal("dev", Text(entries[0], "room"));
            if (actor != root)
                await actor.DisposeAsync();
        }
    }

    [Fact]
    public async Task Members_and_guests_are_refused_every_moderation_command()
    {
        await using TestServer server = await StartAsync();
        (ChatClient member, _) = await ChatClient.RegisterAsync(server, "member");
        await using (member)
        {
            await using ChatClient guest = await ChatClient.GuestAsync(server, "guest");
            (ChatClient target, _) = await ChatClient.RegisterAsync(server, "target");
            await using (target)
            {
                await target.JoinAsync("lobby");
                string id = Id(await target.SayAsync("lobby", "hello"));
                object[] commands =
                [
                    new { type = "mute", user = "target" },
                    new { type = "unmute", user = "target" },
                    new { type = "kick", room = "lobby", user = "target" },
                    new { type = "ban", user = "target" },
                    new { type = "unban", user = "target" },
                    new { type = "grant", user = "target" },
                    new { type = "revoke", user = "target" },
                    new { type = "audit" },
                    new { type = "stats" },
                    new { type = "sanctions" },
                    new { type = "delete", room = "lobby", id },
                ];
                foreach (ChatClient client in new[] { member, guest })
                    foreach (object command in commands)
                        AssertError(await client.AskAsync(command), "forbidden");
                Assert.Equal("ack", ChatClient.Type(await target.SayAsync("lobby", "never muted")));
            }
        }
    }

    [Fact]
    public async Task Nobody_moderates_their_own_rank_or_above_and_admins_are_set_by_the_option()
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await using ChatClient mod = await ModeratorAsync(server, root, "mod");
            await using ChatClient other = await ModeratorAsync(server, root, "other");
            AssertError(await mod.AskAsync(new { type = "mute", user = "root" }), "forbidden");
            AssertError(await mod.AskAsync(new { type = "ban", user = "other" }), "forbidden");
            AssertError(await mod.AskAsync(new { type = "mute", user = "mod" }), "forbidden");
            AssertError(await mod.AskAsync(new { type = "grant", user = "other" }), "forbidden");
            AssertError(await root.AskAsync(new { type = "ban", user = "root" }), "forbidden");
            AssertError(await root.AskAsync(new { type = "revoke", user = "root" }), "forbidden");
            AssertError(await root.AskAsync(new { type = "grant", user = "nobody" }), "no_such_user");
            AssertError(await root.AskAsync(new { type = "mute", user = "x" }), "invalid_name");
            AssertError(await root.AskAsync(new { type = "mute", user = "other", seconds = 0 }), "bad_request");
            AssertError(await root.AskAsync(new { type = "mute", user = "other", seconds = 30 * 24 * 3600 + 1 }), "bad_request");
            AssertError(await root.AskAsync(new { type = "mute", user = "other", reason = new string('r', 201) }), "too_long");
            AssertError(await root.AskAsync(new { type = "unmute", user = "other" }), "bad_request");
            AssertError(await root.AskAsync(new { type = "unban", user = "other" }), "bad_request");

            // An admin acts on moderators.
            Assert.True(Moderated(await root.AskAsync(new { type = "mute", user = "other", seconds = 60 }), "mute"));
            AssertError(await other.SayAsync("lobby", "hm"), "not_member");
            await other.JoinAsync("lobby");
            AssertError(await other.SayAsync("lobby", "hm"), "muted");
        }
    }

    /// <summary>
    /// Deleting someone else's message is moderation, with its rank rule: a moderator deletes a member's or guest's
    /// message but not an admin's or another moderator's; an admin deletes a moderator's; each deletes their own.
    /// </summary>
    [Fact]
    public async Task Deleting_another_s_message_follows_the_rank_rule_of_all_moderation()
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await using ChatClient mod = await ModeratorAsync(server, root, "mod");
            await using ChatClient other = await ModeratorAsync(server, root, "other");
            await using ChatClient guest = await ChatClient.GuestAsync(server, "visitor");
            foreach (ChatClient client in new[] { root, mod, other, guest })
                await client.JoinAsync("lobby");
            string adminsMessage = Id(await root.SayAsync("lobby", "from the admin"));
            string modsMessage = Id(await other.SayAsync("lobby", "from a moderator"));
            string guestsMessage = Id(await guest.SayAsync("lobby", "from a guest"));

            AssertError(await mod.AskAsync(new { type = "delete", room = "lobby", id = adminsMessage }), "forbidden");
            AssertError(await mod.AskAsync(new { type = "delete", room = "lobby", id = modsMessage }), "forbidden");
            AssertError(await guest.AskAsync(new { type = "delete", room = "lobby", id = modsMessage }), "forbidden");
            Assert.Equal("ack", ChatClient.Type(await mod.AskAsync(new { type = "delete", room = "lobby", id = guestsMessage })));
            Assert.Equal("ack", ChatClient.Type(await root.AskAsync(new { type = "delete", room = "lobby", id = modsMessage })));
            Assert.Equal("ack", ChatClient.Type(await root.AskAsync(new { type = "delete", room = "lobby", id = adminsMessage })));
        }
    }

    /// <summary>
    /// Who deleted a message: everyone sees whether its author or a moderator did, live and in the tombstone; a
    /// moderator's reason reaches the moderators and admins in the room and the audit log, not the members.
    /// </summary>
    [Fact]
    public async Task A_deleted_message_says_whether_its_author_or_a_moderator_deleted_it_and_only_moderators_see_why()
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await using ChatClient mod = await ModeratorAsync(server, root, "mod");
            (ChatClient bob, _) = await ChatClient.RegisterAsync(server, "bob");
            await using (bob)
            {
                await using ChatClient eve = await ChatClient.GuestAsync(server, "eve");
                foreach (ChatClient client in new[] { root, mod, bob, eve })
                    await client.JoinAsync("lobby");
                string spam = Id(await eve.SayAsync("lobby", "buy cheap watches"));
                string typo = Id(await bob.SayAsync("lobby", "teh typo"));
                string modsOwn = Id(await mod.SayAsync("lobby", "said too much"));

                // The reason follows the rules of every moderation reason.
                AssertError(await mod.AskAsync(new { type = "delete", room = "lobby", id = spam, reason = new string('r', 201) }), "too_long");
                AssertError(await mod.AskAsync(new { type = "delete", room = "lobby", id = spam, reason = "bell\u0007" }), "invalid_text");

                Assert.Equal("ack", ChatClient.Type(await mod.AskAsync(new { type = "delete", room = "lobby", id = spam, reason = "  spam\r\n" })));
                foreach (ChatClient member in new[] { bob, eve })
                {
                    JsonElement deleted = await member.ReceiveAsync(m => ChatClient.Type(m) == "deleted" && Text(m, "id") == spam);
                    Assert.Equal(("eve", "mod", "moderator"), (Text(deleted, "user"), Text(deleted, "by"), Text(deleted, "deletedBy")));
                    Assert.False(deleted.TryGetProperty("reason", out _));
                }
                foreach (ChatClient staff in new[] { root, mod })
                {
                    JsonElement deleted = await staff.ReceiveAsync(m => ChatClient.Type(m) == "deleted" && Text(m, "id") == spam);
                    Assert.Equal(("moderator", "spam"), (Text(deleted, "deletedBy"), Text(deleted, "reason")));
                }

                // An author's own delete, a moderator's included, is the author's; a reason with it goes nowhere.
                Assert.Equal("ack", ChatClient.Type(await bob.AskAsync(new { type = "delete", room = "lobby", id = typo, reason = "ignored" })));
                Assert.Equal("ack", ChatClient.Type(await mod.AskAsync(new { type = "delete", room = "lobby", id = modsOwn })));
                foreach (ChatClient client in new[] { root, mod, bob, eve })
                {
                    foreach (string id in new[] { typo, modsOwn })
                    {
                        JsonElement deleted = await client.ReceiveAsync(m => ChatClient.Type(m) == "deleted" && Text(m, "id") == id);
                        Assert.Equal("author", Text(deleted, "deletedBy"));
                        Assert.False(deleted.TryGetProperty("reason", out _));
                    }
                }

                // The tombstones say the same to a newcomer, from the room's cache and from the store; never the reason.
                await using ChatClient carol = await ChatClient.GuestAsync(server, "carol");
                JsonElement joined = await carol.JoinAsync("lobby");
                JsonElement page = await carol.AskAsync(new { type = "history", room = "lobby" });
                foreach (JsonElement history in new[] { joined.GetProperty("history"), page.GetProperty("messages") })
                {
                    JsonElement[] tombstones = history.EnumerateArray().Where(m => m.TryGetProperty("deleted", out _)).ToArray();
                    Assert.Equal([(spam, "moderator"), (typo, "author"), (modsOwn, "author")], tombstones.Select(m => (Text(m, "id"), Text(m, "deletedBy"))));
                    Assert.All(tombstones, m => Assert.False(m.TryGetProperty("reason", out _)));
                    Assert.DoesNotContain("spam", history.GetRawText());
                }

                // The audit log has the moderator's delete, with its reason, and nothing of the authors' own.
                JsonElement audit = await root.AskAsync(new { type = "audit" });
                JsonElement entry = audit.GetProperty("entries").EnumerateArray().Single(e => Text(e, "action") == "delete");
                Assert.Equal(("mod", "eve", spam, "spam"), (Text(entry, "by"), Text(entry, "user"), Text(entry, "message"), Text(entry, "reason")));
            }
        }
    }

    [Fact]
    public async Task Grant_and_revoke_change_the_role_at_once_on_open_connections_and_in_later_welcomes()
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            (ChatClient bob, _) = await ChatClient.RegisterAsync(server, "bob");
            await using (bob)
            {
                await using ChatClient guest = await ChatClient.GuestAsync(server, "guest");
                AssertError(await bob.AskAsync(new { type = "mute", user = "guest" }), "forbidden");

                JsonElement granted = await root.AskAsync(new { type = "grant", user = "BOB" });
                Assert.True(Moderated(granted, "grant"));
                Assert.Equal("bob", Text(granted, "user"));
                JsonElement role = await bob.ReceiveAsync("role");
                Assert.Equal(("bob", "moderator", "root"), (Text(role, "user"), Text(role, "role"), Text(role, "by")));
                Assert.True(Moderated(await bob.AskAsync(new { type = "mute", user = "guest", seconds = 5 }), "mute"));

                await using ChatClient again = await ChatClient.ConnectAsync(server);
                await again.SendJsonAsync(new { type = "login", name = "bob", password = "correct horse battery" });
                Assert.Equal("moderator", (await again.ReceiveAsync("welcome")).GetProperty("user").GetProperty("role").GetString());
                JsonElement joined = await again.JoinAsync("lobby");
                Assert.Equal("moderator", joined.GetProperty("members").EnumerateArray().Single(m => Text(m, "name") == "bob").GetProperty("role").GetString());

                Assert.True(Moderated(await root.AskAsync(new { type = "revoke", user = "bob" }), "revoke"));
                Assert.Equal("member", Text(await bob.ReceiveAsync("role"), "role"));
                Assert.Equal("member", Text(await again.ReceiveAsync("role"), "role"));
                AssertError(await bob.AskAsync(new { type = "unmute", user = "guest" }), "forbidden");
            }
        }
    }

    [Fact]
    public async Task A_banned_name_is_disconnected_everywhere_at_once_and_cannot_log_in_register_or_resume_until_unbanned()
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            (ChatClient phone, JsonElement welcome) = await ChatClient.RegisterAsync(server, "mallory");
            string token = welcome.GetProperty("token").GetString()!;
            await using ChatClient laptop = await ChatClient.ConnectAsync(server);
            await laptop.SendJsonAsync(new { type = "login", name = "mallory", password = "correct horse battery" });
            await laptop.ReceiveAsync("welcome");

            Assert.True(Moderated(await root.AskAsync(new { type = "ban", user = "Mallory", reason = "abuse" }), "ban"));
            foreach (ChatClient connection in new[] { phone, laptop })
            {
                JsonElement notice = await connection.ReceiveAsync(m => ChatClient.IsError(m, "banned"));
                Assert.Contains("abuse", Text(notice, "message"));
                Assert.Equal("abuse", Text(notice, "reason")); // for a client to show, without parsing the message
                await connection.WaitClosedAsync();
                Assert.Equal(WebSocketCloseStatus.PolicyViolation, connection.CloseStatus);
                Assert.Equal("banned", connection.CloseDescription);
            }
            await phone.DisposeAsync();

            await using ChatClient attempt = await ChatClient.ConnectAsync(server);
            AssertError(await attempt.AskAsync(new { type = "login", name = "mallory", password = "correct horse battery" }), "banned");
            AssertError(await attempt.AskAsync(new { type = "resume", token }), "banned");
            JsonElement again = await attempt.AskAsync(new { type = "login", name = "MALLORY" });
            AssertError(again, "banned");
            Assert.Equal("abuse", Text(again, "reason"));

            // A name nobody uses yet can be banned too: guests and registration alike.
            Assert.True(Moderated(await root.AskAsync(new { type = "ban", user = "griefer", seconds = 3600 }), "ban"));
            JsonElement refused = await attempt.AskAsync(new { type = "register", name = "griefer", password = "long enough pass" });
            AssertError(refused, "banned");
            Assert.NotNull(Text(refused, "until"));
            AssertError(await attempt.AskAsync(new { type = "login", name = "griefer" }), "banned");

            Assert.True(Moderated(await root.AskAsync(new { type = "unban", user = "mallory" }), "unban"));
            Assert.Equal("welcome", ChatClient.Type(await attempt.AskAsync(new { type = "resume", token })));
        }
    }

    [Fact]
    public async Task Moderators_list_the_bans_and_mutes_in_force_and_lift_them_from_there()
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await using ChatClient mod = await ModeratorAsync(server, root, "mod");
            (ChatClient chatty, _) = await ChatClient.RegisterAsync(server, "chatty");
            await using (chatty)
            {
                Assert.True(Moderated(await mod.AskAsync(new { type = "ban", user = "spammer", reason = "links", seconds = 3600 }), "ban"));
                Assert.True(Moderated(await root.AskAsync(new { type = "ban", user = "troll" }), "ban"));
                Assert.True(Moderated(await mod.AskAsync(new { type = "mute", user = "chatty", seconds = 600, reason = "calm down" }), "mute"));
                Assert.True(Moderated(await mod.AskAsync(new { type = "mute", user = "brief", seconds = 1 }), "mute"));
                await Task.Delay(1500); // the one-second mute runs out

                JsonElement list = await mod.AskAsync(new { type = "sanctions" });
                Assert.Equal("sanctions", ChatClient.Type(list));
                JsonElement[] bans = list.GetProperty("bans").EnumerateArray().ToArray();
                Assert.Equal(["troll", "spammer"], bans.Select(b => Text(b, "user"))); // newest first
                Assert.Equal(("mod", "links"), (Text(bans[1], "by"), Text(bans[1], "reason")));
                Assert.NotNull(Text(bans[1], "until"));
                Assert.Null(Text(bans[0], "until")); // until unbanned
                Assert.Null(Text(bans[0], "reason"));
                JsonElement mute = Assert.Single(list.GetProperty("mutes").EnumerateArray()); // the expired one is gone
                Assert.Equal(("chatty", "mod", "calm down"), (Text(mute, "user"), Text(mute, "by"), Text(mute, "reason")));
                Assert.NotNull(Text(mute, "since"));
                Assert.Equal((2, 1), (list.GetProperty("banCount").GetInt32(), list.GetProperty("muteCount").GetInt32()));

                Assert.True(Moderated(await mod.AskAsync(new { type = "unban", user = "spammer" }), "unban"));
                Assert.True(Moderated(await mod.AskAsync(new { type = "unmute", user = "chatty" }), "unmute"));
                JsonElement after = await root.AskAsync(new { type = "sanctions" });
                Assert.Equal(["troll"], after.GetProperty("bans").EnumerateArray().Select(b => Text(b, "user")));
                Assert.Empty(after.GetProperty("mutes").EnumerateArray());
            }
        }
    }

    [Fact]
    public async Task A_muted_user_gets_muted_with_the_end_time_until_it_runs_out()
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
            await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
            await bob.JoinAsync("lobby");
            string id = Id(await bob.SayAsync("lobby", "before the mute"));

            JsonElement muted = await root.AskAsync(new { type = "mute", user = "bob", seconds = 3600 });
            string until = Text(muted, "until")!;
            await bob.ReceiveAsync("muted");

            JsonElement refused = await bob.SayAsync("lobby", "muted?");
            AssertError(refused, "muted");
            Assert.Equal(until, Text(refused, "until"));
            Assert.True(refused.GetProperty("retryAfterMs").GetInt64() is > 0 and <= 3600 * 1000);
            AssertError(await bob.AskAsync(new { type = "dm", to = "alice", text = "psst" }), "muted");
            AssertError(await bob.AskAsync(new { type = "edit", room = "lobby", id, text = "edited while muted" }), "muted");
            // Reading, and taking back what one said, still work.
            Assert.Equal("history", ChatClient.Type(await bob.AskAsync(new { type = "history", room = "lobby" })));

            // Muting again replaces the time; this mute ends by itself (bounded wait, no assumption about how long).
            await root.AskAsync(new { type = "mute", user = "bob", seconds = 1 });
            JsonElement? ack = null;
            for (int attempt = 0; attempt < 100 && ack is null; attempt++)
            {
                JsonElement reply = await bob.SayAsync("lobby", "free again", $"free-{attempt}");
                if (ChatClient.Type(reply) == "ack")
                    ack = reply;
                else
                {
                    AssertError(reply, "muted");
                    await Task.Delay(100);
                }
            }
            Assert.NotNull(ack);
            Assert.Equal("ack", ChatClient.Type(await bob.AskAsync(new { type = "delete", room = "lobby", id })));
        }
    }

    [Fact]
    public async Task Mutes_and_bans_outlast_a_restart()
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, JsonElement welcome) = await ChatClient.RegisterAsync(server, "root");
        string rootToken = welcome.GetProperty("token").GetString()!;
        (ChatClient bob, JsonElement bobWelcome) = await ChatClient.RegisterAsync(server, "bob");
        string bobToken = bobWelcome.GetProperty("token").GetString()!;
        await root.AskAsync(new { type = "mute", user = "bob", seconds = 3600 });
        await root.AskAsync(new { type = "ban", user = "eve" });
        await root.DisposeAsync();
        await bob.DisposeAsync();

        await server.StopAsync();
        await server.StartAgainAsync();

        await using ChatClient bobAgain = await ChatClient.ConnectAsync(server);
        Assert.Equal("welcome", ChatClient.Type(await bobAgain.AskAsync(new { type = "resume", token = bobToken })));
        await bobAgain.JoinAsync("lobby");
        AssertError(await bobAgain.SayAsync("lobby", "am I still muted?"), "muted");
        await using ChatClient eve = await ChatClient.ConnectAsync(server);
        AssertError(await eve.AskAsync(new { type = "login", name = "eve" }), "banned");

        await using ChatClient rootAgain = await ChatClient.ConnectAsync(server);
        await rootAgain.AskAsync(new { type = "resume", token = rootToken });
        JsonElement audit = await rootAgain.AskAsync(new { type = "audit" });
        Assert.Equal(["mute", "ban"], audit.GetProperty("entries").EnumerateArray().Select(e => Text(e, "action")));
        // New entries keep sorting after the old ones.
        JsonElement unban = await rootAgain.AskAsync(new { type = "unban", user = "eve" });
        Assert.True(string.CompareOrdinal(Text(unban, "id"), Text(audit.GetProperty("entries")[1], "id")) > 0);
    }

    [Fact]
    public async Task The_audit_log_lists_every_action_and_pages_backwards()
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await using ChatClient mod = await ModeratorAsync(server, root, "mod");
            await using ChatClient guest = await ChatClient.GuestAsync(server, "troll");
            await guest.JoinAsync("lobby");
            string id = Id(await guest.SayAsync("lobby", "spam spam spam"));

            await mod.AskAsync(new { type = "delete", room = "lobby", id });
            await mod.AskAsync(new { type = "mute", user = "troll", seconds = 120, reason = "spam" });
            await mod.AskAsync(new { type = "kick", room = "lobby", user = "troll" });
            await mod.AskAsync(new { type = "unmute", user = "troll" });
            await mod.AskAsync(new { type = "ban", user = "troll", reason = "persistent spam" });
            await root.AskAsync(new { type = "unban", user = "troll" });
            await root.AskAsync(new { type = "revoke", user = "mod" });
            // Deleting one's own message is not moderation: not logged.
            await root.JoinAsync("lobby");
            await root.AskAsync(new { type = "delete", room = "lobby", id = Id(await root.SayAsync("lobby", "my own")) });

            string[] expected = ["grant", "delete", "mute", "kick", "unmute", "ban", "unban", "revoke"];
            JsonElement all = await root.AskAsync(new { type = "audit" });
            JsonElement[] entries = all.GetProperty("entries").EnumerateArray().ToArray();
            Assert.Equal(expected, entries.Select(e => Text(e, "action")));
            Assert.False(all.GetProperty("more").GetBoolean());
            Assert.Equal(entries.Select(e => Text(e, "id")).Order(StringComparer.Ordinal), entries.Select(e => Text(e, "id")));
            Assert.Equal(("mod", "troll", "lobby", id), (Text(entries[1], "by"), Text(entries[1], "user"), Text(entries[1], "room"), Text(entries[1], "message")));
            Assert.Equal(("spam", "troll"), (Text(entries[2], "reason"), Text(entries[2], "user")));
            Assert.NotNull(Text(entries[2], "until"));
            Assert.Null(Text(entries[5], "until")); // a ban without seconds lasts until unban
            Assert.Equal(("root", "mod"), (Text(entries[7], "by"), Text(entries[7], "user")));

            JsonElement newest = await root.AskAsync(new { type = "audit", limit = 3 });
            Assert.Equal(expected[^3..], newest.GetProperty("entries").EnumerateArray().Select(e => Text(e, "action")));
            Assert.True(newest.GetProperty("more").GetBoolean());
            string oldest = Text(newest.GetProperty("entries")[0], "id")!;
            JsonElement older = await root.AskAsync(new { type = "audit", before = oldest, limit = 100 });
            Assert.Equal(oldest, Text(older, "before"));
            Assert.Equal(expected[..^3], older.GetProperty("entries").EnumerateArray().Select(e => Text(e, "action")));
            Assert.False(older.GetProperty("more").GetBoolean());
            AssertError(await root.AskAsync(new { type = "audit", limit = 0 }), "bad_request");
            AssertError(await root.AskAsync(new { type = "audit", before = "x" }), "bad_request");
            AssertError(await mod.AskAsync(new { type = "audit" }), "forbidden");
        }
    }
}
