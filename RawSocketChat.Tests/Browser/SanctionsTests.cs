using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// Bans and mutes as the people on both sides see them: moderators list what is in force and lift it from the list,
/// an admin reads the audit log there, and a banned user is told why and until when — after a reload too.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SanctionsTests(BrowserFixture fixture)
{
    [SkippableFact]
    public async Task Moderators_see_who_is_banned_and_muted_and_lift_it_and_admins_read_the_audit_log()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync(o => o.Admin = "root");
        await using IBrowserContext rootContext = await browser.NewContextAsync();
        await using IBrowserContext modContext = await browser.NewContextAsync();
        ChatPage root = await ChatPage.OpenAsync(rootContext, server.AdminPageUri);
        await root.RegisterAsync("root");
        ChatPage mod = await ChatPage.OpenAsync(modContext, server.HttpUri.ToString());
        await mod.RegisterAsync("mod");
        // A second connection of root's, for the setup: the page's own controls have tests of their own.
        ChatClient rootWire = await ChatClient.ConnectAsync(server);
        await using (rootWire)
        {
            await rootWire.SendJsonAsync(new { type = "login", name = "root", password = "correct horse battery" });
            await rootWire.ReceiveAsync("welcome");
            await rootWire.SendJsonAsync(new { type = "grant", user = "mod", @ref = "g" });
            await rootWire.ReceiveAsync(m => ChatClient.Ref(m) == "g");
            await rootWire.SendJsonAsync(new { type = "ban", user = "griefer", reason = "spam links", @ref = "b" });
            await rootWire.ReceiveAsync(m => ChatClient.Ref(m) == "b");
            await rootWire.SendJsonAsync(new { type = "mute", user = "chatty", seconds = 3600, @ref = "m" });
            await rootWire.ReceiveAsync(m => ChatClient.Ref(m) == "m");
        }

        // A moderator: the list with a way to undo each entry, and no audit log (that is the admins').
        ILocator moderation = mod.Page.GetByRole(AriaRole.Dialog, new() { Name = "Moderation" });
        await mod.Page.GetByRole(AriaRole.Button, new() { Name = "Moderation", Exact = true }).ClickAsync();
        ILocator bans = moderation.GetByRole(AriaRole.List, new() { Name = "Banned" });
        await Expect(bans.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);
        await Expect(bans).ToContainTextAsync("griefer");
        await Expect(bans).ToContainTextAsync("by root · until lifted · reason: spam links");
        await Expect(moderation.GetByRole(AriaRole.List, new() { Name = "Muted" })).ToContainTextAsync(new Regex("chatty.*by root · until "));
        await Expect(moderation.GetByRole(AriaRole.List, new() { Name = "Audit log" })).ToHaveCountAsync(0);

        await moderation.GetByRole(AriaRole.Button, new() { Name = "Unban griefer" }).ClickAsync();
        await Expect(moderation.GetByRole(AriaRole.Status)).ToHaveTextAsync("griefer is no longer banned.");
        await Expect(moderation.GetByRole(AriaRole.List, new() { Name = "Banned" })).ToHaveCountAsync(0);
        await Expect(moderation).ToContainTextAsync("Banned (0)");
        await Expect(moderation).Not.ToContainTextAsync("null"); // no missing value shown as a word
        await moderation.GetByRole(AriaRole.Button, new() { Name = "Unmute chatty" }).ClickAsync();
        await Expect(moderation).ToContainTextAsync("Muted (0)");
        await using (ChatClient griefer = await ChatClient.GuestAsync(server, "griefer")) { } // can come back

        // An admin: the same lists, and the audit log with who did what, newest first.
        await Expect(root.Page.GetByRole(AriaRole.Button, new() { Name = "Moderation", Exact = true })).ToBeVisibleAsync();
        await root.Page.GetByRole(AriaRole.Button, new() { Name = "Moderation", Exact = true }).ClickAsync();
        ILocator log = root.Page.GetByRole(AriaRole.Dialog, new() { Name = "Moderation" }).GetByRole(AriaRole.List, new() { Name = "Audit log" });
        await Expect(log.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(5);
        await Expect(log.GetByRole(AriaRole.Listitem).First).ToContainTextAsync("mod: chatty can write again.");
        await Expect(log).ToContainTextAsync("mod: griefer is no longer banned.");
        await Expect(log).ToContainTextAsync("root: griefer is banned until unbanned. Reason: spam links");
        await Expect(log.GetByRole(AriaRole.Listitem).Last).ToContainTextAsync("root: mod is now a moderator.");

        // Members have no such button.
        await using IBrowserContext memberContext = await browser.NewContextAsync();
        ChatPage member = await ChatPage.OpenAsync(memberContext, server.HttpUri.ToString());
        await member.LogInAsGuestAsync("visitor");
        await Expect(member.Page.GetByRole(AriaRole.Button, new() { Name = "Moderation", Exact = true })).ToBeHiddenAsync();
    }

    [SkippableFact]
    public async Task A_banned_guest_sees_why_and_until_when_also_after_a_reload()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync(o => o.Admin = "root");
        await using IBrowserContext context = await browser.NewContextAsync();
        ChatPage griefer = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
        await griefer.LogInAsGuestAsync("griefer");
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await root.SendJsonAsync(new { type = "ban", user = "griefer", seconds = 7 * 86400, reason = "spam links", @ref = "b" });
            await root.ReceiveAsync(m => ChatClient.Ref(m) == "b");
        }

        ILocator error = griefer.Page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "banned" });
        var told = new Regex(@"^This name is banned until .+ \(reason: spam links\)\.$");
        await Expect(error).ToHaveTextAsync(told);
        await Expect(griefer.Name).ToHaveValueAsync("griefer");
        string untilText = (await error.TextContentAsync())!;
        Assert.Matches(@"\d{4}", untilText); // a week away: the date is said, not just a time of day

        await griefer.Page.ReloadAsync();
        await Expect(griefer.LogInButton).ToBeVisibleAsync();
        await Expect(error).ToHaveTextAsync(untilText);
        await Expect(griefer.Name).ToHaveValueAsync("griefer");

        // Trying anyway gets the same answer, from the server.
        await griefer.LogInButton.ClickAsync();
        await Expect(error).ToHaveTextAsync(told);
    }
}
