using System.IO.Compression;
using System.Text;

namespace RawSocketChat.Protocol.Deflate;

/// <summary>
/// The permessage-deflate parameters in force on one connection (RFC 7692 §7.1), exactly as the server's 101 states
/// them in <c>Sec-WebSocket-Extensions</c>. Parameters named <c>server_…</c> bind the server's compressor;
/// <c>client_…</c> ones bind the client's compressor, and so tell our decompressor what to expect.
/// </summary>
public sealed record DeflateParameters
{
    /// <summary>RFC 7692 §7: the registered extension token.</summary>
    public const string ExtensionName = "permessage-deflate";

    /// <summary>The largest LZ77 window DEFLATE allows (32 KiB), and the only one <see cref="DeflateStream"/> can use.</summary>
    public const int MaxWindowBits = 15;

    /// <summary>The smallest window RFC 7692 §7.1.2.1 lets a client ask for (256 bytes).</summary>
    public const int MinWindowBits = 8;

    /// <summary>RFC 7692 §7.1.1.1: the server compresses every message with an empty window (no context takeover).</summary>
    public bool ServerNoContextTakeover { get; init; }

    /// <summary>RFC 7692 §7.1.1.2: the client compresses every message with an empty window, so we may forget ours.</summary>
    public bool ClientNoContextTakeover { get; init; }

    /// <summary>RFC 7692 §7.1.2.1: stated only when the client asked, with the value it asked for (8 to 15).</summary>
    public int? ServerMaxWindowBits { get; init; }

    /// <summary>
    /// Whether the server compresses what it sends. Not with <c>server_max_window_bits=8</c>: zlib cannot compress
    /// with a 256-byte window (see <see cref="ZLibDeflater"/>), and RFC 7692 §6 lets every message go uncompressed
    /// (RSV1 clear), so the client still compresses its messages while ours go plain. Answering 8 and compressing
    /// with 9 would break a peer that inflates with exactly 256 bytes.
    /// </summary>
    public bool ServerCompresses => ServerMaxWindowBits is not MinWindowBits;

    /// <summary>The window our compressor uses: what the client allowed, 15 when it did not say.</summary>
    public int ServerWindowBits => ServerMaxWindowBits ?? MaxWindowBits;

    /// <summary>RFC 7692 §7.1.2.2: the window the client said it will use at most; absent means up to 15.</summary>
    public int? ClientMaxWindowBits { get; init; }

    /// <summary>The element of the 101's <c>Sec-WebSocket-Extensions</c>, e.g. <c>permessage-deflate; client_max_window_bits=10</c>.</summary>
    public string ToHeaderValue()
    {
        var text = new StringBuilder(ExtensionName);
        if (ServerNoContextTakeover) text.Append("; server_no_context_takeover");
        if (ClientNoContextTakeover) text.Append("; client_no_context_takeover");
        if (ServerMaxWindowBits is { } server) text.Append("; server_max_window_bits=").Append(server);
        if (ClientMaxWindowBits is { } client) text.Append("; client_max_window_bits=").Append(client);
        return text.ToString();
    }

    public override string ToString() => ToHeaderValue();
}

/// <summary>What the server is willing to do with permessage-deflate; set once from the options.</summary>
public sealed record DeflateOptions
{
    /// <summary>
    /// When false, every accepted offer is answered with both <c>server_no_context_takeover</c> and
    /// <c>client_no_context_takeover</c> (RFC 7692 §7.1.1.1 and §7.1.1.2 let a server add both on its own): no zlib
    /// state survives a message, which trades compression ratio and CPU for memory (see docs/framing.md).
    /// </summary>
    public bool ContextTakeover { get; init; } = true;

    /// <summary>
    /// Messages shorter than this many bytes are sent uncompressed. Below about 128 bytes, DEFLATE saves fewer bytes than
    /// a TCP/IP header costs, so the CPU is better spent elsewhere.
    /// </summary>
    public int Threshold
    {
        get => _threshold;
        init => _threshold = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Threshold), value, "must be 0 or more");
    }

    private readonly int _threshold = 128;

    /// <summary>zlib level for outgoing messages. <see cref="CompressionLevel.Fastest"/> is zlib level 1.</summary>
    public CompressionLevel Level { get; init; } = CompressionLevel.Fastest;
}
