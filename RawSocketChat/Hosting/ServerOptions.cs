using System.Globalization;
using System.Net;
using RawSocketChat.Chat;
using RawSocketChat.Diagnostics;
using RawSocketChat.Http;
using RawSocketChat.Protocol.Deflate;
using RawSocketChat.Storage.Mongo;
using RawSocketChat.Transport;

namespace RawSocketChat.Hosting;

/// <summary>
/// Every setting of the server, with its safe default. Each one is a command-line option <c>--name value</c> and an
/// environment variable <c>RAWSOCKETCHAT_NAME</c> (dashes become underscores); the command line wins.
/// <para>
/// A default is written once, by the layer that uses the setting: the transport's in <see cref="ServerSettings"/>
/// and <see cref="ConnectionSettings"/>, the protocol's in <see cref="Protocol.ReceiverOptions"/> and
/// <see cref="DeflateOptions"/>, the chat's in <see cref="ChatSettings"/>, MongoDB's in <see cref="MongoStoreOptions"/>.
/// The options start from those; only what no layer below knows (logging, the store's file, the endpoints) is set
/// here. <see cref="App"/> maps the options back into each layer's settings.
/// </para>
/// </summary>
public sealed class ServerOptions
{
    private static readonly ServerSettings TransportDefaults = new();
    private static readonly ConnectionSettings ConnectionDefaults = TransportDefaults.Connection;
    private static readonly DeflateOptions DeflateDefaults = new();
    private static readonly ChatSettings ChatDefaults = new();

    // Network
    public string Host { get; set; } = TransportDefaults.Host;
    public int Port { get; set; } = TransportDefaults.Port;
    public LogLevel LogLevel { get; set; } = LogLevel.Info;

    // Opening handshake
    public int MaxHeaderBytes { get; set; } = TransportDefaults.MaxHeaderBytes;
    public TimeSpan HandshakeTimeout { get; set; } = TransportDefaults.HandshakeTimeout;
    public string AllowedOrigins { get; set; } = TransportDefaults.AllowedOrigins;

    // Framing and connection life
    public long MaxMessageBytes { get; set; } = ConnectionDefaults.Receiver.MaxMessageBytes;
    public long MaxSendBufferBytes { get; set; } = ConnectionDefaults.MaxSendBufferBytes;
    public TimeSpan SendTimeout { get; set; } = ConnectionDefaults.SendTimeout;
    public TimeSpan PingInterval { get; set; } = ConnectionDefaults.PingInterval;
    public TimeSpan IdleTimeout { get; set; } = ConnectionDefaults.IdleTimeout;
    public TimeSpan CloseTimeout { get; set; } = ConnectionDefaults.CloseTimeout;
    public TimeSpan ShutdownTimeout { get; set; } = TransportDefaults.ShutdownTimeout;

    // Abuse protection
    public int MaxConnections { get; set; } = TransportDefaults.MaxConnections;
    public int MaxConnectionsPerIp { get; set; } = TransportDefaults.MaxConnectionsPerIp;
    public string TrustedProxies { get; set; } = TransportDefaults.TrustedProxies;

    // Chat
    public string Data { get; set; } = Path.Combine(".", "data", "rawsocketchat.db");
    public double Rate { get; set; } = ChatDefaults.Rate;
    public int Burst { get; set; } = ChatDefaults.Burst;
    public int MaxTextLength { get; set; } = ChatDefaults.MaxTextLength;
    public int Pbkdf2Iterations { get; set; } = ChatDefaults.Pbkdf2Iterations;
    public string Admin { get; set; } = ChatDefaults.Admin;
    public string AdminSecret { get; set; } = ChatDefaults.AdminSecret;
    public TimeSpan SessionTtl { get; set; } = ChatDefaults.SessionTtl;
    public double IpRate { get; set; } = ChatDefaults.IpRate;
    public int IpBurst { get; set; } = ChatDefaults.IpBurst;
    public TimeSpan FloodWindow { get; set; } = ChatDefaults.FloodWindow;
    public TimeSpan TypingInterval { get; set; } = ChatDefaults.TypingInterval;
    public TimeSpan RoomListInterval { get; set; } = ChatDefaults.RoomListInterval;
    public int MaxRooms { get; set; } = ChatDefaults.MaxRooms;
    public int MaxReactionEmoji { get; set; } = ChatDefaults.MaxReactionEmoji;
    public int MaxMentions { get; set; } = ChatDefaults.MaxMentions;
    public int MaxUnreadCount { get; set; } = ChatDefaults.MaxUnreadCount;
    public double SearchRate { get; set; } = ChatDefaults.SearchRate;
    public int SearchBurst { get; set; } = ChatDefaults.SearchBurst;
    public int MaxSearchLength { get; set; } = ChatDefaults.MaxSearchLength;
    public int MaxSearchTerms { get; set; } = ChatDefaults.MaxSearchTerms;

