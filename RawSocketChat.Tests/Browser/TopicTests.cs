using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>A room's topic in the page: set by its creator from the header, seen by a guest at once and after a reload.</summary>
[Collection(BrowserCollection.Name)]
public sealed class TopicTests(BrowserFixture fixture)
{
    [SkippableFact]
    public async Task The_creator_sets_the_topic_from_the_header_and_a_guest_sees_it_but_cannot_change_it()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using TwoPages pages = await TwoPages.OpenAsync(browser, server);
        (ChatPage alice, ChatPage bob) = pages;
        await alice.RegisterAsync("alice");
        await bob.LogInAsGuestAsync("bob");
        await alice.Page.GetByRole(AriaRole.Button, new() { Name = "Create room" }).ClickAsync();
        await alice.Page.GetByRole(AriaRole.Textbox, new() { Name = "New room name" }).FillAsync("dev");
        await alice.Page.GetByRole(AriaRole.Textbox, new() { Name = "New room name" }).PressAsync("Enter");
        await alice.Room("dev").ClickAsync();
        await alice.ExpectInRoomAsync("dev");
        await bob.Room("dev").ClickAsync();
        await bob.ExpectInRoomAsync("dev");
        await Expect(bob.Page.GetByRole(AriaRole.Button, new() { Name = "Set topic" })).ToBeHiddenAsync();
        await Expect(bob.Page.Locator("#room-sub")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"\d+ online$")); // no topic: nothing after the count

        await alice.Page.GetByRole(AriaRole.Button, new() { Name = "Set topic" }).ClickAsync();
        ILocator dialog = alice.Page.GetByRole(AriaRole.Dialog, new() { Name = "Topic of #dev" });
        await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Topic" }).FillAsync("Release 2.0 on Friday");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        foreach (ChatPage p in new[] { alice, bob })
            await Expect(p.Page.Locator("#room-sub")).ToContainTextAsync("Release 2.0 on Friday");
        await bob.Page.ReloadAsync();
        await bob.ExpectInRoomAsync("dev");
        await Expect(bob.Page.Locator("#room-sub")).ToContainTextAsync("Release 2.0 on Friday");
    }
}
