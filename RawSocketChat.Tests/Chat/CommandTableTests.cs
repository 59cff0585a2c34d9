using System.Text.Json;
using System.Text.RegularExpressions;
using RawSocketChat.Chat.Commands;
using RawSocketChat.Tests.Docs;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>
/// The table of commands (<see cref="CommandTable.All"/>) is the one list: it matches what docs/protocol.md
/// documents, and its access column is what the server answers before login and above one's role.
/// </summary>
public sealed partial class CommandTableTests
{
    [GeneratedRegex("→ \\{\"type\":\"([a-z_]+)\"")]
    private static partial Regex ClientCommand();

    [Fact]
    public void Every_documented_command_is_in_the_table_and_every_command_in_the_table_is_documented()
    {
        string[] documented = ClientCommand().Matches(Repo.Read("docs/protocol.md")).Select(m => m.Groups[1].Value).Distinct().Order().ToArray();
        Assert.Equal(documented, CommandTable.All.Keys.Order());
    }

    [Fact]
    public async Task Each_command_is_refused_by_its_access_before_anything_else()
    {
        await using TestServer server = await TestServer.StartAsync(o =>
        {
            Generous(o);
            o.Admin = "root";
        });
        await using ChatClient anonymous = await ChatClient.ConnectAsync(server);
        await using ChatClient guest = await ChatClient.GuestAsync(server, "visitor");
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            await using ChatClient moderator = await ModeratorAsync(server, root, "mod");
            foreach (CommandSpec command in CommandTable.All.Values)
            {
                // The bare command, without its fields: the access check comes first, so the answer is about who sent it.
                var bare = new { type = command.Type };
                if (command.Access != CommandAccess.Anyone)
                    AssertError(await anonymous.AskAsync(bare), "not_logged_in");
                if (command.Access >= CommandAccess.Moderator)
                    AssertError(await guest.AskAsync(bare), "forbidden");
                if (command.Access == CommandAccess.Admin)
                    AssertError(await moderator.AskAsync(bare), "forbidden");
            }
        }
        AssertError(await anonymous.AskAsync(new { type = "shout" }), "unknown_type");
        AssertError(await guest.AskAsync(new { type = "shout" }), "unknown_type");
    }

    [Fact]
    public void Only_typing_goes_unanswered_when_rate_limited()
    {
        Assert.Equal(["typing"], CommandTable.All.Values.Where(c => c.Rate == RateClass.BestEffort).Select(c => c.Type));
    }
}
