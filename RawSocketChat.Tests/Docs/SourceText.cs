using System.Text.RegularExpressions;

namespace RawSocketChat.Tests.Docs;

/// <summary>
/// Just enough of C#'s layout, as this repository writes it (four-space indents, braces on their own lines), to find
/// the text of a member: its comments and attributes above it, its declaration and its body.
/// </summary>
internal static class SourceText
{
    private const string Modifiers = "public|private|protected|internal|static|readonly|const|override|async|unsafe|sealed|partial|virtual|abstract|extern|required|new|file|ref|volatile";

    /// <summary>
    /// Whether one of the declarations of <paramref name="member"/> in <paramref name="source"/> holds <c>[id]</c> in its
    /// text; <paramref name="declarations"/> says how many were found (overloads count apart).
    /// </summary>
    public static bool MemberCites(string source, string member, string id, out int declarations)
    {
        string[] lines = source.Replace("\r\n", "\n").Split('\n');
        // A modifier or more, anything but '=' or ';' (so not a field initializer's right-hand side), then the name
        // followed by what can follow a member's name: a parameter list, type parameters, a body, an initializer.
        var declaration = new Regex(@"^\s*(?:(?:" + Modifiers + @")\s+)+[^=;]*?\b" + Regex.Escape(member) + @"\s*(?:<[^>]*>\s*)?(?:\(|=>|\{|=|;|$)");
        string citation = "[" + id + "]";
        declarations = 0;
        for (int d = 0; d < lines.Length; d++)
        {
            if (!declaration.IsMatch(lines[d]))
                continue;
            declarations++;
            var (start, end) = Extent(lines, d);
            for (int i = start; i <= end; i++)
            {
                if (lines[i].Contains(citation, StringComparison.Ordinal))
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The lines of the member declared at line <paramref name="d"/>: the comments and attributes just above it at its
    /// indentation, then everything indented deeper, up to the closing brace at its indentation.
    /// </summary>
    private static (int Start, int End) Extent(string[] lines, int d)
    {
        int indent = Indent(lines[d]);
        int start = d;
        while (start > 0 && Indent(lines[start - 1]) == indent && lines[start - 1].TrimStart() is var above
            && (above.StartsWith("//", StringComparison.Ordinal) || above.StartsWith('[')))
            start--;

        int end = d;
        for (int i = d + 1; i < lines.Length; i++)
        {
            string text = lines[i].Trim();
            if (text.Length == 0 || Indent(lines[i]) > indent || (Indent(lines[i]) == indent && text == "{"))
            {
                end = i;
                continue;
            }
            if (Indent(lines[i]) == indent && text.StartsWith('}'))
                end = i;
            break;
        }
        return (start, end);
    }

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;
}
