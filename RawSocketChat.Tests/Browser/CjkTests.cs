using System.Text.Json;
using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// Chinese and Japanese messages are drawn with real glyphs, not as boxes ("tofu"). That depends on the machine having a
/// font for them — on Debian <c>fonts-noto-cjk</c>, which <c>.ci/run</c> installs — since the client loads no web font.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class CjkTests(BrowserFixture fixture)
{
    private const string Chinese = "你好，世界";
    private const string Japanese = "こんにちは";

    /// <summary>
    /// In the page, each character is drawn on a canvas in the font of the message text (its computed font-family, the
    /// client's stack), and so is U+E000, a private-use character no font here has: that one is drawn as the missing-
    /// glyph box. Every CJK character must differ from the box, have ink, and differ from the other CJK characters
    /// (tofu is the same box for all of them).
    /// </summary>
    [SkippableFact]
    public async Task Chinese_and_Japanese_messages_render_with_real_glyphs()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using IBrowserContext context = await browser.NewContextAsync();
        ChatPage reader = await ChatPage.OpenAsync(context, server.HttpUri.ToString());
        await reader.LogInAsGuestAsync("reader");
        ChatClient writer = await ChatClient.GuestAsync(server, "writer");
        await using var _ = writer;
        await writer.JoinAsync("lobby");
        await writer.SayAsync("lobby", Chinese);
        await writer.SayAsync("lobby", Japanese);
        await reader.ExpectMessageAsync(Chinese);
        await reader.ExpectMessageAsync(Japanese);

        foreach (string text in new[] { Chinese, Japanese })
        {
            ILocator paragraph = reader.MessagesWith(text).Locator("p.text");
            await Expect(paragraph).ToHaveTextAsync(text);
            Rendering r = await RenderAsync(paragraph, text);
            Assert.True(r.BoxInk > 0, $"the missing-glyph box for U+E000 drew nothing in {r.Font}");
            var glyphs = r.Glyphs.Zip(text.EnumerateRunes().Select(c => c.ToString())).ToList();
            foreach (var (glyph, ch) in glyphs)
            {
                Assert.True(glyph.Ink > 0, $"'{ch}' drew nothing in {r.Font}");
                Assert.False(glyph.Pixels == r.Box, $"'{ch}' of \"{text}\" is drawn as the missing-glyph box (tofu) in {r.Font}: is a CJK font (fonts-noto-cjk) installed?");
            }
            var distinct = glyphs.GroupBy(g => g.First.Pixels).Where(g => g.Count() > 1).Select(g => string.Concat(g.Select(x => x.Second))).ToList();
            Assert.True(distinct.Count == 0, $"these characters of \"{text}\" are drawn alike in {r.Font}, as missing glyphs are: {string.Join(", ", distinct)}");
        }
    }

    private sealed record Glyph(string Pixels, int Ink);

    private sealed record Rendering(string Font, string Box, int BoxInk, Glyph[] Glyphs);

    /// <summary>Draws each character of <paramref name="text"/>, and U+E000, in the computed font of <paramref name="element"/>.</summary>
    private static async Task<Rendering> RenderAsync(ILocator element, string text)
    {
        JsonElement result = await element.EvaluateAsync<JsonElement>("""
            (el, text) => {
              const style = getComputedStyle(el);
              const font = `${style.fontStyle} ${style.fontWeight} 40px ${style.fontFamily}`;
              const canvas = document.createElement("canvas");
              canvas.width = canvas.height = 56;
              const ctx = canvas.getContext("2d", { willReadFrequently: true });
              const draw = (ch) => {
                ctx.clearRect(0, 0, canvas.width, canvas.height);
                ctx.font = font;
                ctx.textBaseline = "middle";
                ctx.fillStyle = "#000";
                ctx.fillText(ch, 8, 28);
                const alpha = ctx.getImageData(0, 0, canvas.width, canvas.height).data.filter((_, i) => i % 4 === 3);
                return { pixels: Array.from(alpha, (a) => a.toString(16).padStart(2, "0")).join(""), ink: alpha.filter((a) => a > 0).length };
              };
              const box = draw("\uE000");
              return { font: ctx.font, box: box.pixels, boxInk: box.ink, glyphs: Array.from(text, draw) };
            }
            """, text);
        Glyph[] glyphs = result.GetProperty("glyphs").EnumerateArray()
            .Select(g => new Glyph(g.GetProperty("pixels").GetString()!, g.GetProperty("ink").GetInt32())).ToArray();
        return new(result.GetProperty("font").GetString()!, result.GetProperty("box").GetString()!, result.GetProperty("boxInk").GetInt32(), glyphs);
    }
}
