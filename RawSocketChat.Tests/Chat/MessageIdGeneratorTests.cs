using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Storage;

namespace RawSocketChat.Tests.Chat;

public sealed class MessageIdGeneratorTests
{
    private static readonly DateTime Start = new(2026, 11, 27, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Ids_are_objectid_shaped_with_the_seconds_first()
    {
        string id = new MessageIdGenerator().Next(Start);
        Assert.Matches("^[0-9a-f]{24}$", id);
        Assert.True(MessageIdGenerator.TryParse(id, out uint seconds, out ulong counter));
        Assert.Equal((uint)new DateTimeOffset(Start).ToUnixTimeSeconds(), seconds);
        Assert.Equal(1UL, counter);
        Assert.Equal(id, MessageIdGenerator.Format(seconds, counter));
    }

    [Fact]
    public void A_generator_seeded_with_the_last_id_continues_after_it()
    {
        var first = new MessageIdGenerator();
        string last = first.Next(Start.AddHours(1));
        string next = new MessageIdGenerator(last).Next(Start); // even when the clock is now behind
        Assert.True(string.CompareOrdinal(next, last) > 0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123456789ABCDEF01234567")]
    [InlineData("0123456789abcdef0123456")]
    [InlineData("0123456789abcdef012345678")]
    [InlineData("0123456789abcdef0123456g")]
    public void Only_24_lower_case_hex_digits_are_ids(string text)
    {
        Assert.False(MessageIdGenerator.IsValid(text));
        Assert.Throws<ArgumentException>(() => new MessageIdGenerator(text));
    }

    [Property(MaxTest = 200)]
    public Property Ids_strictly_increase_whatever_the_clock_does() =>
        Prop.ForAll(Arb.From(Gen.ListOf(Gen.Choose(-5000, 5000))), steps =>
        {
            var generator = new MessageIdGenerator();
            DateTime clock = Start;
            string previous = "";
            foreach (int step in steps)
            {
                clock = clock.AddMilliseconds(step * 7);
                string id = generator.Next(clock);
                if (string.CompareOrdinal(id, previous) <= 0)
                    return false;
                previous = id;
            }
            return true;
        });

    [Fact]
    public void Ids_are_unique_across_threads()
    {
        var generator = new MessageIdGenerator();
        string[][] batches = Enumerable.Range(0, 4).AsParallel().Select(_ => Enumerable.Range(0, 10_000).Select(_ => generator.Next(DateTime.UtcNow)).ToArray()).ToArray();
        Assert.Equal(40_000, batches.SelectMany(b => b).Distinct().Count());
    }
}
