using System.Text.Json;
using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>Replies as people use them in the page: reply from a message, the quote, the jump to the parent, a deleted parent.</summary>
[Collection(BrowserCollection.Name)]
public sealed class RepliesTests(BrowserFixture fixture)
{
    [SkippableFact]
    public async Task A_reply_quotes_its_parent_jumps_to_it_and_follows_its_deletion()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using TwoPages pages = await TwoPages.OpenAsync(browser, server);
        (ChatPage alice, ChatPage bob) = pages;
        await alice.RegisterAsync("alice");
        await bob.LogInAsGuestAsync("bob");
        await alice.SayAsync("lunch at noon?");
        await bob.ExpectMessageAsync("lunch at noon?");

        // Bob replies from the message's actions: the composer says to whom, and Cancel would undo it.
        ILocator parent = bob.MessagesWith("lunch at noon?");
        await parent.HoverAsync();
        await parent.GetByRole(AriaRole.Button, new() { Name = "Reply", Exact = true }).ClickAsync();
        await Expect(bob.Page.GetByText("Replying to alice: lunch at noon?")).ToBeVisibleAsync();
        await Expect(bob.MessageField).ToBeFocusedAsync();
        await bob.SayAsync("noon works");
        await Expect(bob.Page.GetByText("Replying to alice")).ToBeHiddenAsync();

        foreach (ChatPage p in new[] { alice, bob })
        {
            ILocator quote = p.MessagesWith("noon works").GetByRole(AriaRole.Button, new() { Name = "Reply to alice: lunch at noon?", Exact = true });
            await Expect(quote).ToBeVisibleAsync();
        }

        // A click on the quote shows the parent (focused, so a keyboard or screen reader lands there too).
        await alice.MessagesWith("noon works").GetByRole(AriaRole.Button, new() { Name = "Reply to alice: lunch at noon?" }).ClickAsync();
        await Expect(alice.MessagesWith("lunch at noon?").First).ToBeFocusedAsync();

        // The parent deleted: the quote says so at once, and after a reload too (from history), without the words.
        ILocator own = alice.Messages.Filter(new() { HasText = "lunch at noon?" }).Filter(new() { HasNotText = "noon works" });
        await own.HoverAsync();
        await own.GetByRole(AriaRole.Button, new() { Name = "Delete message" }).ClickAsync();
        await alice.Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        foreach (ChatPage p in new[] { alice, bob })
        {
            await Expect(p.MessagesWith("noon works").GetByRole(AriaRole.Button, new() { Name = "Reply to a deleted message", Exact = true })).ToBeVisibleAsync();
            await Expect(p.MessagesWith("noon works")).Not.ToContainTextAsync("lunch at noon?");
        }
        await bob.Page.ReloadAsync();
        await bob.ExpectMessageAsync("noon works");
        await Expect(bob.MessagesWith("noon works").GetByRole(AriaRole.Button, new() { Name = "Reply to a deleted message", Exact = true })).ToBeVisibleAsync();
    }

    [SkippableFact]
    public async Task The_quote_of_a_parent_far_back_in_history_loads_the_pages_up_to_it()
    {
        IBrowser browser = fixture.RequireBrowser();
        // The writer fills the history faster than a person may write: its rate limit is lifted, the reader's is not.
        await using TestServer server = await BrowserFixture.StartServerAsync(o => { o.Rate = 1000; o.Burst = 1000; o.IpRate = 1000; o.IpBurst = 1000; });
        await using ChatClient writer = await ChatClient.GuestAsync(server, "writer");
        await writer.JoinAsync("lobby");
        string first = (await writer.SayAsync("lobby", "the very first message")).GetProperty("id").GetString()!;
        for (int i = 0; i < 120; i++)
        {
            await writer.SendJsonAsync(new { type = "send", room = "lobby", text = $"filler {i}", @ref = $"f{i}" });
            await writer.ReceiveAsync(m => ChatClient.Type(m) == "ack" && ChatClient.Ref(m) == $"f{i}");
        }
        await writer.SendJsonAsync(new { type = "send", room = "lobby", text = "about that first one", replyTo = first, @ref = "late" });
        await writer.ReceiveAsync(m => ChatClient.Type(m) == "ack" && ChatClient.Ref(m) == "late");

        await using IBrowserContext context = await browser.NewContextAsync();
        ChatPage reader = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
        await reader.LogInAsGuestAsync("reader");
        await reader.ExpectMessageAsync("about that first one");
        // The parent itself, not the reply that quotes it: not among the join's 50.
        ILocator parent = reader.MessagesWith("the very first message").Filter(new() { HasNotText = "about that first one" });
        await Expect(parent).ToHaveCountAsync(0);

        await reader.MessagesWith("about that first one").GetByRole(AriaRole.Button, new() { Name = "Reply to writer: the very first message" }).ClickAsync();
        await Expect(parent).ToBeFocusedAsync(new() { Timeout = 30_000 });
    }
}
