using Microsoft.Playwright;
using RawSocketChat.Hosting;
using RawSocketChat.Tests.Durability;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// The client's outbox at the server's default limits (5 messages a second, bursts of 10; 20 a second per address):
/// a person's own messages are stored once each and in the order they were typed, whether typed faster than the
/// limit allows or queued during an outage and resent after it — and resending a long queue never earns the flood
/// close. The order is read back by another user, through the protocol.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class OutboxTests(BrowserFixture fixture)
{
    /// <summary>The browser fixture lifts the rate limits for the other tests; these put the defaults back.</summary>
    private static Task<TestServer> StartAtDefaultLimitsAsync() => BrowserFixture.StartServerAsync(o =>
    {
        var defaults = new ServerOptions();
        (o.Rate, o.Burst, o.IpRate, o.IpBurst, o.FloodWindow) = (defaults.Rate, defaults.Burst, defaults.IpRate, defaults.IpBurst, defaults.FloodWindow);
    });

    private static async Task<List<string>> StoredTextsAsync(TestServer server) =>
        (await History.ReadAllAsync(server.WebSocketUri("/chat"), "reader")).Select(m => m.Text).ToList();

    private static async Task TypeAsync(ChatPage page, IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            await page.MessageField.FillAsync(line);
            await page.MessageField.PressAsync("Enter");
        }
    }

    [SkippableFact]
    public async Task Lines_typed_faster_than_the_rate_limit_are_stored_once_each_in_typed_order()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await StartAtDefaultLimitsAsync();
        await using IBrowserContext context = await browser.NewContextAsync();
        ChatPage alice = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
        await alice.LogInAsGuestAsync("alice");

        string[] lines = Enumerable.Range(1, 15).Select(i => $"line {i} of 15").ToArray();
        await TypeAsync(alice, lines);
        // Past the burst the client paces itself (or is told to wait), and says so; nothing is lost.
        await Expect(alice.MessagesWith("line 15 of 15")).ToHaveAttributeAsync("data-state", "confirmed", new() { Timeout = 30_000 });
        foreach (string line in lines)
            await Expect(alice.MessagesWith(line)).ToHaveCountAsync(1, new() { Timeout = 30_000 });

        List<string> stored = await StoredTextsAsync(server);
        Assert.Equal(lines, stored.Where(t => t.StartsWith("line ", StringComparison.Ordinal)));
        Assert.DoesNotContain("code=1008", server.LogText);
    }

    [SkippableTheory]
    [InlineData(15)]
    [InlineData(200)] // 38 s of sending at 5/s: once at the limits, and well past the flood threshold if sent at once
    public async Task A_queue_written_during_an_outage_is_resent_in_order_within_the_limits(int count)
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await StartAtDefaultLimitsAsync();
        await using IBrowserContext context = await browser.NewContextAsync();
        ChatPage alice = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
        await alice.LogInAsGuestAsync("alice");
        await alice.SayAsync("before the outage");
        await alice.ExpectMessageAsync("before the outage");

        await server.StopAsync();
        await Expect(alice.Connection).ToHaveTextAsync(ChatPage.Reconnecting);
        string[] lines = Enumerable.Range(1, count).Select(i => $"queued {i} of {count}").ToArray();
        if (count == 15)
        {
            // A line typed while the next attempt is seconds away shows at once as pending — not at the next
            // reconnect attempt, whose re-render used to be the first to show it (20 s and more, later in the backoff).
            await Expect(alice.Connection).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Reconnecting in ([4-9]|[1-3]\d) s$"),
                new() { Timeout = 90_000 });
            await TypeAsync(alice, lines[..1]);
            await Expect(alice.MessagesWith(lines[0])).ToHaveAttributeAsync("data-state", "pending", new() { Timeout = 2_500 });
            lines = lines[1..];
        }
        await TypeAsync(alice, lines);
        await Expect(alice.MessagesWith($"queued {count} of {count}")).ToHaveAttributeAsync("data-state", "pending");

        await server.StartAgainAsync();
        await alice.ExpectConnectedAsync(45_000);
        float sending = 30_000 + count * 400; // 5 a second, with room for a slow machine
        await Expect(alice.MessagesWith($"queued {count} of {count}")).ToHaveAttributeAsync("data-state", "confirmed", new() { Timeout = sending });

        List<string> stored = await StoredTextsAsync(server);
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"queued {i} of {count}"), stored.Where(t => t.StartsWith("queued ", StringComparison.Ordinal)));
        Assert.DoesNotContain("code=1008", server.LogText);
        await Expect(alice.Connection).ToHaveTextAsync("Connected");
    }
}