    /// <summary>The page served at <c>GET /</c>.</summary>
    public string ClientHtml { get; set; } = "client.html";

    // permessage-deflate (RFC 7692) and TLS
    /// <summary>On unless <c>--deflate off</c>: offered to every client that asks (<see cref="ConnectionSettings.Deflate"/> null is off).</summary>
    public bool Deflate { get; set; } = true;
    public int DeflateThreshold { get; set; } = DeflateDefaults.Threshold;
    public bool DeflateContextTakeover { get; set; } = DeflateDefaults.ContextTakeover;
    public string TlsCert { get; set; } = TransportDefaults.TlsCert;
    public string TlsKey { get; set; } = TransportDefaults.TlsKey;

    // MongoDB store (instead of the embedded SQLite one when --mongo is set)
    public string Mongo { get; set; } = "";
    public string MongoWriteConcern { get; set; } = MongoStoreOptions.DefaultWriteConcern;
    public TimeSpan MongoTimeout { get; set; } = MongoStoreOptions.DefaultTimeout;

    /// <summary>Serves <c>GET /debug/memory</c> to loopback clients (a forced full collection per request).</summary>
    public bool Diagnostics { get; set; }
    public bool Inspector { get; set; }

    public static IReadOnlyList<Option> All { get; } =
    [
        new("host", "Address to listen on", o => o.Host, (o, v) => o.Host = v),
        new("port", "TCP port", o => o.Port.ToString(CultureInfo.InvariantCulture), (o, v) => o.Port = ParseInt(v, 0, 65535)),
        new("log-level", "trace, debug, info, warn, error or none", o => o.LogLevel.ToString().ToLowerInvariant(), (o, v) => o.LogLevel = ParseLogLevel(v)),
        new("max-header-bytes", "Largest request line + headers; larger gets 431", o => Num(o.MaxHeaderBytes), (o, v) => o.MaxHeaderBytes = ParseInt(v, 256, 1 << 20)),
        new("handshake-timeout", "Time to complete the opening handshake before the TCP connection is dropped", o => Dur(o.HandshakeTimeout), (o, v) => o.HandshakeTimeout = ParseDuration(v)),
        new("allowed-origins", "Browser origins allowed: '*', 'self', 'null' or scheme://host[:port], comma-separated", o => o.AllowedOrigins, (o, v) => { _ = new OriginPolicy(v); o.AllowedOrigins = v; }),
        new("max-message-bytes", "Largest WebSocket message across all fragments; larger closes with 1009", o => Num(o.MaxMessageBytes), (o, v) => o.MaxMessageBytes = ParseInt(v, ConnectionSettings.MinMessageLimit, ConnectionSettings.MaxMessageLimit)),
        new("max-send-buffer-bytes", "Outbound bytes that may wait behind the write in progress; past it the peer is closed with 1008 (a message alone is always sent, whatever its size)", o => Num(o.MaxSendBufferBytes), (o, v) => o.MaxSendBufferBytes = ParseInt(v, 1024, int.MaxValue)),
        new("send-timeout", "A write to the peer that makes no progress for this long drops the connection (the peer reads nothing)", o => Dur(o.SendTimeout), (o, v) => o.SendTimeout = ParseDuration(v)),
        new("ping-interval", "Send a ping when nothing was received for this long", o => Dur(o.PingInterval), (o, v) => o.PingInterval = ParseDuration(v)),
        new("idle-timeout", "Close a connection from which nothing was received for this long", o => Dur(o.IdleTimeout), (o, v) => o.IdleTimeout = ParseDuration(v)),
        new("close-timeout", "Wait this long for the peer's Close before dropping TCP", o => Dur(o.CloseTimeout), (o, v) => o.CloseTimeout = ParseDuration(v)),
        new("shutdown-timeout", "On SIGTERM/Ctrl+C, wait this long for connections to close", o => Dur(o.ShutdownTimeout), (o, v) => o.ShutdownTimeout = ParseDuration(v)),
        new("max-connections", "Open connections in total; over it a handshake gets 503", o => Num(o.MaxConnections), (o, v) => o.MaxConnections = ParseInt(v, 1, 10_000_000)),
        new("max-connections-per-ip", "Open WebSocket connections per client IP; over it a handshake gets 503", o => Num(o.MaxConnectionsPerIp), (o, v) => o.MaxConnectionsPerIp = ParseInt(v, 1, 10_000_000)),
        new("trusted-proxies", "Proxy addresses or CIDR ranges whose X-Forwarded-For is believed, comma-separated", o => o.TrustedProxies, (o, v) => { _ = ProxyList.Parse(v); o.TrustedProxies = v; }),
        new("data", "SQLite database file of the embedded store (:memory: keeps nothing)", o => o.Data, (o, v) => o.Data = v),
        new("rate", "Chat messages per second allowed per connection (see also --ip-rate)", o => o.Rate.ToString(CultureInfo.InvariantCulture), (o, v) => o.Rate = ParseDouble(v)),
        new("burst", "Chat messages allowed in a burst above the rate", o => Num(o.Burst), (o, v) => o.Burst = ParseInt(v, 1, 1_000_000)),
        new("max-text-length", "Longest chat message text, in characters", o => Num(o.MaxTextLength), (o, v) => o.MaxTextLength = ParseInt(v, 1, 1_000_000)),
        new("pbkdf2-iterations", "PBKDF2-HMAC-SHA256 iterations for new password hashes", o => Num(o.Pbkdf2Iterations), (o, v) => o.Pbkdf2Iterations = ParseInt(v, 1, 100_000_000)),
        new("admin", "User names that are admins, comma-separated; one without an account is reserved for registration with the admin secret", o => o.Admin, (o, v) => o.Admin = v),
        new("admin-secret", "The secret that registers a --admin name (default: generated at start and printed once in the log)", o => o.AdminSecret, (o, v) => o.AdminSecret = v.Trim(), Secret: true),
        new("session-ttl", "Lifetime of a login session token", o => Dur(o.SessionTtl), (o, v) => o.SessionTtl = ParseDuration(v)),
        new("client-html", "File served at GET /", o => o.ClientHtml, (o, v) => o.ClientHtml = v),
        new("ip-rate", "Chat messages per second allowed per client IP, all its connections together", o => o.IpRate.ToString(CultureInfo.InvariantCulture), (o, v) => o.IpRate = ParseDouble(v)),
        new("ip-burst", "Chat messages allowed in a burst per client IP", o => Num(o.IpBurst), (o, v) => o.IpBurst = ParseInt(v, 1, 1_000_000)),
        new("flood-window", "A client sending about 3x the rate for this long is closed with 1008", o => Dur(o.FloodWindow), (o, v) => o.FloodWindow = ParseDuration(v)),
        new("typing-interval", "Typing notifications relayed at most once per user per room per interval", o => Dur(o.TypingInterval), (o, v) => o.TypingInterval = ParseDuration(v)),
        new("room-list-interval", "Room list changes (new rooms, member and online counts) go out at most once per interval", o => Dur(o.RoomListInterval), (o, v) => o.RoomListInterval = ParseDuration(v, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1))),
        new("max-rooms", "Public rooms the server holds; creating one more is refused with too_many_rooms", o => Num(o.MaxRooms), (o, v) => o.MaxRooms = ParseInt(v, 1, 10_000_000)),
        new("max-mentions", "Users one message can mention; the @names past it are plain text", o => Num(o.MaxMentions), (o, v) => o.MaxMentions = ParseInt(v, 0, 1000)),
        new("max-unread-count", "Where unread stops counting a room's messages and mentions (the badge shows the cap and a +)", o => Num(o.MaxUnreadCount), (o, v) => o.MaxUnreadCount = ParseInt(v, 1, 1_000_000)),
        new("max-reaction-emoji", "Distinct emoji one message can carry as reactions; one more is refused with too_many_reactions", o => Num(o.MaxReactionEmoji), (o, v) => o.MaxReactionEmoji = ParseInt(v, 1, 1000)),
        new("search-rate", "Searches per second allowed per user, all their connections together", o => o.SearchRate.ToString(CultureInfo.InvariantCulture), (o, v) => o.SearchRate = ParseDouble(v)),
        new("search-burst", "Searches allowed in a burst per user", o => Num(o.SearchBurst), (o, v) => o.SearchBurst = ParseInt(v, 1, 1_000_000)),
        new("max-search-length", "Longest search query, in characters", o => Num(o.MaxSearchLength), (o, v) => o.MaxSearchLength = ParseInt(v, 1, 100_000)),
        new("max-search-terms", "Most words, prefixes and phrases one search may hold", o => Num(o.MaxSearchTerms), (o, v) => o.MaxSearchTerms = ParseInt(v, 1, 1000)),
        new("deflate", "Offer permessage-deflate (RFC 7692) compression to clients: on or off", o => OnOff(o.Deflate), (o, v) => o.Deflate = ParseOnOff(v)),
        new("deflate-threshold", "Messages shorter than this many bytes are sent uncompressed", o => Num(o.DeflateThreshold), (o, v) => o.DeflateThreshold = ParseInt(v, 0, 1 << 30)),
        new("deflate-context-takeover", "Keep each connection's compression window between messages (better ratio, ~300 KiB per connection); off saves the memory", o => OnOff(o.DeflateContextTakeover), (o, v) => o.DeflateContextTakeover = ParseOnOff(v)),
        new("tls-cert", "PEM certificate (leaf first, then intermediates): serve https:// and wss://; reloaded on SIGHUP", o => o.TlsCert, (o, v) => o.TlsCert = v),
        new("tls-key", "PEM private key (unencrypted) of --tls-cert", o => o.TlsKey, (o, v) => o.TlsKey = v),
        new("mongo", "MongoDB connection string (mongodb://host:27017/rawsocketchat): store in MongoDB instead of --data", o => o.Mongo, (o, v) => { if (v.Length > 0) _ = MongoStoreOptions.ParseConnectionString(v); o.Mongo = v; }, Secret: true),
        new("mongo-write-concern", "Acknowledgement MongoDB writes wait for: majority or a member count (always journaled)", o => o.MongoWriteConcern, (o, v) => { _ = MongoStoreOptions.ParseWriteConcern(v); o.MongoWriteConcern = v.Trim(); }),
        new("mongo-timeout", "How long start-up and each MongoDB operation wait for a reachable server before failing", o => Dur(o.MongoTimeout), (o, v) => o.MongoTimeout = ParseDuration(v)),
        new("inspector", "Serve the frame inspector at GET /inspect: a page that shows the handshake and every frame of the visitor's own connection, and can inject frames into it: on or off", o => OnOff(o.Inspector), (o, v) => o.Inspector = ParseOnOff(v)),
        new("diagnostics", "Serve GET /debug/memory to loopback clients: the live heap after a forced full GC (for leak tests; pauses the server): on or off", o => OnOff(o.Diagnostics), (o, v) => o.Diagnostics = ParseOnOff(v)),
    ];

    /// <summary>One option. A <paramref name="Secret"/> value (a connection string with a password) is never echoed in errors.</summary>
    public sealed record Option(string Name, string Help, Func<ServerOptions, string> Default, Action<ServerOptions, string> Set, bool Secret = false)
    {
        public string EnvironmentVariable => "RAWSOCKETCHAT_" + Name.Replace('-', '_').ToUpperInvariant();
    }

    /// <summary>
    /// Reads environment variables, then the command line. Returns null with <paramref name="error"/> set when an
    /// option is unknown or its value invalid; <paramref name="help"/> is true for <c>--help</c>.
    /// </summary>
    public static ServerOptions? Parse(string[] args, Func<string, string?> environment, out bool help, out string? error)
    {
        var options = new ServerOptions();
        help = false;
        error = null;
        try
        {
            foreach (Option option in All)
            {
                string? value = environment(option.EnvironmentVariable);
                if (!string.IsNullOrEmpty(value))
                    Apply(options, option, value, option.EnvironmentVariable);
            }

            for (int i = 0; i < args.Length; i++)
            {
                string arg = args[i];
                if (arg is "--help" or "-h" or "-?")
                {
                    help = true;
                    return options;
                }
                if (!arg.StartsWith("--", StringComparison.Ordinal))
                    throw new FormatException($"Unexpected argument '{arg}'");

                string name = arg[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
                Option option = All.FirstOrDefault(o => o.Name == name) ?? throw new FormatException($"Unknown option '--{name}' (see --help)");
                if (value is null)
                {
                    if (i + 1 >= args.Length) throw new FormatException($"Option '--{name}' needs a value");
                    value = args[++i];
                }
                Apply(options, option, value, "--" + name);
            }
            options.Validate();
            return options;
        }
        catch (FormatException e)
        {
            error = e.Message;
            return null;
        }
    }

    private static void Apply(ServerOptions options, Option option, string value, string source)
    {
        try
        {
            option.Set(options, value);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            // A parser's message may quote the value too, so a secret gets neither.
            throw new FormatException(option.Secret
                ? $"Invalid value for {source} (not shown, it may hold a password)"
                : $"Invalid value '{value}' for {source}: {e.Message}");
        }
    }

    private void Validate()
    {
        if (!IPAddress.TryParse(Host, out _) && Host != "localhost")
            throw new FormatException($"--host must be an IP address or localhost, not '{Host}'");
        if (IdleTimeout <= PingInterval)
            throw new FormatException("--idle-timeout must be longer than --ping-interval, or live peers would be dropped");
        if ((TlsCert.Length > 0) != (TlsKey.Length > 0))
            throw new FormatException("--tls-cert and --tls-key go together: give both, or neither");
        // --allowed-origins and --trusted-proxies are checked as they are read (see All), so that the error names
        // the option: OriginPolicy throws ArgumentException, which would otherwise escape Parse.
    }

    public static string HelpText()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine("RawSocketChat — a chat server on a hand-written RFC 6455 WebSocket stack.");
        text.AppendLine();
        text.AppendLine("Usage: dotnet run --project RawSocketChat -- [--option value]...");
        text.AppendLine();
        text.AppendLine("Every option can also be set with the environment variable shown; the command line wins.");
        text.AppendLine("Durations take a unit: 500ms, 10s, 5m, 1h, 30d (a bare number means seconds).");
        text.AppendLine();
        var defaults = new ServerOptions();
        foreach (Option o in All)
        {
            text.AppendLine($"  --{o.Name,-24} {o.Help}");
            text.AppendLine($"  {"",-26} default: {(o.Default(defaults) is { Length: > 0 } d ? d : "(none)")}; env: {o.EnvironmentVariable}");
        }
        return text.ToString();
    }

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Dur(TimeSpan value) => value switch
    {
        { TotalDays: >= 1 } when value.TotalDays == Math.Floor(value.TotalDays) => $"{value.TotalDays:0}d",
        { TotalSeconds: >= 1 } when value.TotalSeconds == Math.Floor(value.TotalSeconds) => $"{value.TotalSeconds:0}s",
        _ => $"{value.TotalMilliseconds:0}ms",
    };

    private static int ParseInt(string value, int min, int max)
    {
        int n = int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
        if (n < min || n > max) throw new ArgumentException($"must be between {min} and {max}");
        return n;
    }

    /// <summary>A level by name only: <c>Enum.Parse</c> would also take "42" or "info, warn".</summary>
    private static LogLevel ParseLogLevel(string value)
    {
        foreach (LogLevel level in Enum.GetValues<LogLevel>())
            if (string.Equals(level.ToString(), value.Trim(), StringComparison.OrdinalIgnoreCase)) return level;
        throw new ArgumentException("must be trace, debug, info, warn, error or none");
    }

    private static string OnOff(bool value) => value ? "on" : "off";

    private static bool ParseOnOff(string value) => value.Trim().ToLowerInvariant() switch
    {
        "on" => true,
        "off" => false,
        _ => throw new ArgumentException("must be on or off"),
    };

    private static double ParseDouble(string value)
    {
        double d = double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!(d > 0) || double.IsInfinity(d)) throw new ArgumentException("must be a positive number");
        return d;
    }

    /// <summary>A duration within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static TimeSpan ParseDuration(string value, TimeSpan min, TimeSpan max)
    {
        TimeSpan duration = ParseDuration(value);
        if (duration < min || duration > max)
            throw new ArgumentException($"must be {Dur(min)} to {Dur(max)}");
        return duration;
    }

    public static TimeSpan ParseDuration(string value)
    {
        value = value.Trim();
        (string number, double scale) = value switch
        {
            _ when value.EndsWith("ms", StringComparison.Ordinal) => (value[..^2], 0.001),
            _ when value.EndsWith('s') => (value[..^1], 1),
            _ when value.EndsWith('m') => (value[..^1], 60),
            _ when value.EndsWith('h') => (value[..^1], 3600),
            _ when value.EndsWith('d') => (value[..^1], 86400),
            _ => (value, 1),
        };
        double seconds = double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture) * scale;
        // Positive before and after rounding to 100 ns ticks: "1e-9s" is above zero but would become TimeSpan.Zero.
        if (!(seconds > 0) || seconds > 10 * 365 * 86400 || TimeSpan.FromSeconds(seconds) <= TimeSpan.Zero)
            throw new ArgumentException("must be a positive duration");
        return TimeSpan.FromSeconds(seconds);
    }
}
