using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// The room list in the page: a registered user's rooms follow them to another browser, and new rooms and changed
/// counts show up as they happen — well before any periodic refresh could bring them.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RoomListTests(BrowserFixture fixture)
{
    /// <summary>Less than the 30 s refresh the page used to rely on, with room for a slow machine.</summary>
    private static readonly LocatorAssertionsToHaveAccessibleDescriptionOptions Soon = new() { Timeout = 10_000 };

    [SkippableFact]
    public async Task A_registered_users_rooms_follow_them_to_another_browser_which_opens_the_lobby()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        (ChatClient owner, _) = await ChatClient.RegisterAsync(server, "owner");
        await using (owner)
        {
            foreach (string room in new[] { "dev", "design" })
            {
                await owner.SendJsonAsync(new { type = "create", room });
                await owner.ReceiveAsync("created");
            }
        }

        await using (IBrowserContext laptop = await browser.NewContextAsync())
        {
            ChatPage alice = await ChatPage.OpenAsync(laptop, server.HttpUri.ToString());
            await alice.RegisterAsync("alice");
            await alice.Room("dev").ClickAsync();
            await alice.ExpectInRoomAsync("dev");
            // A direct conversation, which sorts before every room by name: it must not be where a new device lands.
            await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
            await bob.SendJsonAsync(new { type = "dm", to = "alice", text = "hi alice", @ref = "d1" });
            await bob.ReceiveAsync(m => ChatClient.Ref(m) == "d1");
            await Expect(alice.Page.GetByRole(AriaRole.List, new() { Name = "Direct messages" })).ToContainTextAsync("bob");
        }

        // Another browser, nothing in its storage: the rooms come from the server.
        await using IBrowserContext phone = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 375, Height = 740 } });
        var page = await ChatPage.OpenAsync(phone, server.HttpUri.ToString());
        await page.Name.FillAsync("alice");
        await page.Password.FillAsync("correct horse battery");
        await page.LogInButton.ClickAsync();
        await Expect(page.Page.GetByRole(AriaRole.Heading, new() { Name = "# lobby" })).ToBeVisibleAsync();
        await page.ExpectConnectedAsync();
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Show rooms" }).ClickAsync(); // a drawer at 375 px
        await Expect(page.Room("lobby")).ToHaveAttributeAsync("aria-current", "true");
        await Expect(page.Room("dev")).Not.ToHaveAccessibleDescriptionAsync(new System.Text.RegularExpressions.Regex("Not joined"));
        await Expect(page.Room("design")).ToHaveAccessibleDescriptionAsync(new System.Text.RegularExpressions.Regex("^Not joined"));
        await Expect(page.Page.GetByRole(AriaRole.List, new() { Name = "Direct messages" })).ToContainTextAsync("bob");

        // Joined there, not just listed: its messages arrive.
        await using ChatClient carol = await ChatClient.GuestAsync(server, "carol");
        await carol.JoinAsync("dev");
        await carol.SayAsync("dev", "anyone in dev?");
        await page.Room("dev").ClickAsync();
        await Expect(page.Page.GetByRole(AriaRole.Heading, new() { Name = "# dev" })).ToBeVisibleAsync();
        await page.ExpectMessageAsync("anyone in dev?");
    }

    [SkippableFact]
    public async Task New_rooms_and_member_counts_show_up_at_once_in_plain_words()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using IBrowserContext context = await browser.NewContextAsync();
        ChatPage alice = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
        await alice.LogInAsGuestAsync("alice");

        (ChatClient owner, _) = await ChatClient.RegisterAsync(server, "owner");
        await using (owner)
        {
            await owner.SendJsonAsync(new { type = "create", room = "design" });
            await owner.ReceiveAsync("created");
            await Expect(alice.Room("design")).ToHaveAccessibleDescriptionAsync("Not joined. 0 members, 0 online", Soon);

            await owner.JoinAsync("design");
            await Expect(alice.Room("design")).ToHaveAccessibleDescriptionAsync("Not joined. 1 member, 1 online", Soon);

            await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
            await bob.JoinAsync("design");
            await Expect(alice.Room("design")).ToHaveAccessibleDescriptionAsync("Not joined. 2 members, 2 online", Soon);
        }
        // The owner went offline (still a member: registered); bob, a guest, left with his connection.
        await Expect(alice.Room("design")).ToHaveAccessibleDescriptionAsync("Not joined. 1 member, 0 online", Soon);
    }
}
