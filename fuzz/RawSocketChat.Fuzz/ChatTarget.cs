using System.Buffers;
using System.Reflection;
using System.Text;
using System.Text.Unicode;
using RawSocketChat.Chat;
using RawSocketChat.Chat.Commands;

namespace RawSocketChat.Fuzz;

/// <summary>
/// <c>chat</c>: one WebSocket text message through the chat's JSON <see cref="CommandParser"/>, then the accepted
/// fields through the rules the handlers apply (<see cref="TextRules"/>, <see cref="NameRules"/>).
/// <para>Input layout: byte 0 picks the message limit (bits 0–1); the rest is the message.</para>
/// Invariants:
/// <list type="number">
/// <item>nothing throws: the parser's rejection is a <see cref="CommandError"/>, never an exception;</item>
/// <item>a rejection carries bad_request or too_long, a message, and a ref only when it is 1–64 printable characters;
///   a message over the limit is too_long;</item>
/// <item>an accepted command has a type, every short field within MaxFieldBytes, text within the message limit, a
///   valid ref if any, and only well-formed UTF-16 strings;</item>
/// <item>parse of encode is identity: the accepted command written back as minimal JSON parses to the same command
///   (every string and integer field of <see cref="CommandFields"/>, found by reflection);</item>
/// <item>TextRules.Normalize and NameRules never throw, and what Normalize accepts is within its length and has no
///   control characters but newline and tab;</item>
/// <item>a parse allocates at most a small multiple of the message size.</item>
/// </list>
/// </summary>
public sealed class ChatTarget : IFuzzTarget
{
    public string Name => "chat";

    // The server's limit for the default --max-text-length 2000, the smallest limit, and two in between.
    private static readonly int[] TextLengths = [2000, 10, 300, 2000];

    public void Run(ReadOnlySpan<byte> input)
    {
        byte config = input.Length > 0 ? input[0] : (byte)0;
        ReadOnlySpan<byte> message = input.Length > 1 ? input[1..] : [];
        int maxTextLength = TextLengths[config & 3];
        var parser = new CommandParser(CommandParser.CommandLimitFor(maxTextLength));

        CommandFields command = Parse(parser, message, out CommandError error, out bool ok);
        if (!ok)
        {
            Invariant.Check(command.Type is null, "rejected with a command");
            Invariant.Check(error.Code is ChatErrorCode.BadRequest or ChatErrorCode.TooLong, () => $"rejected with code '{error.Code}'");
            Invariant.Check(!string.IsNullOrEmpty(error.Message), "rejected without a message");
            Invariant.Check(error.Ref is null || IsValidRef(error.Ref), () => $"error echoes ref '{error.Ref}'");
            Invariant.Check(message.Length <= parser.MaxCommandBytes || error.Code == ChatErrorCode.TooLong, "oversized message not too_long");
            return;
        }

        Invariant.Check(message.Length <= parser.MaxCommandBytes, "accepted a message over the limit");
        if (command.Type is null)
            throw new InvariantViolation("accepted without a command or a type");
        foreach (FieldInfo property in StringFields)
        {
            string? field = (string?)property.GetValue(command);
            int max = property.Name == nameof(CommandFields.Text) ? parser.MaxCommandBytes : CommandParser.MaxFieldBytes;
            Invariant.Check(field is null || WellFormed(field) && Encoding.UTF8.GetByteCount(field) <= max,
                () => $"'{JsonName(property)}' of {Encoding.UTF8.GetByteCount(field!)} bytes or ill-formed accepted");
        }
        Invariant.Check(command.Ref is null || IsValidRef(command.Ref), () => $"ref '{command.Ref}' accepted");

        // Parse of encode is identity.
        byte[] encoded = Encode(command);
        CommandFields again = Parse(parser, encoded, out CommandError againError, out bool againOk);
        Invariant.Check(againOk, () => $"re-encoded command rejected: {againError} ({Encoding.UTF8.GetString(encoded)})");
        Invariant.Check(Same(command, again), () => $"re-encoded command parsed differently: {Encoding.UTF8.GetString(encoded)}");

        // What the handlers do next with the fields.
        if (command.Text is not null)
        {
            string? text = TextRules.Normalize(command.Text, maxTextLength, out string? code, out string? why);
            if (text is null)
                Invariant.Check(code is not null && why is not null, "Normalize refused without a reason");
            else
            {
                Invariant.Check(text.Length > 0 && text.EnumerateRunes().Count() <= maxTextLength, "Normalize accepted too long or empty text");
                Invariant.Check(!text.EnumerateRunes().Any(r => Rune.IsControl(r) && r.Value is not ('\n' or '\t')), "Normalize accepted a control character");
            }
        }
        foreach (string? name in new[] { command.Name, command.Room })
        {
            if (name is not null && NameRules.IsValidName(name))
                Invariant.Check(NameRules.Key(name).Length == name.Length && NameRules.ColorFor(name).Length == 7, "name key or color malformed");
        }
        if (command.Color is not null && NameRules.IsValidColor(command.Color))
            Invariant.Check(NameRules.IsValidColor(NameRules.ResolveColor(command.Color, "x")), "resolved color invalid");
    }

