using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// Search as people use it in the page: the dialog (button or Ctrl+K), results with the matched words marked,
/// older pages, a refused query explained, and "Show" taking the reader to a message far back in the room's history.
/// The search budget is the server's default.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SearchTests(BrowserFixture fixture)
{
    [SkippableFact]
    public async Task A_search_marks_the_matches_pages_back_and_shows_a_result_in_its_room()
    {
        IBrowser browser = fixture.RequireBrowser();
        // The writer fills the history faster than a person may write: the message limits are lifted, search's are not.
        await using TestServer server = await BrowserFixture.StartServerAsync(o => { o.Rate = 1000; o.Burst = 1000; o.IpRate = 1000; o.IpBurst = 1000; });
        (ChatClient writer, _) = await ChatClient.RegisterAsync(server, "writer");
        await using (writer)
        {
            await writer.JoinAsync("lobby");
            await writer.SayAsync("lobby", "Deploy the **café** menu at noon");
            for (int i = 0; i < 60; i++)
                await writer.SayAsync("lobby", $"filler {i}");
            // A private room alice is not in: what it says is not hers to find.
            await writer.SendJsonAsync(new { type = "create", room = "hidden", @private = true, @ref = "c" });
            await writer.ReceiveAsync(m => ChatClient.Ref(m) == "c");
            await writer.JoinAsync("hidden");
            await writer.SayAsync("hidden", "secret café plans");

            await using IBrowserContext context = await browser.NewContextAsync();
            ChatPage alice = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
            await alice.RegisterAsync("alice");
            await alice.ExpectMessageAsync("filler 59");

            await alice.Page.GetByRole(AriaRole.Button, new() { Name = "Search messages", Exact = true }).ClickAsync();
            ILocator dialog = alice.Page.GetByRole(AriaRole.Dialog, new() { Name = "Search messages" });
            ILocator box = dialog.GetByRole(AriaRole.Searchbox, new() { Name = "Search for" });
            await Expect(box).ToBeFocusedAsync();
            await box.FillAsync("CAFE");
            await box.PressAsync("Enter");
            ILocator hits = dialog.GetByRole(AriaRole.List, new() { Name = "Search results" }).GetByRole(AriaRole.Listitem);
            await Expect(hits).ToHaveCountAsync(1);
            await Expect(hits).ToContainTextAsync("Deploy the café menu at noon");
            await Expect(hits.Locator("mark")).ToHaveTextAsync("café"); // marked inside the bold, as the server folded it
            await Expect(dialog.GetByRole(AriaRole.Status)).ToHaveTextAsync("1 message");

            // A prefix too short is explained, not run.
            await box.FillAsync("c*");
            await box.PressAsync("Enter");
            await Expect(dialog.GetByRole(AriaRole.Status)).ToContainTextAsync("too short");

            // Older results come a page at a time.
            await box.FillAsync("filler");
            await box.PressAsync("Enter");
            await Expect(hits).ToHaveCountAsync(20);
            await Expect(hits.First).ToContainTextAsync("filler 59");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Older results" }).ClickAsync();
            await Expect(hits).ToHaveCountAsync(40);
            await Expect(hits.Nth(39)).ToContainTextAsync("filler 20");

            // "Show" takes the reader to the message, loading the history up to it (it is not among the join's 50).
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
            await alice.Page.Keyboard.PressAsync("Control+k");
            await Expect(dialog).ToBeVisibleAsync();
            await box.FillAsync("\"at noon\"");
            await box.PressAsync("Enter");
            await Expect(hits).ToHaveCountAsync(1);
            await hits.GetByRole(AriaRole.Button, new() { Name = "Show writer's message in # lobby" }).ClickAsync();
            await Expect(dialog).ToBeHiddenAsync();
            await Expect(alice.MessagesWith("Deploy the café menu at noon")).ToBeFocusedAsync(new() { Timeout = 30_000 });
        }
    }
}
