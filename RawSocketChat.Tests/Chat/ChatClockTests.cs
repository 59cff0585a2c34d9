using System.Text.Json;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>
/// The chat under a wall clock that jumps, as NTP steps it, with the chat's two clocks driven by hand: message order
/// survives a step back, rate limits follow the monotonic clock (a day forward refills nothing), and what ends at a
/// time of day — a session, a mute — ends by the wall clock.
/// </summary>
public sealed class ChatClockTests
{
    [Fact]
    public async Task Messages_keep_their_order_when_the_wall_clock_steps_back_and_carry_its_time()
    {
        var clock = new ManualClock();
        await using TestServer server = await TestServer.StartAsync(time: clock);
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");
        await alice.JoinAsync("lobby");
        string first = Id(await alice.SayAsync("lobby", "before the step"));
        clock.StepWall(TimeSpan.FromHours(-1));
        string second = Id(await alice.SayAsync("lobby", "after the step"));

        Assert.True(string.CompareOrdinal(second, first) > 0, "ids never go back");
        JsonElement[] page = (await alice.AskAsync(new { type = "history", room = "lobby" })).GetProperty("messages").EnumerateArray().ToArray();
        Assert.Equal(["before the step", "after the step"], page.Select(m => Text(m)));
        // The time shown is the wall clock's, an hour earlier: the order is the ids', not the times'.
        TimeSpan shown = DateTimeOffset.Parse(Text(page[0], "ts")!) - DateTimeOffset.Parse(Text(page[1], "ts")!);
        Assert.InRange(shown, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
    }

    [Fact]
    public async Task Rate_limits_follow_the_monotonic_clock_so_a_wall_clock_jump_refills_nothing()
    {
        var clock = new ManualClock();
        // Four messages, then one a second; and never a flood close in this test.
        await using TestServer server = await TestServer.StartAsync(o => { o.Rate = 1; o.Burst = 4; o.FloodWindow = TimeSpan.FromHours(1); }, clock);
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");   // 1
        await alice.JoinAsync("lobby");                                                 // 2
        Assert.Equal("ack", ChatClient.Type(await alice.SayAsync("lobby", "one")));    // 3
        Assert.Equal("ack", ChatClient.Type(await alice.SayAsync("lobby", "two")));    // 4

        clock.StepWall(TimeSpan.FromDays(1));
        AssertError(await alice.SayAsync("lobby", "a day later, by the wall clock"), "rate_limited");
        clock.StepWall(TimeSpan.FromDays(-2));
        AssertError(await alice.SayAsync("lobby", "a day earlier"), "rate_limited");

        clock.Advance(TimeSpan.FromSeconds(1.5)); // time that really passed
        Assert.Equal("ack", ChatClient.Type(await alice.SayAsync("lobby", "a second and a half later")));
    }

    [Fact]
    public async Task A_session_and_a_mute_end_by_the_wall_clock()
    {
        var clock = new ManualClock();
        await using TestServer server = await TestServer.StartAsync(o => { Generous(o); o.Admin = "root"; }, clock);
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        (ChatClient bob, JsonElement welcome) = await ChatClient.RegisterAsync(server, "bob");
        await using (root)
        await using (bob)
        {
            await bob.JoinAsync("lobby");
            Assert.Equal("moderated", ChatClient.Type(await root.AskAsync(new { type = "mute", user = "bob", seconds = 60 })));
            await bob.ReceiveAsync("muted");
            AssertError(await bob.SayAsync("lobby", "let me speak"), "muted");
            clock.Advance(TimeSpan.FromSeconds(30));
            AssertError(await bob.SayAsync("lobby", "half a minute on"), "muted");
            clock.StepWall(TimeSpan.FromMinutes(2)); // "until 10:42" is a time of day: the step ends it
            Assert.Equal("ack", ChatClient.Type(await bob.SayAsync("lobby", "free again")));

            // A session token lives 30 days of wall time.
            string token = Text(welcome, "token")!;
            await using (ChatClient phone = await ChatClient.ConnectAsync(server))
                Assert.Equal("welcome", ChatClient.Type(await phone.AskAsync(new { type = "resume", token })));
            clock.StepWall(TimeSpan.FromDays(31));
            await using ChatClient later = await ChatClient.ConnectAsync(server);
            AssertError(await later.AskAsync(new { type = "resume", token }), "invalid_token");
        }
    }
}

/// <summary>
/// A <see cref="TimeProvider"/> whose wall time and monotonic time a test moves by hand and separately:
/// <see cref="StepWall"/> is NTP stepping the clock (the monotonic clock does not move), <see cref="Advance"/> is
/// time passing (both move). The monotonic clock ticks in milliseconds.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private long _wallTicks = DateTimeOffset.UtcNow.UtcTicks;
    private long _monotonicMs = 1_000_000;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _wallTicks), TimeSpan.Zero);
    public override long GetTimestamp() => Interlocked.Read(ref _monotonicMs);
    public override long TimestampFrequency => 1000;

    public void StepWall(TimeSpan by) => Interlocked.Add(ref _wallTicks, by.Ticks);

    public void Advance(TimeSpan by)
    {
        Interlocked.Add(ref _wallTicks, by.Ticks);
        Interlocked.Add(ref _monotonicMs, (long)by.TotalMilliseconds);
    }
}
