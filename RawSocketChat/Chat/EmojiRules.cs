using System.Globalization;
using System.Text;

namespace RawSocketChat.Chat;

/// <summary>
/// What a reaction may be: one emoji, as a user would pick it from a picker — a single grapheme cluster (so a flag,
/// a skin tone or a family joined with ZWJ is one) built only of emoji parts. Words, ASCII art and invisible
/// characters are refused: a reaction is a picture everyone sees under someone else's message, not a second text.
/// </summary>
public static class EmojiRules
{
    /// <summary>Longest emoji, in UTF-16 code units: the longest sequences in use (tagged flags, families) fit with room to spare.</summary>
    public const int MaxLength = 32;

    public static bool IsEmoji(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
            return false;
        // One user-perceived character (UAX #29 extended grapheme cluster): "👍👍" or "👍 " is not a reaction.
        if (StringInfo.GetNextTextElementLength(value) != value.Length)
            return false;

        ReadOnlySpan<char> rest = value;
        if (Rune.DecodeFromUtf16(rest, out Rune first, out int used) != System.Buffers.OperationStatus.Done)
            return false;
        rest = rest[used..];
        // A keycap (1️⃣, #️⃣) starts with a plain ASCII character; every other emoji starts with a pictograph.
        bool keycap = first.Value is (>= '0' and <= '9') or '#' or '*';
        if (!keycap && !IsPictograph(first))
            return false;

        bool sawKeycapMark = false;
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out Rune rune, out used) != System.Buffers.OperationStatus.Done)
                return false;
            rest = rest[used..];
            if (rune.Value == 0x20E3)
                sawKeycapMark = true;
            else if (!IsEmojiPart(rune))
                return false;
        }
        return !keycap || sawKeycapMark;
    }

    /// <summary>Symbols above ASCII (category So or Sm: ❤, ↔, 😀, regional indicators), and the two emoji that Unicode files under punctuation.</summary>
    private static bool IsPictograph(Rune rune) =>
        rune.Value > 0x7F && Rune.GetUnicodeCategory(rune) is UnicodeCategory.OtherSymbol or UnicodeCategory.MathSymbol
        || rune.Value is 0x203C or 0x2049; // ‼ ⁉

    /// <summary>What may follow the first pictograph inside one emoji sequence.</summary>
    private static bool IsEmojiPart(Rune rune) => rune.Value switch
    {
        0x200D => true,                    // ZERO WIDTH JOINER: 👩‍💻
        0xFE0E or 0xFE0F => true,          // text and emoji presentation selectors: ❤️
        >= 0x1F3FB and <= 0x1F3FF => true, // skin tone modifiers: 👍🏽
        >= 0xE0020 and <= 0xE007F => true, // tag characters of subdivision flags: 🏴󠁧󠁢󠁳󠁣󠁴󠁿
        _ => IsPictograph(rune),           // the next pictograph of a ZWJ sequence, the second regional indicator of a flag
    };
}
