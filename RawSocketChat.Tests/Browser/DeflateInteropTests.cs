using System.Text.Json;
using Microsoft.Playwright;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// Chromium offers permessage-deflate on every WebSocket (RFC 7692), so the browser is the one client every user has
/// that compresses. These tests use the browser's own WebSocket API against /echo, from a page the server serves.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DeflateInteropTests(BrowserFixture fixture)
{
    // Sends each message in turn and resolves with what came back and the extensions the handshake agreed on.
    private const string EchoScript = """
        async ([url, messages]) => {
          const ws = new WebSocket(url);
          ws.binaryType = "arraybuffer";
          await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error("error")); });
          const echoes = [];
          for (const m of messages) {
            const reply = new Promise(resolve => { ws.onmessage = e => resolve(e.data); });
            ws.send(m);
            echoes.push(await reply);
          }
          const extensions = ws.extensions;
          ws.close(1000);
          return { extensions, echoes };
        }
        """;

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Chromium_negotiates_permessage_deflate_and_round_trips_compressed_messages(bool contextTakeover)
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync(o => o.DeflateContextTakeover = contextTakeover);
        await using IBrowserContext context = await browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(server.HttpUri.ToString());

        // Small (below --deflate-threshold, sent uncompressed), repetitive (compresses well), a 64 KiB text, and
        // non-ASCII text: all must come back intact, whichever way each one travelled.
        string[] messages = ["hi", string.Concat(Enumerable.Repeat("{\"type\":\"message\",\"text\":\"hello\"}", 50)),
            new string('x', 64 * 1024), "héllo wörld — 你好 — 👋🏽 — שלום"];
        JsonElement result = await page.EvaluateAsync<JsonElement>(EchoScript, new object[] { server.WebSocketUri("/echo").ToString(), messages });

        string extensions = result.GetProperty("extensions").GetString()!;
        Assert.StartsWith("permessage-deflate", extensions);
        if (!contextTakeover)
            Assert.Contains("server_no_context_takeover", extensions);
        Assert.Equal(messages, result.GetProperty("echoes").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.DoesNotContain("unexpected error", server.LogText);
    }
}
