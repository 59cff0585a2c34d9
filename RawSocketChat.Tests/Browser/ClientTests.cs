using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// client.html in a real Chromium against the real server on 127.0.0.1: what a person does, checked through the
/// roles and names a screen reader sees.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ClientTests(BrowserFixture fixture)
{
    private const string Unicode = "Grüße 👋🏽 café — 你好，世界 — שלום עולם — مرحبا";

    [SkippableFact]
    public async Task Two_users_chat_in_both_directions_with_unicode_and_long_messages()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using TwoPages pages = await TwoPages.OpenAsync(browser, server);
        (ChatPage alice, ChatPage bob) = pages;

        await alice.LogInAsGuestAsync("alice");      // a guest: no password
        await bob.RegisterAsync("bob");              // a registered user

        // Both are in the lobby and see each other in the members list, online.
        await Expect(alice.Members.GetByLabel(new Regex("^bob, online"))).ToBeVisibleAsync();
        await Expect(bob.Members.GetByLabel(new Regex("^alice, guest, online"))).ToBeVisibleAsync();

        // alice → bob, with emoji, accents, CJK and right-to-left text.
        await alice.SayAsync(Unicode);
        await bob.ExpectMessageAsync(Unicode);
        await alice.ExpectMessageAsync(Unicode);
        ILocator received = bob.MessagesWith(Unicode);
        await Expect(received.Locator("p")).ToHaveTextAsync(Unicode);
        await Expect(received).ToContainTextAsync("alice");
        await Expect(received.Locator("time")).ToHaveAttributeAsync("datetime", new Regex(@"^\d{4}-\d\d-\d\dT"));
        await Expect(alice.MessagesWith(Unicode)).ToHaveClassAsync(new Regex(@"\bown\b"));
        await Expect(received).Not.ToHaveClassAsync(new Regex(@"\bown\b"));

        // bob → alice: a message of exactly the 2,000-character limit, typed with Shift+Enter for new lines.
        string longText = "LONG:" + string.Concat(Enumerable.Range(0, 1995).Select(i => (char)('a' + i % 26)));
        Assert.Equal(2000, longText.Length);
        await bob.MessageField.FillAsync(longText);
        await Expect(bob.Page.Locator("#counter")).ToHaveTextAsync(new Regex("2,?000 / 2,?000"));
        await bob.SendButton.ClickAsync();
        await alice.ExpectMessageAsync("LONG:");
        await Expect(alice.MessagesWith("LONG:").Locator("p")).ToHaveTextAsync(longText);

        await bob.MessageField.FillAsync("first line");
        await bob.MessageField.PressAsync("Shift+Enter");
        await bob.MessageField.PressSequentiallyAsync("second line");
        await Expect(bob.MessageField).ToHaveValueAsync("first line\nsecond line");
        await bob.MessageField.PressAsync("Enter");
        await alice.ExpectMessageAsync("second line");
        Assert.Equal("first line\nsecond line", await alice.MessagesWith("second line").Locator("p").TextContentAsync());

        // Typing indicator.
        await alice.MessageField.PressSequentiallyAsync("hm");
        await Expect(bob.Page.Locator("#typing")).ToHaveTextAsync("alice is typing…");
        await alice.MessageField.FillAsync("");

        // Over the limit: Send is disabled and a status says, in words, why and by how much; Enter sends nothing and
        // the text stays in the field to be shortened.
        await bob.MessageField.FillAsync(longText + new string('!', 100));
        await Expect(bob.SendButton).ToBeDisabledAsync();
        ILocator tooLong = bob.Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Too long to send" });
        await Expect(tooLong).ToHaveTextAsync(new Regex("the limit is 2,?000 characters\\. Remove 100 to send it\\."));
        await Expect(bob.MessageField).ToHaveAttributeAsync("aria-invalid", "true");
        await bob.MessageField.PressAsync("Enter");
        await Expect(bob.MessageField).ToHaveValueAsync(longText + new string('!', 100));
        await bob.MessageField.FillAsync(longText);
        await Expect(tooLong).ToBeHiddenAsync();
        await Expect(bob.SendButton).ToBeEnabledAsync();
        await bob.MessageField.FillAsync("");

        // A registered user creates a room and joins it; it shows in the list as the current room.
        await bob.Page.GetByRole(AriaRole.Button, new() { Name = "Create room" }).ClickAsync();
        await bob.Page.GetByRole(AriaRole.Textbox, new() { Name = "New room name" }).FillAsync("dev");
        await bob.Page.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        await bob.ExpectInRoomAsync("dev");
        await bob.SayAsync("dev room message");
        await bob.ExpectMessageAsync("dev room message");
        // Guests cannot create rooms: the button says so.
        await Expect(alice.Page.GetByRole(AriaRole.Button, new() { Name = "Create room" })).ToBeDisabledAsync();

        // A message in a room you are not looking at counts as unread.
        await alice.SayAsync("are you there?");
        await Expect(bob.Room("lobby")).ToHaveAccessibleDescriptionAsync(new Regex("^1 unread"));
        await bob.Room("lobby").ClickAsync();
        await bob.ExpectMessageAsync("are you there?");
        await Expect(bob.Room("lobby")).Not.ToHaveAccessibleDescriptionAsync(new Regex("unread"));

        // Leaving a room moves it to the rooms one may join; a click joins it again, with its history.
        await bob.Room("dev").ClickAsync();
        await bob.ExpectInRoomAsync("dev");
        await bob.Page.GetByRole(AriaRole.Button, new() { Name = "Leave room" }).ClickAsync();
        await Expect(bob.Room("dev")).ToHaveAccessibleDescriptionAsync(new Regex("^Not joined"));
        await Expect(bob.Room("lobby")).ToHaveAttributeAsync("aria-current", "true");
        await bob.Room("dev").ClickAsync();
        await bob.ExpectInRoomAsync("dev");
        await bob.ExpectMessageAsync("dev room message");
    }

    [SkippableFact]
    public async Task Message_content_is_shown_as_text_never_as_html()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using IBrowserContext context = await browser.NewContextAsync();
        await using IBrowserContext otherContext = await browser.NewContextAsync();
        ChatPage mallory = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
        ChatPage victim = await ChatPage.OpenAsync(otherContext, server.HttpUri.ToString());
        int dialogs = 0;
        foreach (ChatPage p in new[] { mallory, victim })
            p.Page.Dialog += async (_, dialog) => { Interlocked.Increment(ref dialogs); await dialog.DismissAsync(); };

        await mallory.LogInAsGuestAsync("mallory");
        await victim.LogInAsGuestAsync("victim");
        const string img = "<img src=x onerror=alert(1)>";
        const string script = "<script>alert(2)</script><b>bold</b> https://example.com/?a=<i>";
        await mallory.SayAsync(img);
        await mallory.SayAsync(script);
        await victim.ExpectMessageAsync(img);
        await victim.ExpectMessageAsync("<script>");

        Assert.Equal(img, await victim.MessagesWith(img).Locator("p").TextContentAsync());
        Assert.Equal(script, await victim.MessagesWith("<script>").Locator("p").TextContentAsync());
        foreach (ChatPage p in new[] { mallory, victim })
            await ExpectOnlyTheBareUrlLinkedAsync(p);
        // After a reload the same text comes from history, and is still just text.
        await victim.Page.ReloadAsync();
        await victim.ExpectMessageAsync(img);
        await ExpectOnlyTheBareUrlLinkedAsync(victim);
        Assert.Equal(0, dialogs);

        // The only element the text makes is the link the client builds itself for the bare URL, which stops at "<".
        static async Task ExpectOnlyTheBareUrlLinkedAsync(ChatPage page)
        {
            await Expect(page.Log.Locator("img, script, b, i")).ToHaveCountAsync(0);
            ILocator link = page.Log.Locator("a");
            await Expect(link).ToHaveCountAsync(1);
            await Expect(link).ToHaveAttributeAsync("href", "https://example.com/?a=");
            await Expect(link).ToHaveAttributeAsync("rel", "noopener noreferrer");
        }
    }

    [SkippableFact]
    public async Task Scrolling_to_the_top_loads_older_history()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync(o => { o.Rate = 1000; o.Burst = 1000; });
        await using (ChatClient seeder = await ChatClient.GuestAsync(server, "seeder"))
        {
            await seeder.JoinAsync("lobby");
            for (int i = 1; i <= 130; i++)
                await seeder.SendJsonAsync(new { type = "send", room = "lobby", text = $"history message #{i:000}", @ref = $"h{i}" });
            await seeder.ReceiveAsync(m => ChatClient.Type(m) == "ack" && ChatClient.Ref(m) == "h130");
        }

        await using IBrowserContext context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1024, Height = 700 } });
        ChatPage reader = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
        await reader.LogInAsGuestAsync("reader");

        // The join brings the latest 50, and the view starts at the bottom.
        await reader.ExpectMessageAsync("history message #130");
        await Expect(reader.MessagesWith("history message #130")).ToBeInViewportAsync();
        await Expect(reader.Messages).ToHaveCountAsync(50);
        await Expect(reader.MessagesWith("history message #001")).ToHaveCountAsync(0);

        // Scroll up until the first message arrives: each time at the top, one more page is loaded.
        for (int i = 0; i < 10 && await reader.MessagesWith("history message #001").CountAsync() == 0; i++)
        {
            int before = await reader.Messages.CountAsync();
            await reader.Log.EvaluateAsync("log => log.scrollTop = 0");
            await Expect(reader.Messages).Not.ToHaveCountAsync(before);
        }
        await Expect(reader.MessagesWith("history message #001")).ToHaveCountAsync(1);
        await Expect(reader.Messages).ToHaveCountAsync(130);
        await Expect(reader.Log).ToContainTextAsync("This is the start of the conversation.");

        // While scrolled up, a new message does not move the view: a pill says it arrived.
        await reader.Log.EvaluateAsync("log => log.scrollTop = 0");
        await using (ChatClient late = await ChatClient.GuestAsync(server, "late"))
        {
            await late.JoinAsync("lobby");
            await late.SayAsync("lobby", "a new one while you read");
        }
        await Expect(reader.Page.GetByRole(AriaRole.Button, new() { Name = "1 new message" })).ToBeVisibleAsync();
        await Expect(reader.MessagesWith("a new one while you read")).Not.ToBeInViewportAsync();
        await reader.Page.GetByRole(AriaRole.Button, new() { Name = "1 new message" }).ClickAsync();
        await Expect(reader.MessagesWith("a new one while you read")).ToBeInViewportAsync();
    }

    [SkippableFact]
    public async Task Reload_resumes_the_session_and_log_out_ends_it()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using IBrowserContext context = await browser.NewContextAsync();
        await using IBrowserContext guestContext = await browser.NewContextAsync();
        ChatPage carol = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
        ChatPage guest = await ChatPage.OpenAsync(guestContext, server.HttpUri.ToString());
        await carol.RegisterAsync("carol");
        await guest.LogInAsGuestAsync("gina");
        await carol.SayAsync("before the reload");

        // Registered: the token in localStorage resumes the session — no log-in form.
        await carol.Page.ReloadAsync();
        await carol.ExpectInRoomAsync("lobby");
        await Expect(carol.Name).ToHaveCountAsync(0);
        await Expect(carol.Page.Locator("#me-name")).ToHaveTextAsync("carol");
        await carol.ExpectMessageAsync("before the reload");
        await carol.SayAsync("after the reload");
        await guest.ExpectMessageAsync("after the reload");

        // A guest comes back with the same name.
        await guest.Page.ReloadAsync();
        await guest.ExpectInRoomAsync("lobby");
        await Expect(guest.Page.Locator("#me-name")).ToHaveTextAsync("gina");
        await guest.SayAsync("gina is back");
        await carol.ExpectMessageAsync("gina is back");

        // Log out asks first (Cancel keeps the session), and its icon is not the one of Leave room.
        ILocator logOut = carol.Page.Locator("#logout-btn");
        await Expect(logOut).ToHaveAccessibleNameAsync("Log out");
        string logOutIcon = await logOut.Locator("path").GetAttributeAsync("d") ?? "";
        string leaveIcon = await carol.Page.GetByRole(AriaRole.Button, new() { Name = "Leave room" }).Locator("path").GetAttributeAsync("d") ?? "";
        Assert.NotEqual(leaveIcon, logOutIcon);
        await logOut.ClickAsync();
        ILocator confirm = carol.Page.GetByRole(AriaRole.Dialog, new() { Name = "Log out?" });
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(confirm).Not.ToBeVisibleAsync();
        await Expect(carol.MessageField).ToBeVisibleAsync();
        // Log out: back to the form, and a reload does not log in again.
        await logOut.ClickAsync();
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(carol.Name).ToBeVisibleAsync();
        await carol.Page.ReloadAsync();
        await Expect(carol.Name).ToBeVisibleAsync();
        await Expect(carol.MessageField).Not.ToBeVisibleAsync();

        // A wrong password is explained in plain words.
        await carol.Name.FillAsync("carol");
        await carol.Password.FillAsync("not the password");
        await carol.LogInButton.ClickAsync();
        await Expect(carol.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong name or password.");
        await carol.Password.FillAsync("correct horse battery");
        await carol.LogInButton.ClickAsync();
        await carol.ExpectInRoomAsync("lobby");
    }

    [SkippableFact]
    public async Task A_server_restart_is_survived_and_pending_messages_are_delivered_once()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using TwoPages pages = await TwoPages.OpenAsync(browser, server);
        (ChatPage alice, ChatPage bob) = pages;
        await alice.LogInAsGuestAsync("alice");
        await bob.RegisterAsync("bob");
        await alice.SayAsync("before the restart");
        await bob.ExpectMessageAsync("before the restart");

        await server.StopAsync();
        await Expect(alice.Connection).ToHaveTextAsync(ChatPage.Reconnecting);
        await Expect(bob.Connection).ToHaveTextAsync(ChatPage.Reconnecting);

        // Written while the server is down: shown as pending.
        const string offline = "written while the server was down 🚀";
        await alice.SayAsync(offline);
        await Expect(alice.MessagesWith(offline)).ToHaveAttributeAsync("data-state", "pending");
        await Expect(alice.MessagesWith(offline)).ToContainTextAsync("Waiting for connection");

        await server.StartAgainAsync();
        await alice.ExpectConnectedAsync(45_000);
        await bob.ExpectConnectedAsync(45_000);
        await alice.ExpectMessageAsync(offline);
        await bob.ExpectMessageAsync(offline);

        // Everything still works, and the message was delivered exactly once.
        await bob.SayAsync("after the restart");
        await alice.ExpectMessageAsync("after the restart");
        await alice.SayAsync("and back");
        await bob.ExpectMessageAsync("and back");
        await Expect(bob.MessagesWith(offline)).ToHaveCountAsync(1);
        await Expect(alice.MessagesWith(offline)).ToHaveCountAsync(1);
        await Expect(bob.MessagesWith("before the restart")).ToHaveCountAsync(1);
    }

    [SkippableFact]
    public async Task A_message_whose_ack_was_lost_is_retried_with_the_same_ref_and_stored_once()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using IBrowserContext aliceContext = await browser.NewContextAsync();
        await using IBrowserContext bobContext = await browser.NewContextAsync();

        // Between alice's page and the server: the first ack for "lost ack" is swallowed and the connection cut, as if
        // the network failed right after the server stored the message.
        const string text = "lost ack, sent again";
        var sends = new List<string>();
        int dropped = 0;
        await aliceContext.RouteWebSocketAsync(new Regex("/chat$"), ws =>
        {
            IWebSocketRoute toServer = ws.ConnectToServer();
            ws.OnMessage(frame =>
            {
                if (frame.Text is { } t && t.Contains(text, StringComparison.Ordinal))
                    lock (sends) sends.Add(t);
                toServer.Send(frame.Text!);
            });
            toServer.OnMessage(frame =>
            {
                if (frame.Text is { } t && t.Contains("\"type\":\"ack\"", StringComparison.Ordinal)
                    && SentRefs(sends).Any(r => t.Contains(r, StringComparison.Ordinal))
                    && Interlocked.CompareExchange(ref dropped, 1, 0) == 0)
                {
                    _ = ws.CloseAsync(new() { Code = 1011, Reason = "test: network failure" });
                    return;
                }
                if (frame.Text is { } text2) ws.Send(text2);
            });
        });

        ChatPage alice = await ChatPage.OpenAsync(aliceContext, server.HttpUri.ToString());
        ChatPage bob = await ChatPage.OpenAsync(bobContext, server.HttpUri.ToString());
        await alice.RegisterAsync("alice");
        await bob.LogInAsGuestAsync("bob");

        await alice.SayAsync(text);
        await bob.ExpectMessageAsync(text);
        await alice.ExpectMessageAsync(text);
        await alice.ExpectConnectedAsync(30_000);
        await alice.SayAsync("next one");
        await bob.ExpectMessageAsync("next one");

        // The page sent it twice, with the same ref; the server stored and broadcast it once.
        string[] refs = SentRefs(sends).ToArray();
        Assert.Equal(2, refs.Length);
        Assert.Equal(refs[0], refs[1]);
        Assert.Equal(1, dropped);
        await Expect(bob.MessagesWith(text)).ToHaveCountAsync(1);
        await Expect(alice.MessagesWith(text)).ToHaveCountAsync(1);
        await Expect(alice.Log.Locator("[data-state=pending]")).ToHaveCountAsync(0);
    }

    private static IEnumerable<string> SentRefs(List<string> sends)
    {
        lock (sends)
            return sends.Select(s => Regex.Match(s, "\"ref\":\"([^\"]+)\"").Groups[1].Value).Where(r => r.Length > 0).ToList();
    }

    [SkippableFact]
    public async Task Binary_frames_are_decoded_as_utf8()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using IBrowserContext context = await browser.NewContextAsync();
        await using IBrowserContext otherContext = await browser.NewContextAsync();
        // Every server message reaches this page as a binary frame of UTF-8 bytes instead of a text frame.
        await context.RouteWebSocketAsync(new Regex("/chat$"), ws =>
        {
            IWebSocketRoute toServer = ws.ConnectToServer();
            ws.OnMessage(frame => toServer.Send(frame.Text!));
            toServer.OnMessage(frame => ws.Send(frame.Binary ?? Encoding.UTF8.GetBytes(frame.Text!)));
        });
        ChatPage binary = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
        ChatPage text = await ChatPage.OpenAsync(otherContext, server.HttpUri.ToString());
        await binary.LogInAsGuestAsync("binary");
        await text.LogInAsGuestAsync("text");

        await text.SayAsync(Unicode);
        await binary.ExpectMessageAsync(Unicode);
        await Expect(binary.MessagesWith(Unicode).Locator("p")).ToHaveTextAsync(Unicode);
        await binary.SayAsync("from the binary side: ✓ ñ 日本");
        await text.ExpectMessageAsync("from the binary side: ✓ ñ 日本");
        await Expect(binary.Log).Not.ToContainTextAsync("[object");
    }

    [SkippableFact]
    public async Task Opened_from_disk_it_connects_through_the_server_field()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using IBrowserContext context = await browser.NewContextAsync();
        ChatPage page = await ChatPage.OpenAsync(context, new Uri(BrowserFixture.ClientHtml).AbsoluteUri);

        await Expect(page.Server).ToHaveValueAsync("ws://localhost:8080/chat");
        await Expect(page.Connection).ToHaveTextAsync("Not connected");
        await page.Server.FillAsync(server.WebSocketUri("/chat").ToString());
        await page.LogInAsGuestAsync("diskuser");
        await page.SayAsync("hello from file://");
        await page.ExpectMessageAsync("hello from file://");

        // A reload keeps the server address and the session. The page wrote both at log-in; Chromium hands a page's
        // localStorage writes to the browser process asynchronously, and under load a reload of a file:// page came
        // back with none of them (twice: once with a 500 ms pause first). So the reload waits until another page of
        // the same origin (every file:// page shares one) sees them: then the browser process has them, not only
        // this renderer.
        await page.Page.WaitForFunctionAsync("() => localStorage.getItem('rawsocketchat.session') && localStorage.getItem('rawsocketchat.server')");
        string probeFile = Path.Combine(Path.GetTempPath(), $"rawsocketchat-probe-{Guid.NewGuid():N}.html");
        await File.WriteAllTextAsync(probeFile, "<!doctype html><title>probe</title>");
        try
        {
            IPage probe = await context.NewPageAsync();
            await probe.GotoAsync(new Uri(probeFile).AbsoluteUri);
            await probe.WaitForFunctionAsync("() => localStorage.getItem('rawsocketchat.session') && localStorage.getItem('rawsocketchat.server')",
                null, new() { Timeout = 15_000, PollingInterval = 100 });
            await probe.CloseAsync();
        }
        finally
        {
            File.Delete(probeFile);
        }
        await page.Page.ReloadAsync();
        await page.ExpectInRoomAsync("lobby");
        await page.ExpectMessageAsync("hello from file://");
    }

    [SkippableFact]
    public async Task Served_page_has_no_server_field_and_reports_unreachable_servers()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using IBrowserContext context = await browser.NewContextAsync();
        ChatPage page = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
        await Expect(page.Name).ToBeVisibleAsync();
        await Expect(page.Server).ToHaveCountAsync(0);
        await Expect(page.Connection).ToHaveTextAsync("Connected");
        await Expect(page.Page).ToHaveTitleAsync("RawSocketChat");

        // Names are checked before anything is sent.
        await page.Name.FillAsync("x");
        await page.LogInButton.ClickAsync();
        await Expect(page.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Names have 2 to 24 letters, digits, _ or -.");
        await page.Name.FillAsync("shorty");
        await page.Password.FillAsync("short");
        await page.RegisterButton.ClickAsync();
        await Expect(page.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Passwords need at least 8 characters.");

        // From disk, with nothing listening at the address: a plain explanation.
        await using IBrowserContext diskContext = await browser.NewContextAsync();
        ChatPage disk = await ChatPage.OpenAsync(diskContext, new Uri(BrowserFixture.ClientHtml).AbsoluteUri);
        await disk.Server.FillAsync("ws://127.0.0.1:9/chat");
        await disk.Name.FillAsync("nobody");
        await disk.LogInButton.ClickAsync();
        await Expect(disk.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Could not connect to ws://127.0.0.1:9/chat");
    }
}
