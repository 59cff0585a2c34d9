using System.Text.RegularExpressions;

namespace RawSocketChat.Chat;

/// <summary>
/// Who and what may be called what: user and room names, and colors. Names are ASCII on purpose — no look-alike
/// letters from other scripts (Cyrillic "а" vs Latin "a"), and "ignoring case" means one simple thing.
/// </summary>
public static partial class NameRules
{
    public const int MinLength = 2;
    public const int MaxLength = 24;

    [GeneratedRegex("^[A-Za-z0-9_-]{2,24}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^#[0-9A-Fa-f]{6}$", RegexOptions.CultureInvariant)]
    private static partial Regex ColorPattern();

    /// <summary>2–24 characters, each an ASCII letter, digit, '_' or '-'.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>The form names are compared and indexed in.</summary>
    public static string Key(string name) => name.ToLowerInvariant();

    /// <summary>"#rrggbb".</summary>
    public static bool IsValidColor(string? color) => color is not null && ColorPattern().IsMatch(color);

    /// <summary>
    /// Readable on light and dark backgrounds alike. A user who does not pick a color gets one of these, chosen by a
    /// stable hash of the name, so "bob" is the same color on every visit and on every server.
    /// </summary>
    private static readonly string[] Palette =
    [
        "#ef4444", "#f97316", "#d97706", "#65a30d", "#16a34a", "#059669", "#0d9488", "#0891b2",
        "#0284c7", "#2563eb", "#4f46e5", "#7c3aed", "#9333ea", "#c026d3", "#db2777", "#e11d48",
    ];

    public static string ColorFor(string name)
    {
        // FNV-1a: string.GetHashCode is randomized per process, which would change colors on every restart.
        uint hash = 2166136261;
        foreach (char c in Key(name))
        {
            hash ^= c;
            hash *= 16777619;
        }
        return Palette[hash % (uint)Palette.Length];
    }

    /// <summary>The chosen color, normalized to lower case, or the derived one when none was chosen.</summary>
    public static string ResolveColor(string? chosen, string name) =>
        chosen is null ? ColorFor(name) : chosen.ToLowerInvariant();
}
