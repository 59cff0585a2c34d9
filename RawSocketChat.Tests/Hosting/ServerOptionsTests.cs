using RawSocketChat.Diagnostics;
using RawSocketChat.Hosting;
using RawSocketChat.Http;

namespace RawSocketChat.Tests.Hosting;

public class ServerOptionsTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    private static ServerOptions Parse(params string[] args) => Parse(NoEnvironment, args);

    private static ServerOptions Parse(Func<string, string?> environment, params string[] args)
    {
        ServerOptions? options = ServerOptions.Parse(args, environment, out bool help, out string? error);
        Assert.True(options is not null, error);
        Assert.False(help);
        Assert.Null(error);
        return options;
    }

    private static string ParseError(params string[] args) => ParseError(NoEnvironment, args);

    private static string ParseError(Func<string, string?> environment, params string[] args)
    {
        ServerOptions? options = ServerOptions.Parse(args, environment, out _, out string? error);
        Assert.Null(options);
        Assert.False(string.IsNullOrWhiteSpace(error));
        return error;
    }

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Defaults_are_safe_for_a_local_server()
    {
        ServerOptions options = Parse();

        Assert.Equal("127.0.0.1", options.Host); // not reachable from the network until asked
        Assert.Equal(8080, options.Port);
        Assert.Equal(8192, options.MaxHeaderBytes);
        Assert.Equal(TimeSpan.FromSeconds(10), options.HandshakeTimeout);
        Assert.Equal(1024 * 1024, options.MaxMessageBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), options.PingInterval);
        Assert.Equal(TimeSpan.FromSeconds(75), options.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.CloseTimeout);
        Assert.Equal(4 * 1024 * 1024, options.MaxSendBufferBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), options.SendTimeout);
        Assert.False(options.Diagnostics); // a forced full GC per request is for tests, never on by default
        Assert.Equal("", options.AdminSecret); // generated at start when a --admin name needs one
        Assert.Equal(OriginPolicy.Default, options.AllowedOrigins);
        Assert.Equal("", options.TrustedProxies);
        Assert.Equal(LogLevel.Info, options.LogLevel);
    }

    [Fact]
    public void Option_value_may_follow_as_the_next_argument_or_after_an_equals_sign()
    {
        Assert.Equal(9000, Parse("--port", "9000").Port);
        Assert.Equal(9000, Parse("--port=9000").Port);
        Assert.Equal("a=b", Parse("--admin=a=b").Admin); // only the first '=' separates
    }

    [Fact]
    public void Several_options_are_read_in_order_and_the_last_one_wins()
    {
        ServerOptions options = Parse("--host", "0.0.0.0", "--port=1", "--max-header-bytes", "4096", "--port", "2");

        Assert.Equal(("0.0.0.0", 2, 4096), (options.Host, options.Port, options.MaxHeaderBytes));
    }

    [Fact]
    public void Environment_variable_sets_an_option()
    {
        ServerOptions options = Parse(Environment(("RAWSOCKETCHAT_PORT", "9001"), ("RAWSOCKETCHAT_MAX_HEADER_BYTES", "1024")));

        Assert.Equal((9001, 1024), (options.Port, options.MaxHeaderBytes));
    }

    [Fact]
    public void Command_line_beats_the_environment()
    {
        ServerOptions options = Parse(Environment(("RAWSOCKETCHAT_PORT", "9001")), "--port", "9002");

        Assert.Equal(9002, options.Port);
    }

    [Fact]
    public void Empty_environment_variable_is_ignored() =>
        Assert.Equal(8080, Parse(Environment(("RAWSOCKETCHAT_PORT", ""))).Port);

    [Fact]
    public void Bad_environment_value_is_an_error_naming_the_variable() =>
        Assert.Contains("RAWSOCKETCHAT_PORT", ParseError(Environment(("RAWSOCKETCHAT_PORT", "eighty"))));

    [Theory]
    [InlineData("--bogus", "1")]
    [InlineData("--Port", "1")] // option names are exact
    [InlineData("--bogus=1")]
    [InlineData("-p", "1")]
    [InlineData("port")]
    public void Unknown_option_or_stray_argument_is_an_error(params string[] args) =>
        ParseError(args);

    [Fact]
    public void Unknown_option_error_names_it() =>
        Assert.Contains("--bogus", ParseError("--bogus", "1"));

    [Fact]
    public void Option_without_its_value_is_an_error() =>
        Assert.Contains("--port", ParseError("--port"));

    [Theory]
    [InlineData("--port", "http")]
    [InlineData("--port", "-1")]
    [InlineData("--port", "65536")]
    [InlineData("--port", "99999999999")]
    [InlineData("--port", "")]
    [InlineData("--port", "8080.5")]
    [InlineData("--host", "example.com")]
    [InlineData("--host", "999.0.0.1")]
    [InlineData("--max-header-bytes", "100")] // too small for a handshake
    [InlineData("--max-message-bytes", "0")]
    [InlineData("--handshake-timeout", "0s")]
    [InlineData("--handshake-timeout", "-5s")]
    [InlineData("--handshake-timeout", "ten")]
    [InlineData("--handshake-timeout", "10x")]
    [InlineData("--handshake-timeout", "NaNs")]
    [InlineData("--handshake-timeout", "1e400s")]
    [InlineData("--handshake-timeout", "0.0000000001s")] // rounds to zero
    [InlineData("--rate", "0")]
    [InlineData("--rate", "Infinity")]
    [InlineData("--log-level", "verbose")]
    [InlineData("--log-level", "42")]
    [InlineData("--log-level", "info, warn")]
    [InlineData("--allowed-origins", "evil.example")]
    [InlineData("--trusted-proxies", "not-an-ip")]
    [InlineData("--send-timeout", "0s")]
    [InlineData("--diagnostics", "yes")]
    [InlineData("--inspector", "yes")]
    [InlineData("--room-list-interval", "5ms")] // below 10 ms: a busy server would send everyone updates nonstop
    [InlineData("--room-list-interval", "2h")]  // above 1 h: a list that never updates
    [InlineData("--room-list-interval", "0s")]
    public void Bad_value_is_an_error_naming_the_option(string option, string value) =>
        Assert.Contains(option, ParseError(option, value));

    [Fact]
    public void Idle_timeout_must_exceed_the_ping_interval()
    {
        // Otherwise a live but quiet peer would be dropped before it was ever pinged.
        Assert.Contains("--idle-timeout", ParseError("--ping-interval", "30s", "--idle-timeout", "30s"));
        Assert.Equal(TimeSpan.FromSeconds(31), Parse("--ping-interval", "30s", "--idle-timeout", "31s").IdleTimeout);
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("10s", 10_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("30d", 2_592_000_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("7", 7_000)] // a bare number is seconds
    [InlineData(" 2s ", 2_000)]
    public void Durations_take_a_unit(string text, long milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ServerOptions.ParseDuration(text));

    [Fact]
    public void Duration_option_is_parsed_with_its_unit()
    {
        ServerOptions options = Parse("--handshake-timeout", "500ms", "--close-timeout=2m", "--session-ttl", "7d");

        Assert.Equal(TimeSpan.FromMilliseconds(500), options.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), options.CloseTimeout);
        Assert.Equal(TimeSpan.FromDays(7), options.SessionTtl);
    }

    [Theory]
    [InlineData("trace", LogLevel.Trace)]
    [InlineData("WARN", LogLevel.Warn)]
    [InlineData("none", LogLevel.None)]
    public void Log_level_names_are_case_insensitive(string text, LogLevel level) =>
        Assert.Equal(level, Parse("--log-level", text).LogLevel);

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("-?")]
    public void Help_flag_asks_for_help(string flag)
    {
        ServerOptions? options = ServerOptions.Parse(["--port", "9000", flag, "--bogus"], NoEnvironment, out bool help, out string? error);

        Assert.True(help);
        Assert.Null(error);
        Assert.NotNull(options);
    }

    [Fact]
    public void Help_text_lists_every_option_with_its_environment_variable_and_default()
    {
        string text = ServerOptions.HelpText();

        foreach (ServerOptions.Option option in ServerOptions.All)
        {
            Assert.Contains("--" + option.Name, text);
            Assert.Contains(option.EnvironmentVariable, text);
        }
        Assert.Contains("RAWSOCKETCHAT_MAX_HEADER_BYTES", text);
        Assert.Contains("default: 10s", text); // the handshake timeout, written as it would be typed
        Assert.Contains("default: 8192", text);
    }

    [Fact]
    public void Every_option_accepts_its_own_default_as_a_value()
    {
        // The help text shows defaults in the option's own syntax, so pasting one back must work.
        var defaults = new ServerOptions();
        foreach (ServerOptions.Option option in ServerOptions.All)
        {
            string value = option.Default(defaults);
            if (value.Length == 0) continue;
            ServerOptions parsed = Parse("--" + option.Name, value);
            Assert.Equal(value, option.Default(parsed));
        }
    }

    [Fact]
    public void Environment_variable_names_follow_the_option_names()
    {
        Assert.Equal("RAWSOCKETCHAT_PORT", ServerOptions.All.Single(o => o.Name == "port").EnvironmentVariable);
        Assert.Equal("RAWSOCKETCHAT_MAX_SEND_BUFFER_BYTES", ServerOptions.All.Single(o => o.Name == "max-send-buffer-bytes").EnvironmentVariable);
        Assert.Equal(ServerOptions.All.Count, ServerOptions.All.Select(o => o.Name).Distinct().Count());
    }

    [Fact]
    public void A_bad_mongo_connection_string_is_refused_without_echoing_its_password()
    {
        string error = ParseError("--mongo", "mongodb://alice:s3cret@host:notaport/chat");
        Assert.Contains("--mongo", error);
        Assert.DoesNotContain("s3cret", error);
    }
}
