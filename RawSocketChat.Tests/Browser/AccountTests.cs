using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>An account's password as people manage it in the page: changed on one device, the other is signed out and told why.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AccountTests(BrowserFixture fixture)
{
    [SkippableFact]
    public async Task Changing_the_password_on_one_device_signs_the_other_out_with_the_reason()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using IBrowserContext phoneContext = await browser.NewContextAsync();
        await using IBrowserContext laptopContext = await browser.NewContextAsync();
        ChatPage phone = await ChatPage.OpenAsync(phoneContext, server.HttpUri.ToString());
        await phone.RegisterAsync("alice");
        ChatPage laptop = await ChatPage.OpenAsync(laptopContext, server.HttpUri.ToString());
        await laptop.Name.FillAsync("alice");
        await laptop.Password.FillAsync("correct horse battery");
        await laptop.LogInButton.ClickAsync();
        await laptop.ExpectInRoomAsync("lobby");

        await phone.Page.GetByRole(AriaRole.Button, new() { Name = "Change password", Exact = true }).ClickAsync();
        ILocator dialog = phone.Page.GetByRole(AriaRole.Dialog, new() { Name = "Change password" });
        await dialog.GetByLabel("Current password").FillAsync("wrong guess here");
        await dialog.GetByLabel("New password").FillAsync("a much better passphrase");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Change", Exact = true }).ClickAsync();
        await Expect(dialog.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That is not your current password.");

        await dialog.GetByLabel("Current password").FillAsync("correct horse battery");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Change", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(phone.Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Password changed" })).ToBeVisibleAsync();

        // The laptop is back at the log-in form, told why; the old password no longer works, the new one does.
        await Expect(laptop.LogInButton).ToBeVisibleAsync();
        await Expect(laptop.Page.GetByText("Your password was changed on another device")).ToBeVisibleAsync();
        await laptop.Name.FillAsync("alice");
        await laptop.Password.FillAsync("a much better passphrase");
        await laptop.LogInButton.ClickAsync();
        await laptop.ExpectInRoomAsync("lobby");

        // The phone was not signed out: it still chats.
        await phone.SayAsync("still here");
        await laptop.ExpectMessageAsync("still here");
    }

    [SkippableFact]
    public async Task A_new_color_from_the_picker_shows_in_the_other_persons_member_list()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using TwoPages pages = await TwoPages.OpenAsync(browser, server);
        (ChatPage alice, ChatPage bob) = pages;
        await alice.RegisterAsync("alice");
        await bob.LogInAsGuestAsync("bob");

        ILocator picker = alice.Page.GetByLabel("Your color", new() { Exact = true });
        await picker.FillAsync("#10b981"); // fires input and change, as closing the picker does
        await Expect(picker).ToHaveValueAsync("#10b981");
        ILocator aliceAtBob = bob.Members.GetByText("alice", new() { Exact = true }).Locator("xpath=ancestor::li[1]").Locator(".avatar").First;
        await Expect(aliceAtBob).ToHaveCSSAsync("background-color", "rgb(16, 185, 129)");

        await alice.Page.ReloadAsync();
        await alice.ExpectInRoomAsync("lobby");
        await Expect(alice.Page.GetByLabel("Your color", new() { Exact = true })).ToHaveValueAsync("#10b981");
    }

    [SkippableFact]
    public async Task A_new_spelling_of_the_name_shows_at_once_for_both_people_and_after_a_reload()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using TwoPages pages = await TwoPages.OpenAsync(browser, server);
        (ChatPage alice, ChatPage bob) = pages;
        await alice.RegisterAsync("alice");
        await bob.LogInAsGuestAsync("bob");
        await alice.SayAsync("signed the old way");
        await bob.ExpectMessageAsync("signed the old way");

        await alice.Page.GetByRole(AriaRole.Button, new() { Name = "Spelling of your name" }).ClickAsync();
        ILocator dialog = alice.Page.GetByRole(AriaRole.Dialog, new() { Name = "How your name is written" });
        await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Your name as written" }).FillAsync("AliCe");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        await Expect(alice.Page.Locator("#me-name")).ToHaveTextAsync("AliCe");
        await Expect(bob.Members.GetByText("AliCe", new() { Exact = true })).ToBeVisibleAsync();
        await alice.SayAsync("signed the new way");
        await Expect(bob.MessagesWith("signed the new way")).ToContainTextAsync("AliCe");
        await Expect(bob.MessagesWith("signed the old way")).ToContainTextAsync("alice");

        // Letters other than the case are another name: refused, and said so.
        await alice.Page.GetByRole(AriaRole.Button, new() { Name = "Spelling of your name" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Your name as written" }).FillAsync("alicia");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(alice.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Only the spelling can change");

        await alice.Page.ReloadAsync();
        await alice.ExpectInRoomAsync("lobby");
        await Expect(alice.Page.Locator("#me-name")).ToHaveTextAsync("AliCe");
    }

    [SkippableFact]
    public async Task Deleting_the_account_signs_out_turns_its_messages_into_tombstones_for_others_and_retires_the_name()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using TwoPages pages = await TwoPages.OpenAsync(browser, server);
        (ChatPage alice, ChatPage bob) = pages;
        await alice.RegisterAsync("alice");
        await bob.LogInAsGuestAsync("bob");
        await alice.SayAsync("forget I said this");
        await bob.ExpectMessageAsync("forget I said this");

        await alice.Page.GetByRole(AriaRole.Button, new() { Name = "Delete account…" }).ClickAsync();
        ILocator dialog = alice.Page.GetByRole(AriaRole.Dialog, new() { Name = "Delete your account" });
        await dialog.GetByLabel("Your password").FillAsync("not my password");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete my account" }).ClickAsync();
        await Expect(dialog.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That is not your password.");
        await dialog.GetByLabel("Your password").FillAsync("correct horse battery");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete my account" }).ClickAsync();

        await Expect(alice.LogInButton).ToBeVisibleAsync();
        await Expect(alice.Page.Locator("#login-error")).ToHaveTextAsync("Your account was deleted.");
        await Expect(bob.Messages.Filter(new() { HasText = "Message deleted by its author" })).ToHaveCountAsync(1);
        await Expect(bob.Log).Not.ToContainTextAsync("forget I said this");
        await Expect(bob.Members.GetByText("alice", new() { Exact = true })).ToHaveCountAsync(0);

        // The name is retired: not even a guest may take it.
        await alice.Name.FillAsync("alice");
        await alice.LogInButton.ClickAsync();
        await Expect(alice.Page.Locator("#login-error")).ToContainTextAsync("retired");
    }
}
