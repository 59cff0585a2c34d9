using System.Text.Json;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Chat;

/// <summary>Rooms, membership and presence (join/leave/online/offline, typing), end to end over /chat.</summary>
public sealed class ChatRoomsTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o => o.TypingInterval = TimeSpan.FromSeconds(3));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static bool Presence(JsonElement m, string user, string @event) =>
        ChatClient.Type(m) == "presence" && m.GetProperty("user").GetString() == user && m.GetProperty("event").GetString() == @event;

    [Fact]
    public async Task Joining_returns_members_and_history_and_tells_the_others()
    {
        await using ChatClient alice = await ChatClient.GuestAsync(_server, "alice");
        JsonElement joined = await alice.JoinAsync("lobby");
        Assert.Equal(JsonValueKind.Array, joined.GetProperty("history").ValueKind);
        Assert.Contains(joined.GetProperty("members").EnumerateArray(), m => m.GetProperty("name").GetString() == "alice" && m.GetProperty("online").GetBoolean());

        await using ChatClient bob = await ChatClient.GuestAsync(_server, "bob");
        JsonElement bobJoined = await bob.JoinAsync("lobby");
        string[] names = bobJoined.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToArray();
        Assert.Contains("alice", names);
        Assert.Contains("bob", names);
        Assert.Equal(2, bobJoined.GetProperty("onlineCount").GetInt32());

        JsonElement presence = await alice.ReceiveAsync(m => Presence(m, "bob", "joined"));
        Assert.Equal("lobby", presence.GetProperty("room").GetString());
        Assert.Equal("guest", presence.GetProperty("role").GetString());
    }

    [Fact]
    public async Task Leaving_confirms_tells_the_others_and_stops_delivery()
    {
        await using ChatClient alice = await ChatClient.GuestAsync(_server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(_server, "bob");
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");

        await bob.SendJsonAsync(new { type = "leave", room = "lobby", @ref = "x" });
        JsonElement left = await bob.ReceiveAsync("left");
        Assert.Equal("lobby", left.GetProperty("room").GetString());
        Assert.Equal("x", ChatClient.Ref(left));
        await alice.ReceiveAsync(m => Presence(m, "bob", "left"));

        JsonElement refused = await bob.SayAsync("lobby", "still here?");
        Assert.True(ChatClient.IsError(refused, "not_member"));
        await bob.SendJsonAsync(new { type = "leave", room = "lobby" });
        Assert.True(ChatClient.IsError(await bob.ReceiveAsync("error"), "not_member"));
    }

    [Fact]
    public async Task Sending_needs_a_joined_room_that_exists()
    {
        await using ChatClient alice = await ChatClient.GuestAsync(_server, "alice");
        Assert.True(ChatClient.IsError(await alice.SayAsync("lobby", "hi"), "not_member"));
        Assert.True(ChatClient.IsError(await alice.SayAsync("nowhere", "hi"), "no_such_room"));
        await alice.SendJsonAsync(new { type = "join", room = "nowhere" });
        Assert.True(ChatClient.IsError(await alice.ReceiveAsync("error"), "no_such_room"));
    }

    [Fact]
    public async Task Registered_users_create_rooms_guests_may_not()
    {
        await using ChatClient guest = await ChatClient.GuestAsync(_server, "visitor");
        await guest.SendJsonAsync(new { type = "create", room = "dev" });
        Assert.True(ChatClient.IsError(await guest.ReceiveAsync("error"), "forbidden"));

        (ChatClient owner, _) = await ChatClient.RegisterAsync(_server, "owner");
        await using (owner)
        {
            await owner.SendJsonAsync(new { type = "create", room = "Dev", @ref = "c1" });
            JsonElement created = await owner.ReceiveAsync("created");
            Assert.Equal("Dev", created.GetProperty("room").GetString());
            Assert.Equal("c1", ChatClient.Ref(created));

            await owner.SendJsonAsync(new { type = "create", room = "dev" });
            Assert.True(ChatClient.IsError(await owner.ReceiveAsync("error"), "room_exists"));
            await owner.SendJsonAsync(new { type = "create", room = "no spaces" });
            Assert.True(ChatClient.IsError(await owner.ReceiveAsync("error"), "invalid_name"));

            // Names ignore case; the room keeps the spelling it was created with.
            JsonElement joined = await owner.JoinAsync("Dev");
            Assert.Equal("Dev", joined.GetProperty("room").GetString());
            await guest.SendJsonAsync(new { type = "join", room = "DEV" });
            await guest.ReceiveAsync("joined");
        }
    }

    [Fact]
    public async Task The_room_list_has_member_and_online_counts()
    {
        (ChatClient mia, _) = await ChatClient.RegisterAsync(_server, "mia");
        await mia.JoinAsync("lobby");
        await using ChatClient guest = await ChatClient.GuestAsync(_server, "ned");
        await guest.JoinAsync("lobby");

        await guest.SendJsonAsync(new { type = "rooms" });
        JsonElement lobby = (await guest.ReceiveAsync("rooms")).GetProperty("rooms").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "lobby");
        Assert.Equal(2, lobby.GetProperty("members").GetInt32());
        Assert.Equal(2, lobby.GetProperty("online").GetInt32());
        Assert.True(lobby.GetProperty("joined").GetBoolean());

        // A registered member stays a member while offline.
        await mia.DisposeAsync();
        await guest.ReceiveAsync(m => Presence(m, "mia", "offline"));
        await guest.SendJsonAsync(new { type = "rooms" });
        lobby = (await guest.ReceiveAsync("rooms")).GetProperty("rooms").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "lobby");
        Assert.Equal(2, lobby.GetProperty("members").GetInt32());
        Assert.Equal(1, lobby.GetProperty("online").GetInt32());
    }

    [Fact]
    public async Task Members_coming_online_and_going_offline_are_announced_to_their_rooms()
    {
        (ChatClient olga, JsonElement welcome) = await ChatClient.RegisterAsync(_server, "olga");
        string token = welcome.GetProperty("token").GetString()!;
        await olga.JoinAsync("lobby");
        await using ChatClient watcher = await ChatClient.GuestAsync(_server, "watcher");
        await watcher.JoinAsync("lobby");

        await olga.DisposeAsync();
        await watcher.ReceiveAsync(m => Presence(m, "olga", "offline"));

        await using ChatClient back = await ChatClient.ConnectAsync(_server);
        await back.SendJsonAsync(new { type = "resume", token });
        JsonElement again = await back.ReceiveAsync("welcome");
        // Membership is remembered: the room list says so, and the room hears that olga is back.
        Assert.Contains(again.GetProperty("rooms").EnumerateArray(), r => r.GetProperty("name").GetString() == "lobby");
        await watcher.ReceiveAsync(m => Presence(m, "olga", "online"));

        // A guest's membership ends with its connection.
        await using ChatClient guest = await ChatClient.GuestAsync(_server, "passing");
        await guest.JoinAsync("lobby");
        await watcher.ReceiveAsync(m => Presence(m, "passing", "joined"));
        await guest.DisposeAsync();
        await watcher.ReceiveAsync(m => Presence(m, "passing", "left"));
    }

    [Fact]
    public async Task Typing_is_relayed_to_the_others_at_most_once_per_interval()
    {
        await using ChatClient alice = await ChatClient.GuestAsync(_server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(_server, "bob");
        await alice.JoinAsync("lobby");
        await bob.JoinAsync("lobby");

        await alice.SendJsonAsync(new { type = "typing", room = "lobby" });
        await alice.SendJsonAsync(new { type = "typing", room = "lobby" });
        await alice.SendJsonAsync(new { type = "typing", room = "lobby" });
        JsonElement typing = await bob.ReceiveAsync("typing");
        Assert.Equal("alice", typing.GetProperty("user").GetString());
        Assert.Equal("lobby", typing.GetProperty("room").GetString());

        // A marker sent after the burst: once it arrives, any relayed duplicate would have arrived before it.
        JsonElement ack = await alice.SayAsync("lobby", "marker");
        await bob.ReceiveAsync(m => ChatClient.Type(m) == "message" && m.GetProperty("id").GetString() == ack.GetProperty("id").GetString());
        Assert.Empty(bob.TakeAll(m => ChatClient.Type(m) == "typing"));
        Assert.Empty(alice.TakeAll(m => ChatClient.Type(m) == "typing")); // not echoed to the typist

        // After the interval it is relayed again (bounded wait: the interval is 3 s in this fixture, the default,
        // long enough that a loaded machine cannot stretch the burst and the marker above past it).
        JsonElement? relayed = null;
        for (int i = 0; i < 50 && relayed is null; i++)
        {
            await Task.Delay(100);
            await alice.SendJsonAsync(new { type = "typing", room = "lobby" });
            relayed = await bob.TryReceiveAsync(m => ChatClient.Type(m) == "typing", TimeSpan.FromMilliseconds(200));
        }
        Assert.NotNull(relayed);
    }

    [Fact]
    public async Task Every_reply_echoes_the_ref_of_its_command()
    {
        await using ChatClient client = await ChatClient.ConnectAsync(_server);
        var commands = new (object Command, string Reply)[]
        {
            (new { type = "login", name = "echo", @ref = "1" }, "welcome"),
            (new { type = "rooms", @ref = "2" }, "rooms"),
            (new { type = "join", room = "lobby", @ref = "3" }, "joined"),
            (new { type = "history", room = "lobby", @ref = "4" }, "history"),
            (new { type = "send", room = "lobby", text = "hi", @ref = "5" }, "ack"),
            (new { type = "leave", room = "lobby", @ref = "6" }, "left"),
            (new { type = "create", room = "nope", @ref = "7" }, "error"),
            (new { type = "logout", @ref = "8" }, "logged_out"),
        };
        foreach ((object command, string reply) in commands)
        {
            await client.SendJsonAsync(command);
            JsonElement answer = await client.ReceiveAsync(reply);
            Assert.NotNull(ChatClient.Ref(answer));
        }
        Assert.Equal(["1", "2", "3", "4", "5", "6", "7", "8"],
            client.AllReceived.Where(m => ChatClient.Type(m) != "message").Select(ChatClient.Ref));
    }
}
