using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>A private room in the page: created with the checkbox, invisible to others until an invitation, then joined.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PrivateRoomsTests(BrowserFixture fixture)
{
    [SkippableFact]
    public async Task A_private_room_is_seen_only_after_an_invitation_and_then_joined_with_its_history()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using TwoPages pages = await TwoPages.OpenAsync(browser, server);
        (ChatPage alice, ChatPage bob) = pages;
        await alice.RegisterAsync("alice");
        await bob.RegisterAsync("bob");

        await alice.Page.GetByRole(AriaRole.Button, new() { Name = "Create room" }).ClickAsync();
        await alice.Page.GetByRole(AriaRole.Textbox, new() { Name = "New room name" }).FillAsync("secret");
        await alice.Page.GetByRole(AriaRole.Checkbox, new() { NameRegex = new Regex("^Private") }).CheckAsync();
        await alice.Page.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        await alice.ExpectInRoomAsync("secret");
        await Expect(alice.Room("secret")).ToHaveAccessibleDescriptionAsync(new Regex("^Private"));
        await alice.SayAsync("just us for now");

        await bob.Page.ReloadAsync();
        await bob.ExpectInRoomAsync("lobby");
        await Expect(bob.Room("secret")).ToHaveCountAsync(0);

        await alice.Page.GetByRole(AriaRole.Button, new() { Name = "Invite someone" }).ClickAsync();
        ILocator dialog = alice.Page.GetByRole(AriaRole.Dialog, new() { Name = "Invite to #secret" });
        await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Name to invite" }).FillAsync("bob");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();

        await Expect(bob.Page.GetByText("alice invited you to #secret.")).ToBeVisibleAsync();
        await bob.Room("secret").ClickAsync();
        await bob.ExpectInRoomAsync("secret");
        await bob.ExpectMessageAsync("just us for now");
    }
}
