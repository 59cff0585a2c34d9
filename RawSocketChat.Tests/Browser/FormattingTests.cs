using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using RawSocketChat.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RawSocketChat.Tests.Browser;

/// <summary>
/// The client's Markdown subset (client.html, <c>renderRichText</c>): what people type becomes bold, italic, code and
/// links, found by role as a screen reader finds them; and hostile text stays text. Messages are sent by a second,
/// non-browser client, as another person's messages reach a reader.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class FormattingTests(BrowserFixture fixture)
{
    [SkippableFact]
    public async Task Bold_italic_code_and_links_render_as_their_elements()
    {
        await using Chat chat = await Chat.StartAsync(fixture);
        await chat.SayAsync("**ready** and *set* and _go_ with `x<y && z` and [the docs](https://example.org/a?b=1&c=2) or https://example.com/path.");

        ILocator message = chat.Reader.MessagesWith("ready and set");
        await Expect(message.GetByRole(AriaRole.Strong)).ToHaveTextAsync("ready");
        await Expect(message.GetByRole(AriaRole.Emphasis)).ToHaveTextAsync(["set", "go"]);
        await Expect(message.GetByRole(AriaRole.Code)).ToHaveTextAsync("x<y && z");

        ILocator docs = message.GetByRole(AriaRole.Link, new() { Name = "the docs", Exact = true });
        await Expect(docs).ToHaveAttributeAsync("href", "https://example.org/a?b=1&c=2");
        await Expect(docs).ToHaveAttributeAsync("target", "_blank");
        await Expect(docs).ToHaveAttributeAsync("rel", "noopener noreferrer");
        await Expect(docs).ToHaveAttributeAsync("title", "https://example.org/a?b=1&c=2");
        // The sentence's full stop is not part of the address.
        ILocator bare = message.GetByRole(AriaRole.Link, new() { Name = "https://example.com/path", Exact = true });
        await Expect(bare).ToHaveAttributeAsync("href", "https://example.com/path");
        await Expect(bare).ToHaveAttributeAsync("rel", "noopener noreferrer");
        // Only the markers are gone: every word is still there, in order.
        await Expect(message.Locator(".text")).ToHaveTextAsync("ready and set and go with x<y && z and the docs or https://example.com/path.");
    }

    [SkippableFact]
    public async Task A_code_block_keeps_its_text_exactly_and_formats_nothing_inside()
    {
        await using Chat chat = await Chat.StartAsync(fixture);
        await chat.SayAsync("look:\n```\nif (a **and** b) {\n  <b>x</b> // https://example.com\n}\n```\nafter *that*");

        ILocator message = chat.Reader.MessagesWith("look:");
        ILocator block = message.GetByRole(AriaRole.Code);
        await Expect(block).ToHaveCountAsync(1);
        Assert.Equal("if (a **and** b) {\n  <b>x</b> // https://example.com\n}", await block.TextContentAsync());
        await Expect(block.GetByRole(AriaRole.Strong)).ToHaveCountAsync(0);
        await Expect(block.GetByRole(AriaRole.Link)).ToHaveCountAsync(0);
        Assert.Equal("pre", await block.EvaluateAsync<string>("el => getComputedStyle(el).whiteSpace"));
        await Expect(message.GetByRole(AriaRole.Emphasis)).ToHaveTextAsync("that");
    }

    [SkippableFact]
    public async Task Text_that_only_looks_like_markup_stays_as_typed()
    {
        await using Chat chat = await Chat.StartAsync(fixture);
        const string text = "snake_case_name and 2 * 3 * 4 and ** spaced ** and a lone ` tick and [no link](ftp://x.org) and 5*";
        await chat.SayAsync(text);

        ILocator message = chat.Reader.MessagesWith("snake_case_name");
        await Expect(message.Locator(".text")).ToHaveTextAsync(text);
        await Expect(message.GetByRole(AriaRole.Emphasis)).ToHaveCountAsync(0);
        await Expect(message.GetByRole(AriaRole.Strong)).ToHaveCountAsync(0);
        await Expect(message.GetByRole(AriaRole.Link)).ToHaveCountAsync(0);
    }

    /// <summary>
    /// Attacks on a renderer, each of which would set <c>window.__xss</c> if any part of it ran or became markup:
    /// script and event-handler markup, non-http schemes in every disguise (case, entities, whitespace, control
    /// characters), markup in link labels and URLs, nesting, and a right-to-left override.
    /// </summary>
    private static readonly string[] XssCorpus =
    [
        "<script>window.__xss=1</script>",
        "<img src=x onerror=\"window.__xss=1\">",
        "<svg onload=window.__xss=1>",
        "[click](javascript:window.__xss=1)",
        "[click](JaVaScRiPt:window.__xss=1)",
        "[click]( javascript:window.__xss=1)",
        "[click](java\tscript:window.__xss=1)",
        "[click](&#106;avascript:window.__xss=1)",
        "[click](data:text/html,<script>window.__xss=1</script>)",
        "[click](vbscript:window.__xss=1)",
        "[click](//evil.example/x)",
        "[**<img src=x onerror=window.__xss=1>**](https://example.org)",
        "[x](https://example.org\" onmouseover=\"window.__xss=1)",
        "[x](https://example.org/\"><img src=x onerror=window.__xss=1>)",
        "https://example.org/<img src=x onerror=window.__xss=1>",
        "[[inner](javascript:window.__xss=1)](https://example.org)",
        "**_`<iframe src=javascript:window.__xss=1>`_**",
        "```</code><img src=x onerror=window.__xss=1>```",
        "&lt;script&gt;window.__xss=1&lt;/script&gt;",
        "javascript:window.__xss=1",
        "\u202Egnp.exe and [\u202Egnp.exe](https://example.org/file.exe) then normal",
    ];

    [SkippableFact]
    public async Task An_xss_corpus_stays_inert_text()
    {
        await using Chat chat = await Chat.StartAsync(fixture);
        for (int i = 0; i < XssCorpus.Length; i++)
            await chat.Writer.SayAsync("lobby", $"case {i}: {XssCorpus[i]}");
        await chat.Writer.SayAsync("lobby", "corpus done");
        await chat.Reader.ExpectMessageAsync("corpus done");

        // Hover and click every link the corpus made: none may run anything either.
        ILocator links = chat.Reader.Log.Locator(".text a");
        for (int i = 0, n = await links.CountAsync(); i < n; i++)
            await links.Nth(i).HoverAsync();

        Assert.Null(await chat.Reader.Page.EvaluateAsync<int?>("() => window.__xss ?? null"));
        Assert.Equal(0, await chat.Reader.Log.Locator(".text :is(script, img, svg, iframe, object, embed, style, form, input, button, b)").CountAsync());
        foreach (string href in await links.EvaluateAllAsync<string[]>("els => els.map(a => a.href)"))
            Assert.Matches("^https?://", href);
        Assert.Equal(0, await chat.Reader.Log.Locator(".text a:not([rel='noopener noreferrer'])").CountAsync());

        // Each message shows what was typed, less only the markers of what did form markup.
        await Expect(chat.Reader.MessagesWith("case 0:").Locator(".text")).ToHaveTextAsync($"case 0: {XssCorpus[0]}");
        await Expect(chat.Reader.MessagesWith("case 3:").Locator(".text")).ToHaveTextAsync($"case 3: {XssCorpus[3]}");
        await Expect(chat.Reader.MessagesWith("case 18:").Locator(".text")).ToHaveTextAsync($"case 18: {XssCorpus[18]}");

        // The override reorders at most its own paragraph and the link it sits in: the link is isolated, and the
        // message text is a bidi paragraph of its own, so the author's name and the next message read as they are.
        ILocator rtl = chat.Reader.MessagesWith("case 20:");
        Assert.Equal("isolate", await rtl.Locator(".text a").EvaluateAsync<string>("el => getComputedStyle(el).unicodeBidi"));
        Assert.Equal("plaintext", await rtl.Locator(".text").EvaluateAsync<string>("el => getComputedStyle(el).unicodeBidi"));
        await Expect(chat.Reader.MessagesWith("corpus done").Locator(".text")).ToHaveTextAsync("corpus done");
    }

    /// <summary>
    /// The renderer itself, on a few thousand strings made of the characters markup is made of: whatever it is given,
    /// it only ever makes strong, em, code and http(s) links, never loses or invents a letter outside link
    /// destinations, and does not take quadratic time over long runs of delimiters (which would hang the tab; it is
    /// checked by finishing, not by a clock).
    /// </summary>
    [SkippableFact]
    public async Task The_renderer_makes_only_safe_elements_from_any_text()
    {
        IBrowser browser = fixture.RequireBrowser();
        await using TestServer server = await BrowserFixture.StartServerAsync();
        await using IBrowserContext context = await browser.NewContextAsync();
        ChatPage page = await ChatPage.OpenAsync(context, server.HttpUri.ToString());

        string[] pieces = ["*", "**", "_", "__", "`", "```", "[", "]", "(", ")", "](", "https://", "http://a.b/", "javascript:",
            "<", ">", "&", "#", "\n", " ", "a", "b", "é", "\u202E", "x.y", ".", "\"", "'"];
        var random = new Random(6455);
        var inputs = new List<string>();
        for (int n = 0; n < 3000; n++)
        {
            var sb = new StringBuilder();
            for (int k = random.Next(1, 40); k > 0; k--)
                sb.Append(pieces[random.Next(pieces.Length)]);
            inputs.Add(sb.ToString());
        }
        inputs.Add(new string('*', 4000));
        inputs.Add(string.Concat(Enumerable.Repeat("*a ", 1300)));
        inputs.Add(string.Concat(Enumerable.Repeat("[a", 1300)));
        inputs.Add(string.Concat(Enumerable.Repeat("_a", 2000)));

        JsonElement problems = await page.Page.EvaluateAsync<JsonElement>("""
            inputs => {
              const problems = [];
              const letters = (s) => (s.match(/[abé]/g) || []).length;
              for (const input of inputs) {
                const holder = document.createElement("p");
                holder.append(...renderRichText(input));
                for (const el of holder.querySelectorAll("*")) {
                  if (!["STRONG", "EM", "CODE", "A"].includes(el.tagName)) problems.push(`${el.tagName} from ${JSON.stringify(input)}`);
                  if (el.tagName === "A" && !/^https?:\/\//.test(el.href)) problems.push(`href ${el.href} from ${JSON.stringify(input)}`);
                  if (el.getAttributeNames().some((a) => a.startsWith("on") || a === "style")) problems.push(`attribute from ${JSON.stringify(input)}`);
                }
                // Letters of a [label](destination) leave the text for the href; without one, none may vanish.
                if (!input.includes("](") && letters(holder.textContent) !== letters(input)) problems.push(`letters changed in ${JSON.stringify(input)}`);
                if (problems.length > 20) break;
              }
              return problems;
            }
            """, inputs);
        Assert.True(problems.GetArrayLength() == 0, string.Join("\n", problems.EnumerateArray().Select(p => p.GetString())));
    }

    /// <summary>A browser reading the lobby, and a second person writing to it over a plain WebSocket.</summary>
    private sealed class Chat : IAsyncDisposable
    {
        private TestServer _server = null!;
        private IBrowserContext _context = null!;
        public ChatPage Reader { get; private set; } = null!;
        public ChatClient Writer { get; private set; } = null!;

        public static async Task<Chat> StartAsync(BrowserFixture fixture)
        {
            IBrowser browser = fixture.RequireBrowser();
            var chat = new Chat { _server = await BrowserFixture.StartServerAsync() };
            chat._context = await browser.NewContextAsync();
            chat.Reader = await ChatPage.OpenAsync(chat._context, chat._server.HttpUri.ToString());
            await chat.Reader.LogInAsGuestAsync("reader");
            chat.Writer = await ChatClient.GuestAsync(chat._server, "writer");
            await chat.Writer.JoinAsync("lobby");
            return chat;
        }

        public async Task SayAsync(string text)
        {
            await Writer.SayAsync("lobby", text);
            // The message is in once the last article shows its first word (markup aside).
            string firstWord = text.Split([' ', '\n'])[0].Trim('*', '_', '`');
            await Expect(Reader.Messages.Last.Locator(".text")).ToContainTextAsync(firstWord);
        }

        public async ValueTask DisposeAsync()
        {
            await Writer.DisposeAsync();
            await _context.DisposeAsync();
            await _server.DisposeAsync();
        }
    }
}
