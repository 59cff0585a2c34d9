using System.Text.Json;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Chat;

/// <summary>
/// The room list as each user sees it: the rooms a registered user belongs to come with every login, on any device
/// (<c>member</c>), and changes reach everyone as they happen (<c>rooms_changed</c>), coalesced.
/// </summary>
public sealed class ChatRoomListTests
{
    private static JsonElement Line(JsonElement listing, string room) =>
        listing.GetProperty("rooms").EnumerateArray().Single(r => r.GetProperty("name").GetString() == room);

    private static bool Changed(JsonElement m, string room, int members, int online) =>
        ChatClient.Type(m) == "rooms_changed" && m.GetProperty("rooms").EnumerateArray().Any(r =>
            r.GetProperty("name").GetString() == room && r.GetProperty("members").GetInt32() == members && r.GetProperty("online").GetInt32() == online);

    [Fact]
    public async Task A_registered_users_rooms_come_with_a_login_on_another_device()
    {
        await using TestServer server = await TestServer.StartAsync();
        (ChatClient laptop, _) = await ChatClient.RegisterAsync(server, "alice");
        await using (laptop)
        {
            await laptop.SendJsonAsync(new { type = "create", room = "dev" });
            await laptop.ReceiveAsync("created");
            await laptop.JoinAsync("dev");
            await laptop.JoinAsync("lobby");
        }

        // A phone, logging in with the password: it has no local memory of the rooms, the server has.
        await using ChatClient phone = await ChatClient.ConnectAsync(server);
        await phone.SendJsonAsync(new { type = "login", name = "alice", password = "correct horse battery" });
        JsonElement welcome = await phone.ReceiveAsync("welcome");
        Assert.True(Line(welcome, "dev").GetProperty("member").GetBoolean());
        Assert.True(Line(welcome, "lobby").GetProperty("member").GetBoolean());
        Assert.False(Line(welcome, "dev").GetProperty("joined").GetBoolean()); // this connection has not joined yet

        await phone.SendJsonAsync(new { type = "leave", room = "dev" });
        await phone.ReceiveAsync("left");
        await phone.SendJsonAsync(new { type = "rooms" });
        Assert.False(Line(await phone.ReceiveAsync("rooms"), "dev").GetProperty("member").GetBoolean());
    }

    [Fact]
    public async Task A_guest_is_a_member_of_nothing_until_joining()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using ChatClient guest = await ChatClient.ConnectAsync(server);
        await guest.SendJsonAsync(new { type = "login", name = "visitor" });
        Assert.False(Line(await guest.ReceiveAsync("welcome"), "lobby").GetProperty("member").GetBoolean());
        await guest.JoinAsync("lobby");
        await guest.SendJsonAsync(new { type = "rooms" });
        JsonElement lobby = Line(await guest.ReceiveAsync("rooms"), "lobby");
        Assert.True(lobby.GetProperty("member").GetBoolean());
        Assert.True(lobby.GetProperty("joined").GetBoolean());
    }

    [Fact]
    public async Task New_rooms_and_changed_counts_reach_everyone_at_the_default_interval()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using ChatClient watcher = await ChatClient.GuestAsync(server, "watcher");
        (ChatClient owner, _) = await ChatClient.RegisterAsync(server, "owner");
        await using (owner)
        {
            await owner.SendJsonAsync(new { type = "create", room = "dev" });
            await owner.ReceiveAsync("created");
            await watcher.ReceiveAsync(m => Changed(m, "dev", 0, 0));

            await owner.JoinAsync("dev");
            await watcher.ReceiveAsync(m => Changed(m, "dev", 1, 1));
        }
        // The owner's only connection closed: still a member (registered), no longer online.
        await watcher.ReceiveAsync(m => Changed(m, "dev", 1, 0));
    }

    [Fact]
    public async Task A_burst_of_changes_is_one_update_for_each_connection()
    {
        // An interval nobody waits for: the test publishes the update itself, so what is coalesced does not depend
        // on how fast this machine joins.
        await using TestServer server = await TestServer.StartAsync(o => o.RoomListInterval = TimeSpan.FromHours(1));
        await using ChatClient watcher = await ChatClient.GuestAsync(server, "watcher");
        var guests = new List<ChatClient>();
        try
        {
            for (int i = 0; i < 10; i++) // under the per-address connection cap
            {
                ChatClient guest = await ChatClient.GuestAsync(server, $"guest{i}");
                guests.Add(guest);
                await guest.JoinAsync("lobby");
            }
            await guests[0].SendJsonAsync(new { type = "leave", room = "lobby" });
            await guests[0].ReceiveAsync("left");

            server.App.Chat.PublishRoomListChanges();
            JsonElement update = await watcher.ReceiveAsync("rooms_changed");
            Assert.Equal("lobby", Assert.Single(update.GetProperty("rooms").EnumerateArray()).GetProperty("name").GetString());
            Assert.True(Changed(update, "lobby", 9, 9), update.GetRawText());

            server.App.Chat.PublishRoomListChanges(); // nothing changed since: nothing is sent
            await watcher.JoinAsync("lobby"); // a reply after the second publish, so a second update would be in by now
            Assert.Empty(watcher.TakeAll(m => ChatClient.Type(m) == "rooms_changed"));
        }
        finally
        {
            foreach (ChatClient guest in guests)
                await guest.DisposeAsync();
        }
    }

    [Fact]
    public async Task Direct_conversations_stay_out_of_everyone_elses_list()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.RoomListInterval = TimeSpan.FromHours(1));
        await using ChatClient watcher = await ChatClient.GuestAsync(server, "watcher");
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
        await alice.SendJsonAsync(new { type = "dm", to = "bob", text = "psst", @ref = "d1" });
        await alice.ReceiveAsync(m => ChatClient.Ref(m) == "d1");

        server.App.Chat.PublishRoomListChanges();
        await watcher.JoinAsync("lobby");
        Assert.Empty(watcher.TakeAll(m => ChatClient.Type(m) == "rooms_changed"));
    }
}
