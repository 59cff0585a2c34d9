using System.Text.Json;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary><c>--max-rooms</c> bounds how many public rooms users can make the server hold.</summary>
public sealed class ChatRoomLimitTests
{
    [Fact]
    public async Task Creating_a_room_beyond_max_rooms_is_refused_with_too_many_rooms()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxRooms = 3);
        (ChatClient owner, _) = await ChatClient.RegisterAsync(server, "owner");
        await using (owner)
        {
            // The lobby is one of the three.
            Assert.Equal("created", ChatClient.Type(await owner.AskAsync(new { type = "create", room = "one" })));
            Assert.Equal("created", ChatClient.Type(await owner.AskAsync(new { type = "create", room = "two" })));
            JsonElement refused = await owner.AskAsync(new { type = "create", room = "three" });
            AssertError(refused, "too_many_rooms");

            // The connection stays usable.
            Assert.Equal("joined", ChatClient.Type(await owner.JoinAsync("two")));
        }
    }
}
