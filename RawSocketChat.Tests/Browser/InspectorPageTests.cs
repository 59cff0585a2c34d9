using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>The frame inspector page in Chromium: a learner's own connection, watched as it happens.</summary>
[Collection(BrowserCollection.Name)]
public sealed class InspectorPageTests(BrowserFixture fixture)
{
    [SkippableFact]
    public async Task A_learner_sees_the_handshake_their_frames_a_pong_and_a_1002_and_nobody_else_sees_them()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync(o => o.Inspector = true);
        await using IBrowserContext context = await browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.HttpUri, "/inspect").ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status, new() { Name = "Status" })).ToHaveTextAsync("Connected to /echo");

        // The accept key, step by step, is the one in the 101 — and the one the RFC's formula gives for this key.
        ILocator steps = page.GetByRole(AriaRole.List, new() { Name = "Sec-WebSocket-Accept, step by step" });
        await Expect(steps).ToContainTextAsync("= the Sec-WebSocket-Accept header ✓");
        string request = await page.GetByLabel("Request").TextContentAsync() ?? "";
        string key = Regex.Match(request, @"Sec-WebSocket-Key: (\S+)").Groups[1].Value;
        string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        await Expect(page.GetByLabel("Response")).ToContainTextAsync($"Sec-WebSocket-Accept: {accept}");

        // A text frame. Chromium offers permessage-deflate, so it goes compressed (RSV1) and masked: the bytes on the
        // wire differ from the bytes unmasked, which are deflate's; the receiver inflates them back to "Hello". The
        // echo is under the server's compression threshold, so it comes back as plain text, unmasked.
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Text to send" }).FillAsync("Hello");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send text" }).ClickAsync();
        ILocator rows = page.GetByRole(AriaRole.Row);
        ILocator sent = rows.Filter(new() { HasText = "1 text" }).Filter(new() { HasText = "→" });
        await Expect(sent).ToHaveCountAsync(1);
        await Expect(sent.GetByRole(AriaRole.Cell).Nth(2)).ToHaveTextAsync("100 (compressed)");
        await Expect(sent.GetByRole(AriaRole.Cell).Nth(4)).ToHaveTextAsync("1");
        string wire = await sent.GetByRole(AriaRole.Cell).Nth(8).TextContentAsync() ?? "";
        await Expect(sent.GetByRole(AriaRole.Cell).Nth(9)).Not.ToHaveTextAsync(wire);
        await Expect(rows.Filter(new() { HasText = "delivered a text message of 5 bytes: “Hello”" })).ToHaveCountAsync(1);
        ILocator echo = rows.Filter(new() { HasText = "1 text" }).Filter(new() { HasText = "←" });
        await Expect(echo.GetByRole(AriaRole.Cell).Nth(8)).ToHaveTextAsync("48 65 6c 6c 6f");
        await Expect(echo.GetByRole(AriaRole.Cell).Nth(10)).ToHaveTextAsync("Hello");

        // 200 bytes (random, so deflate cannot shrink them under 126) take the 16-bit length form both ways.
        await page.GetByRole(AriaRole.Button, new() { Name = "Send 200 random bytes" }).ClickAsync();
        await Expect(rows.Filter(new() { HasText = "delivered a binary message of 200 bytes" })).ToHaveCountAsync(1);
        await Expect(rows.Filter(new() { HasText = "2 binary" }).Filter(new() { HasText = "(16-bit)" })).ToHaveCountAsync(2);

        // A ping (which a browser cannot send) gets its pong.
        await page.GetByRole(AriaRole.Button, new() { Name = "Ping" }).ClickAsync();
        await Expect(rows.Filter(new() { HasText = "9 ping" }).Filter(new() { HasText = "(injected)" })).ToHaveCountAsync(1);
        await Expect(rows.Filter(new() { HasText = "10 pong" })).ToHaveCountAsync(1);

        // A second learner, in another browser, sees only their own connection.
        await using IBrowserContext otherContext = await browser.NewContextAsync();
        IPage other = await otherContext.NewPageAsync();
        await other.GotoAsync(new Uri(server.HttpUri, "/inspect").ToString());
        await other.GetByRole(AriaRole.Button, new() { Name = "Connect" }).ClickAsync();
        await Expect(other.GetByRole(AriaRole.Status, new() { Name = "Status" })).ToHaveTextAsync("Connected to /echo");
        await Expect(other.GetByRole(AriaRole.Row).Filter(new() { HasText = "ping" })).ToHaveCountAsync(0);
        await Expect(other.GetByRole(AriaRole.Row).Filter(new() { HasText = "Hello" })).ToHaveCountAsync(0);

        // A frame with a reserved opcode: the parser fails the connection with 1002, and says why.
        await page.GetByRole(AriaRole.Button, new() { Name = "Reserved opcode" }).ClickAsync();
        await Expect(rows.Filter(new() { HasText = "The server's parser failed the connection: 1002" })).ToHaveCountAsync(1);
        await Expect(rows.Filter(new() { HasText = "8 close" }).Filter(new() { HasText = "code 1002" })).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Status, new() { Name = "Status" })).ToHaveTextAsync(new Regex("^Closed: 1002"));
        await Expect(other.GetByRole(AriaRole.Row).Filter(new() { HasText = "1002" })).ToHaveCountAsync(0);
    }
}
