using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>Reactions as people use them in the page: the picker, the chips as toggle buttons, two people, a reload.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ReactionsTests(BrowserFixture fixture)
{
    private static ILocator Chip(ILocator message, string emoji) =>
        message.GetByRole(AriaRole.Group, new() { Name = "Reactions", Exact = true })
            .GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^" + Regex.Escape(emoji) + " ") });

    [SkippableFact]
    public async Task Two_people_react_from_the_picker_and_the_chips_and_a_reload_keeps_them()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using TwoPages pages = await TwoPages.OpenAsync(browser, server);
        (ChatPage alice, ChatPage bob) = pages;
        await alice.RegisterAsync("alice");
        await bob.LogInAsGuestAsync("bob");
        await alice.SayAsync("ship it?");
        await bob.ExpectMessageAsync("ship it?");

        // Bob picks 👍 from the picker next to the message.
        ILocator atBob = bob.MessagesWith("ship it?");
        await atBob.HoverAsync();
        await atBob.GetByRole(AriaRole.Button, new() { Name = "Add reaction", Exact = true }).ClickAsync();
        ILocator picker = bob.Page.GetByRole(AriaRole.Dialog, new() { Name = "Add a reaction", Exact = true });
        await Expect(picker).ToBeVisibleAsync();
        await picker.GetByRole(AriaRole.Button, new() { Name = "React with 👍", Exact = true }).ClickAsync();
        await Expect(picker).ToBeHiddenAsync();

        ILocator atAlice = alice.MessagesWith("ship it?");
        await Expect(Chip(atBob, "👍")).ToHaveAccessibleNameAsync("👍 1: bob");
        await Expect(Chip(atBob, "👍")).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(Chip(atAlice, "👍")).ToHaveAccessibleNameAsync("👍 1: bob");
        await Expect(Chip(atAlice, "👍")).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(Chip(atAlice, "👍")).ToHaveTextAsync("👍1");

        // Alice adds herself by clicking the chip; a second click takes it back.
        await Chip(atAlice, "👍").ClickAsync();
        await Expect(Chip(atBob, "👍")).ToHaveAccessibleNameAsync("👍 2: bob, alice");
        await Expect(Chip(atAlice, "👍")).ToHaveAttributeAsync("aria-pressed", "true");
        await Chip(atAlice, "👍").ClickAsync();
        await Expect(Chip(atBob, "👍")).ToHaveAccessibleNameAsync("👍 1: bob");
        await Expect(Chip(atAlice, "👍")).ToHaveAttributeAsync("aria-pressed", "false");

        // After a reload the reactions come with the history.
        await bob.Page.ReloadAsync();
        await bob.ExpectMessageAsync("ship it?");
        await Expect(Chip(bob.MessagesWith("ship it?"), "👍")).ToHaveAttributeAsync("aria-pressed", "true");

        // The last one taken back leaves no chips behind, for either.
        await Chip(bob.MessagesWith("ship it?"), "👍").ClickAsync();
        foreach (ChatPage p in new[] { alice, bob })
            await Expect(p.MessagesWith("ship it?").GetByRole(AriaRole.Group, new() { Name = "Reactions" })).ToHaveCountAsync(0);
    }

    [SkippableFact]
    public async Task Reactions_made_while_a_reader_reconnects_show_once_it_is_back()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using IBrowserContext context = await browser.NewContextAsync();
        ChatPage reader = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
        await reader.RegisterAsync("reader");
        string id;
        await using (ChatClient before = await ChatClient.GuestAsync(server, "writer"))
        {
            await before.JoinAsync("lobby");
            id = (await before.SayAsync("lobby", "react while they are away")).GetProperty("id").GetString()!;
        }
        await reader.ExpectMessageAsync("react while they are away");

        // The server restarts; the writer is back before the reader's reconnect backs off, so the reader usually
        // learns of the reaction from the history of its re-join (the path under test), else live — right either way.
        await server.StopAsync();
        await Expect(reader.Connection).ToHaveTextAsync(ChatPage.Reconnecting);
        await server.StartAgainAsync();
        await using ChatClient writer = await ChatClient.GuestAsync(server, "writer");
        await writer.JoinAsync("lobby");
        await writer.SendJsonAsync(new { type = "react", room = "lobby", id, emoji = "🎉" });
        await writer.ReceiveAsync("ack");
        await reader.ExpectConnectedAsync(45_000);

        await Expect(Chip(reader.MessagesWith("react while they are away"), "🎉")).ToHaveAccessibleNameAsync("🎉 1: writer");
        await Expect(reader.MessagesWith("react while they are away")).ToHaveCountAsync(1);
    }
}
