using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// client.html as a user sees it. Everything is found by role and accessible name — the names the issue specifies —
/// so these tests also check that the page is usable with a screen reader's view of it.
/// </summary>
public sealed class ChatPage(IPage page)
{
    public IPage Page { get; } = page;

    public ILocator Server => Page.GetByRole(AriaRole.Textbox, new() { Name = "Server", Exact = true });
    public ILocator Name => Page.GetByRole(AriaRole.Textbox, new() { Name = "Name", Exact = true });
    public ILocator Password => Page.GetByLabel("Password", new() { Exact = true });
    public ILocator LogInButton => Page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true });
    public ILocator RegisterButton => Page.GetByRole(AriaRole.Button, new() { Name = "Register", Exact = true });
    public ILocator Rooms => Page.GetByRole(AriaRole.List, new() { Name = "Rooms", Exact = true });
    public ILocator Log => Page.GetByRole(AriaRole.Log, new() { Name = "Messages", Exact = true });
    public ILocator Members => Page.GetByRole(AriaRole.List, new() { Name = "Members", Exact = true });
    public ILocator MessageField => Page.GetByRole(AriaRole.Textbox, new() { Name = "Message", Exact = true });
    public ILocator SendButton => Page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true });
    public ILocator Connection => Page.GetByRole(AriaRole.Status, new() { Name = "Connection", Exact = true });
    public ILocator Messages => Log.GetByRole(AriaRole.Article);

    public ILocator Room(string name) => Rooms.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    /// <summary>The articles whose text contains <paramref name="text"/>.</summary>
    public ILocator MessagesWith(string text) => Messages.Filter(new() { HasText = text });

    public static async Task<ChatPage> OpenAsync(IBrowserContext context, string url)
    {
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(url);
        return new ChatPage(page);
    }

    public async Task LogInAsGuestAsync(string name)
    {
        await Name.FillAsync(name);
        await LogInButton.ClickAsync();
        await ExpectInRoomAsync("lobby");
    }

    public async Task RegisterAsync(string name, string password = "correct horse battery")
    {
        await Name.FillAsync(name);
        await Password.FillAsync(password);
        await RegisterButton.ClickAsync();
        await ExpectInRoomAsync("lobby");
    }

    /// <summary>Waits until the room is open and joined (its history shown, the connection up).</summary>
    public async Task ExpectInRoomAsync(string room)
    {
        await Expect(MessageField).ToBeVisibleAsync();
        await Expect(Connection).ToHaveTextAsync("Connected");
        await Expect(Room(room)).ToHaveAttributeAsync("aria-current", "true");
        await Expect(Page.Locator("#room-sub")).ToContainTextAsync("online");
    }

    /// <summary>Types into the composer and presses Enter.</summary>
    public async Task SayAsync(string text)
    {
        await MessageField.FillAsync(text);
        await MessageField.PressAsync("Enter");
        await Expect(MessageField).ToHaveValueAsync("");
    }

    /// <summary>Waits for exactly one confirmed article with this text.</summary>
    public async Task ExpectMessageAsync(string text)
    {
        ILocator found = MessagesWith(text);
        await Expect(found).ToHaveCountAsync(1);
        await Expect(found).ToHaveAttributeAsync("data-state", "confirmed");
    }

    public Task ExpectConnectedAsync(float timeoutMs = 15_000) =>
        Expect(Connection).ToHaveTextAsync("Connected", new() { Timeout = timeoutMs });

    public static readonly Regex Reconnecting = new("^(Reconnecting|Connecting)");
}

/// <summary>
/// Two people on one server, each in a browser context of their own — to the page, two browsers: their own storage,
/// their own connection. Disposing closes both contexts.
/// </summary>
public sealed class TwoPages : IAsyncDisposable
{
    private readonly IBrowserContext _first, _second;

    private TwoPages(IBrowserContext first, IBrowserContext second, ChatPage firstPage, ChatPage secondPage)
    {
        (_first, _second) = (first, second);
        (First, Second) = (firstPage, secondPage);
    }

    public ChatPage First { get; }
    public ChatPage Second { get; }

    public static async Task<TwoPages> OpenAsync(IBrowser browser, TestServer server)
    {
        IBrowserContext first = await browser.NewContextAsync(), second = await browser.NewContextAsync();
        return new TwoPages(first, second, await ChatPage.OpenAsync(first, server.HttpUri.ToString()), await ChatPage.OpenAsync(second, server.HttpUri.ToString()));
    }

    public void Deconstruct(out ChatPage first, out ChatPage second) => (first, second) = (First, Second);

    public async ValueTask DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }
}
