using System.Text.Json;
using RawSocketChat.Chat.Commands;
using RawSocketChat.Chat;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Chat;

/// <summary>Guests, registration, password login, resume, logout and login throttling, end to end over /chat.</summary>
public sealed class ChatAccountsTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o => o.Admin = "root");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Guest_login_is_welcomed_as_a_guest_with_a_color_and_the_room_list()
    {
        await using ChatClient alice = await ChatClient.ConnectAsync(_server);
        Assert.Equal("rawsocketchat.v1", alice.Socket.SubProtocol);
        await alice.SendJsonAsync(new { type = "login", name = "alice" });

        JsonElement welcome = await alice.ReceiveAsync("welcome");
        JsonElement user = welcome.GetProperty("user");
        Assert.Equal("alice", user.GetProperty("name").GetString());
        Assert.Equal("guest", user.GetProperty("role").GetString());
        Assert.Matches("^#[0-9a-f]{6}$", user.GetProperty("color").GetString());
        Assert.False(welcome.TryGetProperty("token", out _));
        Assert.Contains(welcome.GetProperty("rooms").EnumerateArray(), r => r.GetProperty("name").GetString() == "lobby");
        Assert.Equal(2000, welcome.GetProperty("limits").GetProperty("maxTextLength").GetInt32());
    }

    // welcome.limits.maxCommandBytes is the chat's limit on one JSON command, derived from --max-text-length; the
    // transport's --max-message-bytes (a WebSocket message) is a different limit and is not announced.
    [Fact]
    public async Task Welcome_announces_the_command_limit_as_maxCommandBytes()
    {
        await using ChatClient carol = await ChatClient.ConnectAsync(_server);
        await carol.SendJsonAsync(new { type = "login", name = "carol" });

        JsonElement limits = (await carol.ReceiveAsync("welcome")).GetProperty("limits");
        Assert.Equal(CommandParser.CommandLimitFor(2000), limits.GetProperty("maxCommandBytes").GetInt32());
        Assert.Equal(26_048, limits.GetProperty("maxCommandBytes").GetInt32()); // the figure docs/protocol.md gives
        Assert.False(limits.TryGetProperty("maxMessageBytes", out _));
    }

    [Fact]
    public async Task A_client_that_offers_no_subprotocol_is_served_too()
    {
        await using ChatClient client = await ChatClient.ConnectAsync(_server, offerSubprotocol: false);
        Assert.Null(client.Socket.SubProtocol);
        await client.SendJsonAsync(new { type = "login", name = "plain" });
        await client.ReceiveAsync("welcome");
    }

    [Fact]
    public async Task A_guest_name_is_taken_while_online_ignoring_case_and_free_again_after_disconnect()
    {
        ChatClient first = await ChatClient.GuestAsync(_server, "Carol");

        await using ChatClient second = await ChatClient.ConnectAsync(_server);
        await second.SendJsonAsync(new { type = "login", name = "carol" });
        JsonElement error = await second.ReceiveAsync("error");
        Assert.Equal("name_taken", error.GetProperty("code").GetString());

        await first.DisposeAsync();
        // The server learns of the close asynchronously: retry until the name is free (bounded).
        JsonElement? welcome = null;
        for (int attempt = 0; attempt < 50 && welcome is null; attempt++)
        {
            await second.SendJsonAsync(new { type = "login", name = "carol" });
            JsonElement reply = await second.ReceiveAsync(m => ChatClient.Type(m) is "welcome" or "error");
            if (ChatClient.Type(reply) == "welcome")
                welcome = reply;
            else
                await Task.Delay(100);
        }
        Assert.NotNull(welcome);
    }

    [Fact]
    public async Task A_guest_cannot_take_a_registered_name()
    {
        (ChatClient dave, _) = await ChatClient.RegisterAsync(_server, "dave");
        await using (dave)
        {
            await using ChatClient guest = await ChatClient.ConnectAsync(_server);
            await guest.SendJsonAsync(new { type = "login", name = "DAVE" });
            Assert.True(ChatClient.IsError(await guest.ReceiveAsync("error"), "name_taken"));
        }
        // Also when the owner is offline.
        await using ChatClient later = await ChatClient.ConnectAsync(_server);
        await later.SendJsonAsync(new { type = "login", name = "dave" });
        Assert.True(ChatClient.IsError(await later.ReceiveAsync("error"), "name_taken"));
    }

    [Fact]
    public async Task Register_then_log_in_with_the_password_and_resume_with_the_token()
    {
        (ChatClient registering, JsonElement welcome) = await ChatClient.RegisterAsync(_server, "Erin", color: "#3B82F6");
        JsonElement user = welcome.GetProperty("user");
        Assert.Equal("Erin", user.GetProperty("name").GetString());
        Assert.Equal("member", user.GetProperty("role").GetString());
        Assert.Equal("#3b82f6", user.GetProperty("color").GetString());
        string token = welcome.GetProperty("token").GetString()!;
        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);
        Assert.True(welcome.TryGetProperty("expires", out _));
        await registering.DisposeAsync();

        await using ChatClient login = await ChatClient.ConnectAsync(_server);
        await login.SendJsonAsync(new { type = "login", name = "erin", password = "correct horse battery" });
        JsonElement loggedIn = await login.ReceiveAsync("welcome");
        Assert.Equal("Erin", loggedIn.GetProperty("user").GetProperty("name").GetString());
        Assert.NotEqual(token, loggedIn.GetProperty("token").GetString());

        // A second device with the first session's token: several connections of one account may be online.
        await using ChatClient resumed = await ChatClient.ConnectAsync(_server);
        await resumed.SendJsonAsync(new { type = "resume", token });
        JsonElement again = await resumed.ReceiveAsync("welcome");
        Assert.Equal("Erin", again.GetProperty("user").GetProperty("name").GetString());
        Assert.Equal(token, again.GetProperty("token").GetString());
    }

    [Fact]
    public async Task Duplicate_registration_is_refused_ignoring_case()
    {
        (ChatClient frank, _) = await ChatClient.RegisterAsync(_server, "frank");
        await frank.DisposeAsync();
        await using ChatClient other = await ChatClient.ConnectAsync(_server);
        await other.SendJsonAsync(new { type = "register", name = "FRANK", password = "another password" });
        Assert.True(ChatClient.IsError(await other.ReceiveAsync("error"), "name_taken"));
    }

    [Fact]
    public async Task Wrong_password_is_refused_and_the_connection_stays_usable()
    {
        (ChatClient grace, _) = await ChatClient.RegisterAsync(_server, "grace");
        await grace.DisposeAsync();

        await using ChatClient client = await ChatClient.ConnectAsync(_server);
        await client.SendJsonAsync(new { type = "login", name = "grace", password = "not the password", @ref = "l1" });
        JsonElement error = await client.ReceiveAsync("error");
        Assert.Equal("bad_credentials", error.GetProperty("code").GetString());
        Assert.Equal("l1", ChatClient.Ref(error));

        // An unknown account gives the same answer: no hint about which names exist.
        await client.SendJsonAsync(new { type = "login", name = "nobody", password = "whatever123" });
        Assert.True(ChatClient.IsError(await client.ReceiveAsync("error"), "bad_credentials"));

        await client.SendJsonAsync(new { type = "login", name = "grace", password = "correct horse battery" });
        await client.ReceiveAsync("welcome");
    }

    [Fact]
    public async Task Repeated_failed_logins_to_one_account_are_throttled_even_with_the_right_password()
    {
        (ChatClient heidi, _) = await ChatClient.RegisterAsync(_server, "heidi");
        await heidi.DisposeAsync();

        await using ChatClient attacker = await ChatClient.ConnectAsync(_server);
        for (int i = 0; i < 5; i++)
        {
            await attacker.SendJsonAsync(new { type = "login", name = "heidi", password = $"guess-{i}-guess" });
            Assert.True(ChatClient.IsError(await attacker.ReceiveAsync("error"), "bad_credentials"));
        }
        await attacker.SendJsonAsync(new { type = "login", name = "heidi", password = "correct horse battery" });
        JsonElement limited = await attacker.ReceiveAsync("error");
        Assert.Equal("rate_limited", limited.GetProperty("code").GetString());
        Assert.True(limited.GetProperty("retryAfterMs").GetInt64() > 0);
    }

    [Fact]
    public async Task Logout_revokes_the_token_and_frees_the_connection_for_another_login()
    {
        (ChatClient ivan, JsonElement welcome) = await ChatClient.RegisterAsync(_server, "ivan");
        string token = welcome.GetProperty("token").GetString()!;
        await using (ivan)
        {
            await ivan.SendJsonAsync(new { type = "logout" });
            await ivan.ReceiveAsync("logged_out");
            await ivan.SendJsonAsync(new { type = "join", room = "lobby" });
            Assert.True(ChatClient.IsError(await ivan.ReceiveAsync("error"), "not_logged_in"));

            await ivan.SendJsonAsync(new { type = "resume", token });
            Assert.True(ChatClient.IsError(await ivan.ReceiveAsync("error"), "invalid_token"));

            await ivan.SendJsonAsync(new { type = "login", name = "ivan", password = "correct horse battery" });
            await ivan.ReceiveAsync("welcome");
        }
    }

    [Fact]
    public async Task A_malformed_or_unknown_token_is_refused()
    {
        await using ChatClient client = await ChatClient.ConnectAsync(_server);
        await client.SendJsonAsync(new { type = "resume", token = "nope" });
        Assert.True(ChatClient.IsError(await client.ReceiveAsync("error"), "invalid_token"));
        await client.SendJsonAsync(new { type = "resume", token = new string('A', 43) });
        Assert.True(ChatClient.IsError(await client.ReceiveAsync("error"), "invalid_token"));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("this-name-is-far-too-long-x")]
    [InlineData("bad name")]
    [InlineData("émile")]
    public async Task Names_outside_the_rules_are_refused(string name)
    {
        await using ChatClient client = await ChatClient.ConnectAsync(_server);
        await client.SendJsonAsync(new { type = "login", name });
        Assert.True(ChatClient.IsError(await client.ReceiveAsync("error"), "invalid_name"));
        await client.SendJsonAsync(new { type = "register", name, password = "long enough password" });
        Assert.True(ChatClient.IsError(await client.ReceiveAsync("error"), "invalid_name"));
    }

    [Fact]
    public async Task Short_passwords_and_bad_colors_are_refused()
    {
        await using ChatClient client = await ChatClient.ConnectAsync(_server);
        await client.SendJsonAsync(new { type = "register", name = "judy", password = "short" });
        Assert.True(ChatClient.IsError(await client.ReceiveAsync("error"), "weak_password"));
        await client.SendJsonAsync(new { type = "register", name = "judy", password = "long enough", color = "red" });
        Assert.True(ChatClient.IsError(await client.ReceiveAsync("error"), "bad_request"));
    }

    [Fact]
    public async Task The_admin_option_makes_that_account_admin()
    {
        (ChatClient root, JsonElement welcome) = await ChatClient.RegisterAsync(_server, "root");
        await using (root)
            Assert.Equal("admin", welcome.GetProperty("user").GetProperty("role").GetString());
    }

    /// <summary>
    /// A name of --admin without an account is reserved for the operator: registering it without the admin secret,
    /// or with a wrong one, is refused (it does not become a plain account either, which would keep the name from
    /// the admin); with the secret it is the admin account.
    /// </summary>
    [Fact]
    public async Task Registering_an_admin_name_needs_the_admin_secret()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.Admin = "boss");
        Assert.Contains("chat admin user=boss is not registered yet and is reserved", server.LogText);
        await using ChatClient squatter = await ChatClient.ConnectAsync(server);
        await squatter.SendJsonAsync(new { type = "register", name = "boss", password = "correct horse battery" });
        JsonElement refused = await squatter.ReceiveAsync("error");
        Assert.True(ChatClient.IsError(refused, "forbidden"), refused.GetRawText());
        await squatter.SendJsonAsync(new { type = "register", name = "BOSS", password = "correct horse battery", adminSecret = "guess" });
        Assert.True(ChatClient.IsError(await squatter.ReceiveAsync("error"), "forbidden"));
        await squatter.SendJsonAsync(new { type = "login", name = "boss", password = "correct horse battery" });
        Assert.True(ChatClient.IsError(await squatter.ReceiveAsync("error"), "bad_credentials")); // no account was made

        await using ChatClient owner = await ChatClient.ConnectAsync(server);
        await owner.SendJsonAsync(new { type = "register", name = "boss", password = "correct horse battery", adminSecret = TestServer.AdminSecretForTests });
        Assert.Equal("admin", (await owner.ReceiveAsync("welcome")).GetProperty("user").GetProperty("role").GetString());
    }

    [Fact]
    public async Task Without_admin_secret_option_one_is_generated_and_printed_once()
    {
        await using TestServer server = await TestServer.StartAsync(o => { o.Admin = "boss"; o.AdminSecret = ""; });
        System.Text.RegularExpressions.Match printed = System.Text.RegularExpressions.Regex.Match(server.LogText, "admin secret ([0-9a-f]{32}) ");
        Assert.True(printed.Success, server.LogText);
        await using ChatClient owner = await ChatClient.ConnectAsync(server);
        await owner.SendJsonAsync(new { type = "register", name = "boss", password = "correct horse battery", adminSecret = printed.Groups[1].Value });
        Assert.Equal("admin", (await owner.ReceiveAsync("welcome")).GetProperty("user").GetProperty("role").GetString());
    }

    [Fact]
    public async Task Commands_that_need_a_user_are_refused_before_login_and_login_twice_is_refused()
    {
        await using ChatClient client = await ChatClient.ConnectAsync(_server);
        foreach (string type in new[] { "join", "send", "history", "leave", "typing", "create", "logout" })
        {
            await client.SendJsonAsync(new { type, room = "lobby", text = "x", @ref = type });
            JsonElement error = await client.ReceiveAsync(m => ChatClient.Ref(m) == type);
            Assert.Equal("not_logged_in", error.GetProperty("code").GetString());
        }
        // Listing rooms needs no login (a client can show them on its login screen).
        await client.SendJsonAsync(new { type = "rooms" });
        await client.ReceiveAsync("rooms");

        await client.SendJsonAsync(new { type = "login", name = "kim" });
        await client.ReceiveAsync("welcome");
        await client.SendJsonAsync(new { type = "login", name = "kim2" });
        Assert.True(ChatClient.IsError(await client.ReceiveAsync("error"), "already_logged_in"));
    }
}
