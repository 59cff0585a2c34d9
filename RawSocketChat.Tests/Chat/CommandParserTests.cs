using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Chat;
using RawSocketChat.Chat.Commands;

namespace RawSocketChat.Tests.Chat;

public sealed class CommandParserTests
{
    private static readonly CommandParser Parser = new(CommandParser.CommandLimitFor(2000));

    private static CommandFields Parse(string json)
    {
        Assert.True(Parser.TryParse(Encoding.UTF8.GetBytes(json), out CommandFields command, out CommandError error), error.Message);
        return command;
    }

    private static CommandError Fail(string json)
    {
        Assert.False(Parser.TryParse(Encoding.UTF8.GetBytes(json), out _, out CommandError error));
        return error;
    }

    [Fact]
    public void Reads_every_known_field()
    {
        CommandFields c = Parse("""
            {"type":"send","name":"n","password":"p","color":"#123456","token":"t","room":"lobby",
             "text":"hi \"there\" \u00e9","ref":"c17","before":"0123456789abcdef01234567","limit":25}
            """);
        Assert.Equal("send", c.Type);
        Assert.Equal("n", c.Name);
        Assert.Equal("p", c.Password);
        Assert.Equal("#123456", c.Color);
        Assert.Equal("t", c.Token);
        Assert.Equal("lobby", c.Room);
        Assert.Equal("hi \"there\" é", c.Text);
        Assert.Equal("c17", c.Ref);
        Assert.Equal("0123456789abcdef01234567", c.Before);
        Assert.Equal(25, c.Limit);
    }

    [Fact]
    public void Reads_the_fields_of_edits_direct_messages_and_moderation()
    {
        CommandFields c = Parse("""
            {"type":"mute","to":"bob","id":"0123456789abcdef01234567","user":"mallory","reason":"spam \u00e9","seconds":600}
            """);
        Assert.Equal("bob", c.To);
        Assert.Equal("0123456789abcdef01234567", c.Id);
        Assert.Equal("mallory", c.User);
        Assert.Equal("spam é", c.Reason);
        Assert.Equal(600, c.Seconds);
        Assert.Null(c.Limit);
        Assert.Equal("mallory", Parse("""{"type":"ban","\u0075ser":"mallory"}""").User); // escaped names count too
    }

