using System.Globalization;
using FsCheck.Xunit;
using RawSocketChat.Chat;

namespace RawSocketChat.Tests.Chat;

public sealed class EmojiRulesTests
{
    [Theory]
    [InlineData("👍")]
    [InlineData("❤️")]          // with the emoji presentation selector
    [InlineData("❤")]           // and without
    [InlineData("👍🏽")]          // a skin tone
    [InlineData("👩‍💻")]          // a ZWJ sequence
    [InlineData("👨‍👩‍👧‍👦")]        // a long one
    [InlineData("🇫🇷")]          // a flag: two regional indicators
    [InlineData("🏴󠁧󠁢󠁳󠁣󠁴󠁿")]          // a subdivision flag: tag characters
    [InlineData("1️⃣")]          // a keycap
    [InlineData("#️⃣")]
    [InlineData("‼️")]          // filed under punctuation by Unicode
    [InlineData("↔️")]          // a math symbol
    [InlineData("©️")]
    public void One_emoji_as_a_picker_gives_it_is_a_reaction(string emoji) => Assert.True(EmojiRules.IsEmoji(emoji), emoji);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ok")]
    [InlineData("a")]
    [InlineData("1")]           // a digit without the keycap mark
    [InlineData("+")]           // an ASCII symbol
    [InlineData("👍👍")]          // two emoji
    [InlineData("👍 ")]
    [InlineData(" 👍")]
    [InlineData("\u200B")]      // zero-width space
    [InlineData("\u202E👍")]    // a bidi override in front
    [InlineData("👍\u0301")]    // a combining accent
    [InlineData("\uD83D")]      // a lone surrogate
    [InlineData("é")]
    [InlineData("字")]
    public void Anything_else_is_not(string? value) => Assert.False(EmojiRules.IsEmoji(value), value);

    [Property]
    public bool Two_or_more_user_perceived_characters_are_never_one_reaction(string a, string b)
    {
        string value = (a ?? "") + "👍" + (b ?? "");
        return new StringInfo(value).LengthInTextElements == 1 || !EmojiRules.IsEmoji(value);
    }

    [Property]
    public bool Nothing_longer_than_the_limit_is_accepted(string value) =>
        value is null || value.Length <= EmojiRules.MaxLength || !EmojiRules.IsEmoji(value);
}
