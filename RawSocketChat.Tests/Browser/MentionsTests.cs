using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// Mentions and read positions as people meet them: the highlight, the room's count, the tab title while hidden, and
/// one user's two browsers agreeing on what is read — across a reload.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class MentionsTests(BrowserFixture fixture)
{
    [SkippableFact]
    public async Task A_mention_is_highlighted_counted_apart_and_read_on_one_device_is_read_on_the_other()
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

        (ChatClient bob, _) = await ChatClient.RegisterAsync(server, "bob");
        await using ChatClient bobClient = bob;
        await bob.SendJsonAsync(new { type = "create", room = "dev" });
        await bob.ReceiveAsync("created");
        // alice joins dev on both devices (from the room list), and goes back to the lobby.
        foreach (ChatPage p in new[] { phone, laptop })
        {
            await p.Room("dev").ClickAsync();
            await p.ExpectInRoomAsync("dev");
            await p.Room("lobby").ClickAsync();
            await p.ExpectInRoomAsync("lobby");
        }
        await bob.JoinAsync("dev");
        await bob.SayAsync("dev", "plain news");
        await bob.SayAsync("dev", "@alice can you look?");

        foreach (ChatPage p in new[] { phone, laptop })
            await Expect(p.Room("dev")).ToHaveAccessibleDescriptionAsync(new Regex("2 unread, 1 mention"));

        // The phone opens dev: the mention is highlighted in words, and read — so the laptop's count clears too.
        await phone.Room("dev").ClickAsync();
        await Expect(phone.MessagesWith("can you look?")).ToContainTextAsync("mentions you");
        await Expect(phone.MessagesWith("plain news")).Not.ToContainTextAsync("mentions you");
        await Expect(laptop.Room("dev")).Not.ToHaveAccessibleDescriptionAsync(new Regex("unread"), new() { Timeout = 15_000 });

        // A reload of the laptop asks the server, which agrees: nothing unread.
        await laptop.Page.ReloadAsync();
        await laptop.ExpectInRoomAsync("lobby");
        await Expect(laptop.Room("dev")).Not.ToHaveAccessibleDescriptionAsync(new Regex("unread"));

        // A new mention while the laptop's tab is hidden: counted in the title.
        await laptop.Page.EvaluateAsync("() => { Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true }); document.dispatchEvent(new Event('visibilitychange')); }");
        await bob.SayAsync("dev", "@alice one more");
        await Expect(laptop.Page).ToHaveTitleAsync(new Regex(@"^\(1\) "));
    }
}
