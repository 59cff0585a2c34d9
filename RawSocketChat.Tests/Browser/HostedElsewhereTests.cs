using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// The page hosted by something other than the chat server (a static host, docs/deploy.md) names its server with
/// <c>?server=</c>. Here one server only serves the page and another one runs the chat.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class HostedElsewhereTests(BrowserFixture fixture)
{
    [SkippableFact]
    public async Task Page_served_elsewhere_connects_to_the_server_named_in_its_address()
    {
        var browser = fixture.RequireBrowser();
        await using TestServer pageHost = await BrowserFixture.StartServerAsync();
        await using TestServer chat = await BrowserFixture.StartServerAsync();
        await using var context = await browser.NewContextAsync();

        string url = $"{pageHost.HttpUri}?server={Uri.EscapeDataString(chat.WebSocketUri("/chat").ToString())}";
        ChatPage page = await ChatPage.OpenAsync(context, url);
        await page.LogInAsGuestAsync("zoe");
        await page.SayAsync("hello from a static host");
        await page.ExpectMessageAsync("hello from a static host");

        Assert.Contains("user=zoe", chat.LogText);
        Assert.DoesNotContain("user=zoe", pageHost.LogText);
    }
}
