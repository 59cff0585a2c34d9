using RawSocketChat.Chat.Moderation;
using RawSocketChat.Storage;

namespace RawSocketChat.Tests.Chat;

public class SanctionsTests
{
    private static readonly DateTime Now = new(2026, 12, 4, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Sanctions_given_in_the_same_millisecond_list_in_the_order_they_were_given()
    {
        // Stored times are whole milliseconds: a moderator's script (or a fast machine) gives two in one.
        var sanctions = new Sanctions([], []);
        sanctions.SetBan(new BanRecord("spammer", "mod", "links", Now, null));
        sanctions.SetBan(new BanRecord("troll", "root", null, Now, null));
        sanctions.SetMute(new MuteRecord("chatty", "mod", null, Now, Now.AddMinutes(10)));
        sanctions.SetMute(new MuteRecord("brief", "mod", null, Now, Now.AddMinutes(10)));

        (List<BanRecord> bans, List<MuteRecord> mutes) = sanctions.InForce(Now);

        Assert.Equal(["troll", "spammer"], bans.Select(b => b.Name));
        Assert.Equal(["brief", "chatty"], mutes.Select(m => m.Name));
    }

    [Fact]
    public void Sanctions_loaded_at_start_up_list_newest_first_whatever_order_the_store_returns()
    {
        var sanctions = new Sanctions(
            [new BanRecord("b", "mod", null, Now, null), new BanRecord("a", "mod", null, Now.AddSeconds(1), null), new BanRecord("c", "mod", null, Now.AddSeconds(-1), null)],
            []);

        Assert.Equal(["a", "b", "c"], sanctions.InForce(Now).Bans.Select(b => b.Name));
    }

    [Fact]
    public void A_sanction_that_ran_out_is_neither_found_nor_listed()
    {
        var sanctions = new Sanctions([new BanRecord("gone", "mod", null, Now.AddHours(-2), Now.AddHours(-1))],
            [new MuteRecord("quiet", "mod", null, Now.AddHours(-2), Now)]);

        Assert.Null(sanctions.FindBan("GONE", Now));
        Assert.Null(sanctions.FindMute("quiet", Now)); // a mute ends at its end time, not a tick later
        Assert.Equal((0, 0), (sanctions.InForce(Now).Bans.Count, sanctions.InForce(Now).Mutes.Count));
    }
}
