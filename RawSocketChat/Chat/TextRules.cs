using System.Text;

namespace RawSocketChat.Chat;

/// <summary>What a chat message's text may be. One place, used by send (and by later features like edits).</summary>
public static class TextRules
{
    /// <summary>
    /// Normalizes <paramref name="text"/> (CR LF → LF, trimmed) and checks it: 1 to <paramref name="maxLength"/>
    /// characters (Unicode code points, so an emoji counts once), no control characters except newline and tab,
    /// well-formed UTF-16. Returns null with the error code and message when it is not acceptable.
    /// </summary>
    public static string? Normalize(string text, int maxLength, out string? errorCode, out string? errorMessage)
    {
        errorCode = errorMessage = null;
        string normalized = text.Contains('\r') ? text.Replace("\r\n", "\n") : text;
        normalized = normalized.Trim();
        if (normalized.Length == 0)
        {
            (errorCode, errorMessage) = (ChatErrorCode.BadRequest, "text is empty");
            return null;
        }

        int length = 0;
        for (int i = 0; i < normalized.Length;)
        {
            if (Rune.DecodeFromUtf16(normalized.AsSpan(i), out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
            {
                (errorCode, errorMessage) = (ChatErrorCode.InvalidText, "text is not well-formed Unicode");
                return null;
            }
            // Unicode category Cc: U+0000–U+001F and U+007F–U+009F. They can forge line layouts, ring terminal
            // bells or hide text, and no one needs them in a chat message — except newline and tab.
            if (Rune.IsControl(rune) && rune.Value is not ('\n' or '\t'))
            {
                (errorCode, errorMessage) = (ChatErrorCode.InvalidText, $"control character U+{rune.Value:X4} is not allowed");
                return null;
            }
            i += used;
            if (++length > maxLength)
            {
                (errorCode, errorMessage) = (ChatErrorCode.TooLong, $"text is longer than {maxLength} characters");
                return null;
            }
        }
        return normalized;
    }
}