    [Theory]
    [InlineData("{\"type\":\"mute\",\"seconds\":\"60\"}", "'seconds' must be an integer")]
    [InlineData("{\"type\":\"mute\",\"seconds\":1,\"seconds\":2}", "duplicate property 'seconds'")]
    [InlineData("{\"type\":\"dm\",\"to\":[\"bob\"]}", "'to' must be a string")]
    [InlineData("{\"type\":\"edit\",\"id\":1}", "'id' must be a string")]
    [InlineData("{\"type\":\"kick\",\"user\":\"a\",\"user\":\"b\"}", "duplicate property 'user'")]
    public void Refuses_malformed_moderation_fields(string json, string reason)
    {
        CommandError error = Fail(json);
        Assert.Equal(ChatErrorCode.BadRequest, error.Code);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Ignores_unknown_fields_of_any_shape_and_escaped_names_still_count()
    {
        CommandFields c = Parse("""{"x":{"y":[1,2,{"z":null}]},"t\u0079pe":"rooms","n":true}""");
        Assert.Equal("rooms", c.Type);
    }

    [Theory]
    [InlineData("", "malformed JSON")]
    [InlineData("nope", "malformed JSON")]
    [InlineData("[]", "one JSON object")]
    [InlineData("42", "one JSON object")]
    [InlineData("{\"type\":\"rooms\"", "malformed JSON")]
    [InlineData("{\"type\":\"rooms\"}x", "malformed JSON")]
    [InlineData("{\"type\":\"rooms\"}{}", "malformed JSON")]
    [InlineData("{}", "'type' is required")]
    [InlineData("{\"type\":null}", "'type' must be a string")]
    [InlineData("{\"type\":\"send\",\"text\":1}", "'text' must be a string")]
    [InlineData("{\"type\":\"send\",\"room\":\"a\",\"room\":\"b\"}", "duplicate property 'room'")]
    [InlineData("{\"type\":\"history\",\"limit\":1.5}", "'limit' must be an integer")]
    [InlineData("{\"type\":\"history\",\"limit\":99999999999}", "'limit' must be an integer")]
    [InlineData("{\"type\":\"rooms\",/*c*/\"x\":1}", "malformed JSON")]
    [InlineData("{\"type\":\"send\",\"text\":\"\\ud800\"}", "not valid Unicode")]
    [InlineData("{\"type\":\"send\",\"ref\":\"\"}", "'ref' must be")]
    public void Refuses_what_is_not_a_command(string json, string reason)
    {
        CommandError error = Fail(json);
        Assert.Equal(ChatErrorCode.BadRequest, error.Code);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused()
    {
        string ok = "{\"type\":\"rooms\",\"x\":" + new string('[', CommandParser.MaxDepth - 1) + new string(']', CommandParser.MaxDepth - 1) + "}";
        Parse(ok);
        string deep = "{\"type\":\"rooms\",\"x\":" + new string('[', CommandParser.MaxDepth) + new string(']', CommandParser.MaxDepth) + "}";
        Assert.Equal(ChatErrorCode.BadRequest, Fail(deep).Code);
    }

    [Fact]
    public void Too_many_properties_are_refused()
    {
        string json = "{\"type\":\"rooms\"" + string.Concat(Enumerable.Range(0, CommandParser.MaxProperties).Select(i => $",\"p{i}\":0")) + "}";
        Assert.Contains("properties", Fail(json).Message);
    }

    [Fact]
    public void Oversized_messages_and_fields_are_refused_before_reading_them()
    {
        var parser = new CommandParser(100);
        byte[] big = Encoding.UTF8.GetBytes("{\"type\":\"send\",\"text\":\"" + new string('x', 200) + "\"}");
        Assert.False(parser.TryParse(big, out _, out CommandError error));
        Assert.Equal(ChatErrorCode.TooLong, error.Code);

        string longName = "{\"type\":\"login\",\"name\":\"" + new string('n', CommandParser.MaxFieldBytes + 1) + "\"}";
        Assert.Contains("'name' is too long", Fail(longName).Message);
    }

    [Fact]
    public void The_ref_is_kept_in_errors_when_it_was_readable()
    {
        Assert.Equal("r1", Fail("{\"ref\":\"r1\",\"type\":5}").Ref);
        Assert.Equal("r1", Fail("{\"ref\":\"r1\"}").Ref);
        Assert.Null(Fail("{\"ref\":\"" + new string('r', 65) + "\",\"type\":\"x\"}").Ref);
    }

    [Fact]
    public void The_size_limit_fits_the_longest_valid_text_in_the_worst_escaping()
    {
        string text = string.Concat(Enumerable.Repeat("\\ud83d\\ude42", 2000)); // 2000 emoji, each as an escaped surrogate pair
        string json = "{\"type\":\"send\",\"room\":\"" + new string('r', 24) + "\",\"ref\":\"" + new string('x', 64) + "\",\"text\":\"" + text + "\"}";
        Assert.Equal(4000, Parse(json).Text!.Length);
    }

    [Property(MaxTest = 300)]
    public Property Never_throws_on_any_bytes() =>
        Prop.ForAll(Arb.From(Gen.ArrayOf(Gen.Elements<byte>((byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)'"', (byte)':', (byte)',', (byte)'\\',
            (byte)'t', (byte)'y', (byte)'p', (byte)'e', (byte)'1', (byte)' ', 0xC3, 0xA9, 0xFF, 0))), bytes =>
        {
            bool ok = Parser.TryParse(bytes, out CommandFields command, out CommandError error);
            return ok ? command.Type is not null : error.Code is not null && command.Type is null;
        });

    [Property(MaxTest = 200)]
    public Property Any_string_field_round_trips(NonNull<string> value) =>
        Prop.ForAll(Arb.From(Gen.Constant(value.Get)), text =>
        {
            string json = System.Text.Json.JsonSerializer.Serialize(new { type = "send", text });
            bool ok = Parser.TryParse(Encoding.UTF8.GetBytes(json), out CommandFields command, out _);
            // Strings with lone surrogates are serialized as escapes that are not valid Unicode: refused, never mangled.
            return ok ? command.Text == text : !IsWellFormed(text);
        });

    private static bool IsWellFormed(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1])) return false;
                i++;
            }
            else if (char.IsLowSurrogate(s[i])) return false;
        }
        return true;
    }
}
