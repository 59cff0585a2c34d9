using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>Edits and deletes, direct messages, moderation and the admins' stats, as people use them in the page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ModerationTests(BrowserFixture fixture)
{
    [SkippableFact]
    public async Task Authors_edit_and_delete_their_own_messages()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using IBrowserContext bobContext = await browser.NewContextAsync();
        await using IBrowserContext aliceContext = await browser.NewContextAsync();
        ChatPage bob = await ChatPage.OpenAsync(bobContext, server.HttpUri.ToString());
        ChatPage alice = await ChatPage.OpenAsync(aliceContext, server.HttpUri.ToString());
        await bob.RegisterAsync("bob");
        await alice.LogInAsGuestAsync("alice");

        await bob.SayAsync("this has a typo heer");
        await bob.SayAsync("this one goes away");
        await alice.SayAsync("alice's own words");
        await alice.ExpectMessageAsync("this one goes away");
        await bob.ExpectMessageAsync("alice's own words");

        // Edit: the button next to one's own message turns the text into a field; Enter saves.
        ILocator typo = bob.MessagesWith("typo heer");
        await typo.HoverAsync();
        await typo.GetByRole(AriaRole.Button, new() { Name = "Edit message" }).ClickAsync();
        ILocator editor = bob.Page.GetByRole(AriaRole.Textbox, new() { Name = "Edit message" });
        await Expect(editor).ToHaveValueAsync("this has a typo heer");
        await editor.FillAsync("this has no typo here");
        await editor.PressAsync("Enter");
        foreach (ChatPage p in new[] { bob, alice })
        {
            await Expect(p.MessagesWith("no typo here")).ToContainTextAsync("(edited)");
            await Expect(p.MessagesWith("typo heer")).ToHaveCountAsync(0);
        }

        // Escape cancels an edit.
        await bob.MessagesWith("this one goes away").GetByRole(AriaRole.Button, new() { Name = "Edit message" }).ClickAsync();
        await editor.FillAsync("never mind");
        await editor.PressAsync("Escape");
        await Expect(editor).ToHaveCountAsync(0);
        await Expect(bob.MessagesWith("this one goes away")).ToHaveCountAsync(1);

        // Delete, after a confirmation: a tombstone stays in its place for everyone.
        await bob.MessagesWith("this one goes away").GetByRole(AriaRole.Button, new() { Name = "Delete message" }).ClickAsync();
        ILocator confirm = bob.Page.GetByRole(AriaRole.Dialog, new() { Name = "Delete this message?" });
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        foreach (ChatPage p in new[] { bob, alice })
        {
            await Expect(p.MessagesWith("this one goes away")).ToHaveCountAsync(0);
            await Expect(p.MessagesWith("Message deleted by its author")).ToHaveCountAsync(1);
        }

        // Nobody gets edit or delete for someone else's messages (bob is a member, not a moderator): a reply and a reaction.
        foreach (ILocator theirs in new[] { bob.MessagesWith("alice's own words"), alice.MessagesWith("no typo here") })
        {
            await Expect(theirs.GetByRole(AriaRole.Button)).ToHaveCountAsync(2);
            await Expect(theirs.GetByRole(AriaRole.Button).Nth(0)).ToHaveAccessibleNameAsync("Reply");
            await Expect(theirs.GetByRole(AriaRole.Button).Nth(1)).ToHaveAccessibleNameAsync("Add reaction");
        }

        // After a reload the edit and the deletion come back from history.
        await alice.Page.ReloadAsync();
        await alice.ExpectInRoomAsync("lobby");
        await Expect(alice.MessagesWith("no typo here")).ToContainTextAsync("(edited)");
        await Expect(alice.MessagesWith("Message deleted by its author")).ToHaveCountAsync(1);
    }

    [SkippableFact]
    public async Task Direct_messages_start_from_the_member_list()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using TwoPages pages = await TwoPages.OpenAsync(browser, server);
        (ChatPage alice, ChatPage bob) = pages;
        await alice.RegisterAsync("alice");
        await bob.RegisterAsync("bob");

        await alice.Members.GetByRole(AriaRole.Button, new() { Name = "bob, online" }).ClickAsync();
        await alice.Page.GetByRole(AriaRole.Dialog, new() { Name = "bob" })
            .GetByRole(AriaRole.Button, new() { Name = "Send a direct message" }).ClickAsync();
        await Expect(alice.Page.GetByRole(AriaRole.Heading, new() { Name = "@ bob" })).ToBeVisibleAsync();
        await Expect(alice.MessageField).ToHaveAttributeAsync("placeholder", "Message @bob");
        await alice.SayAsync("psst, just between us 🤫");
        await alice.ExpectMessageAsync("psst, just between us");

        // bob's page was joined to the conversation by the server: it shows, unread, under "Direct messages".
        ILocator fromAlice = bob.Page.GetByRole(AriaRole.List, new() { Name = "Direct messages" })
            .GetByRole(AriaRole.Button, new() { Name = "alice", Exact = true });
        await Expect(fromAlice).ToHaveAccessibleDescriptionAsync(new Regex("^1 unread"));
        await Expect(bob.MessagesWith("psst")).ToHaveCountAsync(0); // still in the lobby
        await fromAlice.ClickAsync();
        await bob.ExpectMessageAsync("psst, just between us");
        await bob.SayAsync("my lips are sealed");
        await alice.ExpectMessageAsync("my lips are sealed");

        // The lobby did not see any of it.
        await alice.Room("lobby").ClickAsync();
        await alice.ExpectInRoomAsync("lobby");
        await Expect(alice.MessagesWith("psst")).ToHaveCountAsync(0);

        // After a reload the conversation is still listed, and its history is there.
        await bob.Page.ReloadAsync();
        await bob.ExpectConnectedAsync();
        await Expect(bob.Page.GetByRole(AriaRole.Heading, new() { Name = "@ alice" })).ToBeVisibleAsync();
        await bob.ExpectMessageAsync("psst, just between us");
    }

    [SkippableFact]
    public async Task Moderators_and_admins_moderate_and_admins_see_stats()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync(o => o.Admin = "root");
        await using IBrowserContext rootContext = await browser.NewContextAsync();
        await using IBrowserContext bobContext = await browser.NewContextAsync();
        await using IBrowserContext eveContext = await browser.NewContextAsync();
        ChatPage root = await ChatPage.OpenAsync(rootContext, server.AdminPageUri); // the admin account, from the operator's link
        ChatPage bob = await ChatPage.OpenAsync(bobContext, server.HttpUri.ToString());
        ChatPage eve = await ChatPage.OpenAsync(eveContext, server.HttpUri.ToString());
        await root.RegisterAsync("root");
        await bob.RegisterAsync("bob");
        await eve.LogInAsGuestAsync("eve");
        await Expect(root.Page.Locator("#me-role")).ToHaveTextAsync("Admin");

        // The admin makes bob a moderator; bob's page learns it at once.
        await root.Members.GetByRole(AriaRole.Button, new() { Name = "bob, online" }).ClickAsync();
        await root.Page.GetByRole(AriaRole.Dialog, new() { Name = "bob" }).GetByRole(AriaRole.Button, new() { Name = "Make moderator" }).ClickAsync();
        await Expect(root.Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "bob is now a moderator." })).ToBeVisibleAsync();
        await Expect(bob.Page.Locator("#me-role")).ToHaveTextAsync("Moderator");
        await Expect(root.Members.GetByRole(AriaRole.Button, new() { Name = "bob, moderator, online" })).ToBeVisibleAsync();

        // A moderator is offered no Delete on the admin's message (nobody acts on an admin), but on a guest's.
        await root.SayAsync("welcome, everyone");
        await bob.ExpectMessageAsync("welcome, everyone");
        await Expect(bob.MessagesWith("welcome, everyone").GetByRole(AriaRole.Button, new() { Name = "Delete message" })).ToHaveCountAsync(0);

        // A moderator deletes someone else's message.
        await eve.SayAsync("buy cheap watches at spam.example");
        await bob.ExpectMessageAsync("cheap watches");
        await bob.MessagesWith("cheap watches").GetByRole(AriaRole.Button, new() { Name = "Delete message" }).ClickAsync();
        await bob.Page.GetByRole(AriaRole.Dialog, new() { Name = "Delete eve's message?" }).GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(eve.MessagesWith("cheap watches")).ToHaveCountAsync(0);
        await Expect(eve.MessagesWith("Message deleted by a moderator")).ToHaveCountAsync(1);

        // Kick: eve's page leaves the room and says why; she may come back.
        await OpenMemberDialog(bob, "eve");
        await bob.Page.GetByRole(AriaRole.Textbox, new() { Name = "Reason (optional)" }).FillAsync("cool down");
        await bob.Page.GetByRole(AriaRole.Button, new() { Name = "Kick from #lobby" }).ClickAsync();
        await Expect(eve.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("You were removed from #lobby by bob: cool down");
        await Expect(bob.Members.GetByLabel(new Regex("^eve,"))).ToHaveCountAsync(0);
        await eve.Room("lobby").ClickAsync();
        await eve.ExpectInRoomAsync("lobby");

        // Mute: eve is told, and her next message is refused in plain words.
        await OpenMemberDialog(bob, "eve");
        await bob.Page.GetByRole(AriaRole.Button, new() { Name = "Mute", Exact = true }).ClickAsync();
        await Expect(eve.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("You were muted until");
        await eve.SayAsync("can I still talk?");
        await Expect(eve.MessagesWith("can I still talk?")).ToHaveAttributeAsync("data-state", "failed");
        await Expect(eve.MessagesWith("can I still talk?")).ToContainTextAsync("Not sent: You are muted until");
        await Expect(root.MessagesWith("can I still talk?")).ToHaveCountAsync(0);

        // Ban: eve is disconnected, back on the log-in form with the reason, and cannot log in again.
        await OpenMemberDialog(bob, "eve");
        await bob.Page.GetByRole(AriaRole.Textbox, new() { Name = "Reason (optional)" }).FillAsync("spam");
        await bob.Page.GetByRole(AriaRole.Button, new() { Name = "Ban", Exact = true }).ClickAsync();
        await Expect(eve.Name).ToBeVisibleAsync();
        await Expect(eve.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("This name is banned until a moderator lifts it (reason: spam).");
        await eve.Name.FillAsync("eve");
        await eve.LogInButton.ClickAsync();
        await Expect(eve.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("This name is banned");

        // Only admins see the stats: numbers and a chart of the last 24 hours.
        await Expect(bob.Page.GetByRole(AriaRole.Button, new() { Name = "Server stats" })).ToHaveCountAsync(0);
        await root.Page.GetByRole(AriaRole.Button, new() { Name = "Server stats" }).ClickAsync();
        ILocator stats = root.Page.GetByRole(AriaRole.Dialog, new() { Name = "Server stats" });
        ILocator chart = stats.GetByRole(AriaRole.Img, new() { Name = "Messages per hour" });
        await Expect(chart).ToBeVisibleAsync();
        await Expect(chart.Locator("rect")).ToHaveCountAsync(24);
        await Expect(stats).ToContainTextAsync("registered users");
        await Expect(stats).ToContainTextAsync("#lobby");
        await Expect(stats).ToContainTextAsync("bob: eve is banned until unbanned.");
        await stats.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
        await Expect(stats).Not.ToBeVisibleAsync();
    }

    /// <summary>
    /// A deleted message says who deleted it: a member sees "by a moderator" or "by its author", never the moderator's
    /// reason; moderators and admins see the reason as it happens.
    /// </summary>
    [SkippableFact]
    public async Task A_deleted_message_says_whether_a_moderator_or_its_author_deleted_it()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync(o => o.Admin = "root");
        await using IBrowserContext modContext = await browser.NewContextAsync();
        await using IBrowserContext carolContext = await browser.NewContextAsync();
        await using IBrowserContext eveContext = await browser.NewContextAsync();
        ChatPage mod = await ChatPage.OpenAsync(modContext, server.HttpUri.ToString());
        ChatPage carol = await ChatPage.OpenAsync(carolContext, server.HttpUri.ToString());
        ChatPage eve = await ChatPage.OpenAsync(eveContext, server.HttpUri.ToString());
        await mod.RegisterAsync("mod");
        await carol.RegisterAsync("carol");
        await eve.LogInAsGuestAsync("eve");
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await root.SendJsonAsync(new { type = "grant", user = "mod" });
            await Expect(mod.Page.Locator("#me-role")).ToHaveTextAsync("Moderator");
        }

        await eve.SayAsync("buy cheap watches at spam.example");
        await carol.SayAsync("carol's tpyo");
        await mod.ExpectMessageAsync("cheap watches");
        await mod.ExpectMessageAsync("carol's tpyo");
        await carol.ExpectMessageAsync("cheap watches");

        // The moderator deletes eve's message and says why.
        await mod.MessagesWith("cheap watches").GetByRole(AriaRole.Button, new() { Name = "Delete message" }).ClickAsync();
        ILocator confirm = mod.Page.GetByRole(AriaRole.Dialog, new() { Name = "Delete eve's message?" });
        await confirm.GetByRole(AriaRole.Textbox, new() { Name = "Reason (optional)" }).FillAsync("spam");
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        foreach (ChatPage member in new[] { carol, eve })
        {
            await Expect(member.MessagesWith("cheap watches")).ToHaveCountAsync(0);
            await Expect(member.MessagesWith("Message deleted by a moderator")).ToHaveCountAsync(1);
            await Expect(member.Log).Not.ToContainTextAsync("spam");
        }
        await Expect(mod.MessagesWith("Message deleted by a moderator (reason: spam)")).ToHaveCountAsync(1);

        // carol deletes her own: no reason is asked, and everyone sees it was the author.
        await carol.MessagesWith("carol's tpyo").GetByRole(AriaRole.Button, new() { Name = "Delete message" }).ClickAsync();
        ILocator own = carol.Page.GetByRole(AriaRole.Dialog, new() { Name = "Delete this message?" });
        await Expect(own.GetByRole(AriaRole.Textbox)).ToHaveCountAsync(0);
        await own.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        foreach (ChatPage p in new[] { mod, carol, eve })
            await Expect(p.MessagesWith("Message deleted by its author")).ToHaveCountAsync(1);

        // From history after a reload, the same words (the reason was for the moment, and the audit log).
        await carol.Page.ReloadAsync();
        await carol.ExpectInRoomAsync("lobby");
        await Expect(carol.MessagesWith("Message deleted by a moderator")).ToHaveCountAsync(1);
        await Expect(carol.MessagesWith("Message deleted by its author")).ToHaveCountAsync(1);
    }

    [SkippableFact]
    public async Task The_admins_stats_show_the_top_posters_of_each_busy_room()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync(o => o.Admin = "root");
        (ChatClient alice, _) = await ChatClient.RegisterAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        await using (alice)
        {
            await alice.SendJsonAsync(new { type = "create", room = "dev" });
            await alice.ReceiveAsync("created");
            await alice.JoinAsync("lobby");
            await alice.JoinAsync("dev");
            await bob.JoinAsync("lobby");
            for (int i = 0; i < 3; i++)
                await alice.SayAsync("lobby", $"lobby {i}");
            await bob.SayAsync("lobby", "hi all");
            for (int i = 0; i < 2; i++)
                await alice.SayAsync("dev", $"dev {i}");
        }

        await using IBrowserContext rootContext = await browser.NewContextAsync();
        ChatPage root = await ChatPage.OpenAsync(rootContext, server.AdminPageUri);
        await root.RegisterAsync("root");
        await root.Page.GetByRole(AriaRole.Button, new() { Name = "Server stats" }).ClickAsync();
        ILocator stats = root.Page.GetByRole(AriaRole.Dialog, new() { Name = "Server stats" });
        await Expect(stats.GetByRole(AriaRole.Heading, new() { Name = "Top posters by room" })).ToBeVisibleAsync();
        await Expect(stats.GetByRole(AriaRole.List, new() { Name = "Top posters in #lobby" }).GetByRole(AriaRole.Listitem))
            .ToHaveTextAsync(["alice — 3", "bob (guest) — 1"]);
        await Expect(stats.GetByRole(AriaRole.List, new() { Name = "Top posters in #dev" }).GetByRole(AriaRole.Listitem))
            .ToHaveTextAsync(["alice — 2"]);
    }

    private static async Task OpenMemberDialog(ChatPage page, string name)
    {
        // Named "eve, online", or with a role between: "eve, guest, online".
        await page.Members.GetByRole(AriaRole.Button, new() { NameRegex = new Regex($"^{Regex.Escape(name)}, (\\w+, )?online$") }).ClickAsync();
        await Expect(page.Page.GetByRole(AriaRole.Dialog, new() { Name = name })).ToBeVisibleAsync();
    }
}
