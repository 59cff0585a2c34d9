using RawSocketChat.Chat.Rooms;
using RawSocketChat.Chat;

namespace RawSocketChat.Tests.Chat;

public sealed class NameRulesTests
{
    [Theory]
    [InlineData("al", true)]
    [InlineData("alice_B-2", true)]
    [InlineData("abcdefghijklmnopqrstuvwx", true)]
    [InlineData("a", false)]
    [InlineData("abcdefghijklmnopqrstuvwxy", false)]
    [InlineData("has space", false)]
    [InlineData("dot.dot", false)]
    [InlineData("ａlice", false)] // full-width a
    [InlineData("аlice", false)] // Cyrillic a
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Names_are_2_to_24_ascii_letters_digits_underscores_or_dashes(string? name, bool valid) =>
        Assert.Equal(valid, NameRules.IsValidName(name));

    [Theory]
    [InlineData("#3b82f6", true)]
    [InlineData("#3B82F6", true)]
    [InlineData("3b82f6", false)]
    [InlineData("#3b82f", false)]
    [InlineData("#3b82fg", false)]
    [InlineData("red", false)]
    public void Colors_are_hash_and_six_hex_digits(string color, bool valid) => Assert.Equal(valid, NameRules.IsValidColor(color));

    [Fact]
    public void Derived_colors_are_stable_ignore_case_and_are_valid()
    {
        Assert.Equal(NameRules.ColorFor("Alice"), NameRules.ColorFor("alice"));
        Assert.Equal("#ef4444".Length, NameRules.ColorFor("bob").Length);
        var colors = Enumerable.Range(0, 200).Select(i => NameRules.ColorFor($"user{i}")).ToHashSet();
        Assert.All(colors, c => Assert.True(NameRules.IsValidColor(c)));
        Assert.True(colors.Count > 8, "names should spread over the palette");
        Assert.Equal("#aabbcc", NameRules.ResolveColor("#AABBCC", "x"));
    }
}

public sealed class TextRulesTests
{
    [Theory]
    [InlineData("hi", "hi")]
    [InlineData("  hi  ", "hi")]
    [InlineData("a\r\nb", "a\nb")]
    [InlineData("tab\there", "tab\there")]
    [InlineData("\n multi\nline \n", "multi\nline")]
    [InlineData("🙂", "🙂")]
    public void Accepts_and_normalizes(string input, string expected)
    {
        Assert.Equal(expected, TextRules.Normalize(input, 10, out string? code, out _));
        Assert.Null(code);
    }

    [Theory]
    [InlineData("", ChatErrorCode.BadRequest)]
    [InlineData(" \n ", ChatErrorCode.BadRequest)]
    [InlineData("a\rb", ChatErrorCode.InvalidText)]
    [InlineData("a\u0000b", ChatErrorCode.InvalidText)]
    [InlineData("a\u001bb", ChatErrorCode.InvalidText)]
    [InlineData("a\u007fb", ChatErrorCode.InvalidText)]
    [InlineData("a\u009bb", ChatErrorCode.InvalidText)]
    [InlineData("01234567890", ChatErrorCode.TooLong)]
    public void Refuses(string input, string expectedCode)
    {
        Assert.Null(TextRules.Normalize(input, 10, out string? code, out string? message));
        Assert.Equal(expectedCode, code);
        Assert.False(string.IsNullOrEmpty(message));
    }

    [Fact]
    public void Lone_surrogates_are_refused()
    {
        // Built at run time: attribute arguments cannot hold ill-formed UTF-16 (they are stored as UTF-8).
        foreach (string input in new[] { "a" + (char)0xD800 + "b", "a" + (char)0xDC00, ((char)0xD83D).ToString() })
        {
            Assert.Null(TextRules.Normalize(input, 10, out string? code, out _));
            Assert.Equal(ChatErrorCode.InvalidText, code);
        }
    }

    [Fact]
    public void Length_counts_code_points_after_trimming()
    {
        Assert.NotNull(TextRules.Normalize("   " + string.Concat(Enumerable.Repeat("🙂", 10)) + "   ", 10, out _, out _));
        Assert.Null(TextRules.Normalize(string.Concat(Enumerable.Repeat("🙂", 11)), 10, out string? code, out _));
        Assert.Equal(ChatErrorCode.TooLong, code);
    }
}

public sealed class DirectRoomsTests
{
    [Theory]
    [InlineData("alice", "bob", "@alice+bob")]
    [InlineData("Bob", "alice", "@alice+bob")]
    [InlineData("zed_9", "ZED-9", "@zed-9+zed_9")]
    public void A_conversation_is_named_by_both_users_lower_case_sorted(string a, string b, string expected)
    {
        Assert.Equal(expected, DirectRooms.NameFor(a, b));
        Assert.Equal(expected, DirectRooms.NameFor(b, a));
        Assert.True(DirectRooms.IsDirect(expected));
        Assert.False(NameRules.IsValidName(expected)); // never the name of a room, nor of a user
        Assert.True(DirectRooms.IsParticipant(expected, NameRules.Key(a)));
        Assert.True(DirectRooms.IsParticipant(expected, NameRules.Key(b)));
        Assert.Equal(NameRules.Key(b), DirectRooms.OtherOf(expected, NameRules.Key(a)));
    }

    [Theory]
    [InlineData("lobby")]
    [InlineData("@alice")]
    [InlineData("@bob+alice")]     // not sorted: not a name this server makes
    [InlineData("@alice+alice")]
    [InlineData("@alice+b")]
    [InlineData("@alice+bob+carol")]
    public void Other_names_are_not_conversations_anyone_takes_part_in(string room)
    {
        Assert.False(DirectRooms.TryParse(room, out _, out _));
        Assert.False(DirectRooms.IsParticipant(room, "alice"));
        Assert.Null(DirectRooms.OtherOf(room, "alice"));
    }

    [Fact]
    public void Nobody_talks_to_themselves() =>
        Assert.Throws<ArgumentException>(() => DirectRooms.NameFor("alice", "ALICE"));
}
