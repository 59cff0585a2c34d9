using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// Screenshots of the client with a lively conversation, at desktop size and 375 px wide, in the light and the dark
/// theme. They are saved as test artifacts (<c>TestResults/screenshots</c>, or <c>RAWSOCKETCHAT_SCREENSHOTS</c>);
/// with <c>RAWSOCKETCHAT_UPDATE_DOCS_IMAGES=1</c> they also replace the ones in <c>docs/images/</c> that the README shows.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ScreenshotTests(BrowserFixture fixture)
{
    private const string Password = "correct horse battery";

    public static string ArtifactsDir =>
        Environment.GetEnvironmentVariable("RAWSOCKETCHAT_SCREENSHOTS") is { Length: > 0 } dir
            ? dir
            : Path.Combine(BrowserFixture.RepoRoot, "TestResults", "screenshots");

    private static bool UpdateDocs => Environment.GetEnvironmentVariable("RAWSOCKETCHAT_UPDATE_DOCS_IMAGES") == "1";

    [SkippableFact]
    public async Task Desktop_and_mobile_in_light_and_dark()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync(o =>
        {
            o.Admin = "ada,maya";
            o.TypingInterval = TimeSpan.FromMilliseconds(300); // so each shot can show "bob is typing…" at once
        });
        Directory.CreateDirectory(ArtifactsDir);

        // The cast: three registered users, a guest, and "maya", whose browser we photograph.
        var (ada, _) = await ChatClient.RegisterAsync(server, "ada", Password, "#db2777");
        var (bob, _) = await ChatClient.RegisterAsync(server, "bob", Password, "#0284c7");
        var (carol, _) = await ChatClient.RegisterAsync(server, "carol", Password, "#16a34a");
        ChatClient dan = await ChatClient.GuestAsync(server, "dan");
        await using var _1 = ada; await using var _2 = bob; await using var _3 = carol; await using var _4 = dan;
        foreach (string room in new[] { "design", "dev", "random" })
        {
            await ada.SendJsonAsync(new { type = "create", room });
            await ada.ReceiveAsync("created");
        }
        await SeedYesterdayAsync(server);
        foreach (ChatClient c in new[] { ada, bob, carol, dan })
            await c.JoinAsync("lobby");
        foreach (ChatClient c in new[] { ada, bob })
            await c.JoinAsync("dev");

        await carol.SayAsync("lobby", "Morning all! Did anyone try the new build? 🚀");
        await bob.SayAsync("lobby", "Yes — handshake and framing tests are all green here.");
        await bob.SayAsync("lobby", "And with permessage-deflate a history page went from 38 KB to 6 KB 🤯");
        await ada.SayAsync("lobby", "Nice work. Next up: edits, direct messages and moderation.");
        await carol.SayAsync("lobby", "I'll review the PR after lunch ☕");

        // maya registers in a first browser; the other shots reuse her session through the saved storage.
        string? storage = null;
        await using (IBrowserContext first = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } }))
        {
            ChatPage maya = await ChatPage.OpenAsync(first, server.AdminPageUri); // maya is an admin: the operator's link
            await maya.RegisterAsync("maya");
            await maya.SayAsync("Sounds good! I'm writing the browser tests for the client.");
            await maya.SayAsync("Screenshots at 375 px wide and in dark mode included 📱🌙");
            await dan.SayAsync("lobby", "Greetings from a guest account 👋 שלום!");
            await ada.SayAsync("lobby", "Welcome, dan! Rooms are on the left; click a member for a direct message.");
            // Something for the moderation view: a ban with a reason and an end, a mute.
            foreach (object command in new object[]
                     {
                         new { type = "ban", user = "spammer", seconds = 86400, reason = "links to a scam", @ref = "b1" },
                         new { type = "mute", user = "griefer", seconds = 600, reason = "shouting", @ref = "m1" },
                     })
            {
                await ada.SendJsonAsync(command);
                await ada.ReceiveAsync(m => ChatClient.Ref(m) is "b1" or "m1" && ChatClient.Type(m) == "moderated");
            }
            await maya.ExpectMessageAsync("Welcome, dan!");
            foreach (string room in new[] { "dev", "design" })
            {
                await maya.Room(room).ClickAsync();
                await maya.ExpectInRoomAsync(room);
            }
            await maya.Room("lobby").ClickAsync();
            await maya.ExpectInRoomAsync("lobby");

            // A direct message from carol, read; and one maya sends back.
            await carol.SendJsonAsync(new { type = "dm", to = "maya", text = "Got a minute to pair on the reconnect logic?", @ref = "dm1" });
            await carol.ReceiveAsync(m => ChatClient.Type(m) == "ack" && ChatClient.Ref(m) == "dm1");
            ILocator direct = maya.Page.GetByRole(AriaRole.List, new() { Name = "Direct messages" }).GetByRole(AriaRole.Button, new() { Name = "carol" });
            await direct.ClickAsync();
            await maya.SayAsync("Sure, after stand-up 👍");
            await maya.Room("lobby").ClickAsync();
            await maya.ExpectInRoomAsync("lobby");
            storage = await first.StorageStateAsync();
        }

        int shot = 0;
        foreach (var (name, width, height, scale, scheme) in new[]
                 {
                     ("desktop-light", 1280, 800, 1f, ColorScheme.Light),
                     ("desktop-dark", 1280, 800, 1f, ColorScheme.Dark),
                     ("mobile-light", 375, 760, 2f, ColorScheme.Light),
                     ("mobile-dark", 375, 760, 2f, ColorScheme.Dark),
                 })
        {
            await using IBrowserContext context = await browser.NewContextAsync(new()
            {
                ViewportSize = new() { Width = width, Height = height },
                DeviceScaleFactor = scale,
                ColorScheme = scheme,
                StorageState = storage,
                ReducedMotion = ReducedMotion.Reduce,
            });
            ChatPage maya = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
            await maya.ExpectConnectedAsync();
            await maya.ExpectMessageAsync("Welcome, dan!");
            await Expect(maya.Page.Locator("#room-sub")).ToContainTextAsync("online");

            // Unread messages elsewhere, and someone typing here.
            shot++;
            await bob.SayAsync("dev", $"CI run #{140 + shot} is green ✅");
            await ada.SayAsync("dev", "@maya Shipping it.");
            // The title counts what is for maya (mentions and direct messages): the room list may be a closed drawer.
            // (Mentions of earlier shots are still unread on the server, so the number grows from shot to shot.)
            await Expect(maya.Page).ToHaveTitleAsync(new System.Text.RegularExpressions.Regex(@"^\(\d+\) #lobby · RawSocketChat$"));
            await bob.SendJsonAsync(new { type = "typing", room = "lobby" });
            await Expect(maya.Page.Locator("#typing")).ToHaveTextAsync("bob is typing…");
            await maya.MessageField.FillAsync("Let's ship it");
            await maya.Page.Mouse.MoveAsync(0, 0);
            await maya.MessageField.BlurAsync();

            await SaveAsync(maya.Page, name);

            // The admin's views, and the member list where it is a drawer, in every size and theme.
            string size = name.Split('-')[0], theme = name.Split('-')[1];
            bool phone = size == "mobile";
            if (phone)
            {
                await maya.Page.GetByRole(AriaRole.Button, new() { Name = "Show members" }).ClickAsync();
                await Expect(maya.Members).ToBeVisibleAsync();
                await SaveAsync(maya.Page, $"mobile-members-{theme}");
                await maya.Page.GetByRole(AriaRole.Button, new() { Name = "Close members" }).ClickAsync();
            }
            else if (theme == "light")
            {
                await maya.Members.GetByRole(AriaRole.Button, new() { Name = "dan, guest, online" }).ClickAsync();
                await Expect(maya.Page.GetByRole(AriaRole.Dialog, new() { Name = "dan" })).ToBeVisibleAsync();
                await SaveAsync(maya.Page, "member-actions-light", docs: false);
                await maya.Page.Keyboard.PressAsync("Escape");
            }
            foreach ((string button, string dialog, string view) in new[]
                     { ("Server stats", "Server stats", "stats"), ("Moderation", "Moderation", "moderation") })
            {
                if (phone) // the account buttons are in the rooms drawer
                    await maya.Page.GetByRole(AriaRole.Button, new() { Name = "Show rooms" }).ClickAsync();
                await maya.Page.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();
                ILocator open = maya.Page.GetByRole(AriaRole.Dialog, new() { Name = dialog });
                await Expect(open).ToBeVisibleAsync();
                await Expect(open).Not.ToContainTextAsync("Loading…");
                await SaveAsync(maya.Page, $"{size}-{view}-{theme}");
                await maya.Page.Keyboard.PressAsync("Escape");
                await Expect(open).ToBeHiddenAsync();
            }

            // A search, its matches marked.
            await maya.Page.GetByRole(AriaRole.Button, new() { Name = "Search messages", Exact = true }).ClickAsync();
            ILocator search = maya.Page.GetByRole(AriaRole.Dialog, new() { Name = "Search messages" });
            await search.GetByRole(AriaRole.Searchbox, new() { Name = "Search for" }).FillAsync("ship*");
            await search.GetByRole(AriaRole.Searchbox, new() { Name = "Search for" }).PressAsync("Enter");
            await Expect(search.GetByRole(AriaRole.Status)).ToContainTextAsync("message");
            await SaveAsync(maya.Page, $"{size}-search-{theme}");
            await search.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync(); // Escape in a search box clears it first
            await Expect(search).ToBeHiddenAsync();
        }

        // The log-in screen, as a first-time visitor sees it.
        foreach (var (size, width, height, scale) in new[] { ("desktop", 1280, 800, 1f), ("mobile", 375, 760, 2f) })
        {
            foreach (ColorScheme scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
            {
                await using IBrowserContext context = await browser.NewContextAsync(new()
                {
                    ViewportSize = new() { Width = width, Height = height }, DeviceScaleFactor = scale, ColorScheme = scheme,
                });
                ChatPage visitor = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
                await visitor.ExpectConnectedAsync();
                await SaveAsync(visitor.Page, $"login-{size}-{(scheme == ColorScheme.Light ? "light" : "dark")}");
            }
        }
    }

    /// <summary>
    /// A day of older messages in #design, stored directly with past timestamps (the live protocol can only send
    /// "now"), so the stats chart has a day's curve and the room shows a "Yesterday" separator.
    /// </summary>
    private static async Task SeedYesterdayAsync(TestServer server)
    {
        var ids = new RawSocketChat.Storage.MessageIdGenerator();
        var authors = new[] { ("ada", "#db2777"), ("bob", "#0284c7"), ("carol", "#16a34a") };
        DateTime now = DateTime.UtcNow;
        var messages = new List<RawSocketChat.Storage.MessageRecord>();
        for (int hour = 23; hour >= 1; hour--)
        {
            DateTime start = now.AddHours(-hour);
            // Busy in the "afternoon" of this synthetic day, quiet at "night".
            int count = (int)Math.Round(6 + 5 * Math.Sin((23 - hour) / 23.0 * 2 * Math.PI - 1.2) + (hour % 3));
            for (int i = 0; i < count; i++)
            {
                DateTime ts = start.AddMinutes(i * 50.0 / Math.Max(1, count));
                var (user, color) = authors[(hour + i) % authors.Length];
                messages.Add(new(ids.Next(ts), "design", user, color, $"Design notes, part {messages.Count + 1}", ts, Ref: $"seed-{messages.Count}"));
            }
        }
        await server.App.Chat.Store.AppendMessagesAsync(messages);
    }

    private static async Task SaveAsync(IPage page, string name, bool docs = true)
    {
        string file = Path.Combine(ArtifactsDir, name + ".png");
        await page.ScreenshotAsync(new() { Path = file, Animations = ScreenshotAnimations.Disabled, Caret = ScreenshotCaret.Hide });
        if (UpdateDocs && docs)
        {
            string images = Path.Combine(BrowserFixture.RepoRoot, "docs", "images");
            Directory.CreateDirectory(images);
            File.Copy(file, Path.Combine(images, name + ".png"), overwrite: true);
        }
    }
}
