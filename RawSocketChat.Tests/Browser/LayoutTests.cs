using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// Where things are on the screen, measured rather than looked at: the conversation stays one readable column on a
/// wide desktop, the phone header leaves room for the room's name, and a notice sits above the composer, never on it.
/// A guest is offered what the account button does: register to keep the name.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LayoutTests(BrowserFixture fixture)
{
    private static async Task<LocatorBoundingBoxResult> BoxAsync(ILocator locator) =>
        await locator.BoundingBoxAsync() ?? throw new InvalidOperationException($"{locator} is not on screen");

    private static async Task<ChatPage> OpenAsync(IBrowser browser, TestServer server, int width, int height, List<IBrowserContext> contexts)
    {
        IBrowserContext context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        contexts.Add(context);
        return await ChatPage.OpenAsync(context, server.HttpUri.ToString());
    }

    [SkippableFact]
    public async Task A_wide_desktop_keeps_the_conversation_one_column_and_a_phone_keeps_its_header_clear()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync(o => o.Admin = "root");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        await bob.JoinAsync("lobby");
        var contexts = new List<IBrowserContext>();
        try
        {
            // 1920 px: bob's message on the left and one's own on the right are within one column, not 1,400 px apart.
            ChatPage wide = await OpenAsync(browser, server, 1920, 1080, contexts);
            await wide.LogInAsGuestAsync("wide");
            await bob.SayAsync("lobby", "a message from bob");
            await wide.SayAsync("and my answer");
            await wide.ExpectMessageAsync("and my answer");
            LocatorBoundingBoxResult theirs = await BoxAsync(wide.MessagesWith("a message from bob"));
            LocatorBoundingBoxResult mine = await BoxAsync(wide.MessagesWith("and my answer"));
            LocatorBoundingBoxResult composer = await BoxAsync(wide.MessageField);
            Assert.InRange(mine.X + mine.Width - theirs.X, 0, 1000);
            Assert.InRange(composer.Width, 0, 1000);

            // 375 px: when connected, the status is a dot, and the room's name keeps the room it needs.
            ChatPage phone = await OpenAsync(browser, server, 375, 740, contexts);
            await phone.Name.FillAsync("phone");
            await phone.LogInButton.ClickAsync();
            await phone.ExpectConnectedAsync();
            ILocator title = phone.Page.GetByRole(AriaRole.Heading, new() { Name = "# lobby" });
            await Expect(title).ToBeVisibleAsync();
            Assert.InRange((await BoxAsync(phone.Connection)).Width, 0, 30);
            Assert.InRange((await BoxAsync(title)).Width, 60, 375);

            // A notice (here: being muted) sits between the messages and the composer, its words from the left.
            (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
            await using (root)
            {
                await root.SendJsonAsync(new { type = "mute", user = "phone", seconds = 600, @ref = "m" });
                await root.ReceiveAsync(m => ChatClient.Ref(m) == "m");
            }
            await phone.SayAsync("may I?");
            ILocator notice = phone.Page.Locator("#notice");
            await Expect(notice).ToBeVisibleAsync();
            LocatorBoundingBoxResult noticeBox = await BoxAsync(notice);
            LocatorBoundingBoxResult field = await BoxAsync(phone.MessageField);
            Assert.True(noticeBox.Y + noticeBox.Height <= field.Y, $"the notice ({noticeBox.Y}+{noticeBox.Height}) overlaps the composer ({field.Y})");
            Assert.InRange((await BoxAsync(phone.Page.Locator("#notice-text"))).X - noticeBox.X, 0, 48);
        }
        finally
        {
            foreach (IBrowserContext context in contexts)
                await context.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task A_guest_registers_the_name_in_place_and_keeps_it_and_the_rooms_on_another_device()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        (ChatClient owner, _) = await ChatClient.RegisterAsync(server, "owner");
        await using (owner)
        {
            await owner.SendJsonAsync(new { type = "create", room = "dev" });
            await owner.ReceiveAsync("created");
        }
        await using IBrowserContext laptop = await browser.NewContextAsync();
        ChatPage dana = await ChatPage.OpenAsync(laptop, server.HttpUri.ToString());
        await dana.LogInAsGuestAsync("dana");
        await dana.Room("dev").ClickAsync();
        await dana.ExpectInRoomAsync("dev");
        await dana.SayAsync("said as a guest");

        // The account area names what its button does; a guest is not asked to "log in" again.
        ILocator keep = dana.Page.GetByRole(AriaRole.Button, new() { Name = "Register to keep this name" });
        await keep.ClickAsync();
        ILocator dialog = dana.Page.GetByRole(AriaRole.Dialog, new() { Name = "Keep this name" });
        await dialog.GetByLabel("New password").FillAsync("short");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Expect(dialog.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Passwords need at least 8 characters.");
        await dialog.GetByLabel("New password").FillAsync("correct horse battery");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(dana.Page.Locator("#me-role")).ToHaveTextAsync("Member");
        await Expect(keep).ToBeHiddenAsync();
        await dana.ExpectInRoomAsync("dev");
        await dana.SayAsync("said as a member");
        await dana.ExpectMessageAsync("said as a member");

        // The name is an account now: another browser logs in with the password and finds dev among its rooms.
        await using IBrowserContext phone = await browser.NewContextAsync();
        ChatPage other = await ChatPage.OpenAsync(phone, server.HttpUri.ToString());
        await other.Name.FillAsync("dana");
        await other.Password.FillAsync("correct horse battery");
        await other.LogInButton.ClickAsync();
        await other.ExpectInRoomAsync("lobby");
        await Expect(other.Room("dev")).Not.ToHaveAccessibleDescriptionAsync(new System.Text.RegularExpressions.Regex("Not joined"));
        await other.Room("dev").ClickAsync();
        await other.ExpectMessageAsync("said as a member");
    }
}