    private static CommandFields Parse(CommandParser parser, ReadOnlySpan<byte> message, out CommandError error, out bool ok)
    {
        // Field strings (UTF-16: at most twice the bytes), the command, error messages and the JsonException thrown
        // for malformed JSON (with its stack trace): linear in the message, plus a constant.
        long bound = 4L * Math.Min(message.Length, parser.MaxCommandBytes) + 32 * 1024;
        long before = GC.GetAllocatedBytesForCurrentThread();
        ok = parser.TryParse(message, out CommandFields command, out error);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        int length = message.Length;
        Invariant.Check(!Invariant.CheckAllocations || allocated <= bound, () => $"CommandParser.TryParse allocated {allocated} bytes for {length}, bound {bound}");
        return command;
    }

    private static bool IsValidRef(string r) => r.Length is > 0 and <= CommandParser.MaxRefLength && !r.Any(char.IsControl);

    private static bool WellFormed(string s) =>
        Utf8.FromUtf16(s, new byte[Encoding.UTF8.GetMaxByteCount(s.Length)], out _, out _, replaceInvalidSequences: false) == OperationStatus.Done;

    // Every field of CommandFields, found by reflection so that a field added to the protocol is fuzzed (and
    // round-tripped) without touching this target. The JSON name is the field name in camel case ("Seconds" is "seconds").
    private static readonly FieldInfo[] StringFields = typeof(CommandFields).GetFields()
        .Where(p => p.FieldType == typeof(string)).ToArray();

    private static readonly FieldInfo[] IntFields = typeof(CommandFields).GetFields()
        .Where(p => p.FieldType == typeof(int?)).ToArray();

    private static string JsonName(FieldInfo field) => char.ToLowerInvariant(field.Name[0]) + field.Name[1..];

    private static bool Same(CommandFields a, CommandFields b) =>
        StringFields.Concat(IntFields).All(p => Equals(p.GetValue(a), p.GetValue(b)));

    /// <summary>
    /// The shortest JSON for a command: only '"', '\' and control characters escaped. No field comes out longer than
    /// it was sent, so a command within the limits stays within them.
    /// </summary>
    private static byte[] Encode(CommandFields c)
    {
        var json = new StringBuilder("{");
        void Field(string name, string? value)
        {
            if (value is null) return;
            if (json.Length > 1) json.Append(',');
            json.Append('"').Append(name).Append("\":\"");
            foreach (char ch in value)
            {
                switch (ch)
                {
                    case '"': json.Append("\\\""); break;
                    case '\\': json.Append("\\\\"); break;
                    case '\b': json.Append("\\b"); break;
                    case '\f': json.Append("\\f"); break;
                    case '\n': json.Append("\\n"); break;
                    case '\r': json.Append("\\r"); break;
                    case '\t': json.Append("\\t"); break;
                    case < ' ': json.Append("\\u").Append(((int)ch).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)); break;
                    default: json.Append(ch); break;
                }
            }
            json.Append('"');
        }
        foreach (FieldInfo property in StringFields)
            Field(JsonName(property), (string?)property.GetValue(c));
        foreach (FieldInfo property in IntFields)
        {
            if (property.GetValue(c) is int number)
                json.Append(json.Length > 1 ? "," : "").Append('"').Append(JsonName(property)).Append("\":")
                    .Append(number.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        json.Append('}');
        return Encoding.UTF8.GetBytes(json.ToString());
    }
}
