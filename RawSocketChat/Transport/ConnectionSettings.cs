using RawSocketChat.Diagnostics;
using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;

namespace RawSocketChat.Transport;

/// <summary>
/// The per-connection limits and timers (<see cref="ServerSettings.Connection"/>). The defaults here are the server's
/// defaults: the options (<c>--max-send-buffer-bytes</c>, <c>--ping-interval</c>, …) start from them.
/// </summary>
public sealed record ConnectionSettings
{
    /// <summary>
    /// The message limits a server may be configured with (<c>--max-message-bytes</c>): from 125 bytes, the largest
    /// control frame payload, to 1 GiB. The receiver itself takes any limit from 1 to <see cref="Array.MaxLength"/>
    /// (<see cref="ReceiverOptions.MaxMessageBytes"/>); this is the narrower range that makes sense for a server.
    /// </summary>
    public const int MinMessageLimit = 125, MaxMessageLimit = 1 << 30;

    /// <summary>The frame and message limits; <see cref="ReceiverOptions"/> holds their defaults (1 MiB messages).</summary>
    public ReceiverOptions Receiver { get; init; } = new();
    /// <summary>Bytes that may wait behind the write in progress (a message alone in the queue is always taken).</summary>
    public long MaxSendBufferBytes { get; init; } = 4 * 1024 * 1024;
    /// <summary>How long a write to the peer may go without progress before the connection is dropped.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(75);
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// permessage-deflate as offered to clients (RFC 7692); null offers nothing (<c>--deflate off</c>). Its parameters'
    /// defaults are <see cref="DeflateOptions"/>'.
    /// </summary>
    public DeflateOptions? Deflate { get; init; }
    /// <summary>Where connections count messages and bytes (<c>GET /metrics</c>); null counts nothing. Set by <see cref="Server"/>.</summary>
    public ServerMetrics? Metrics { get; init; }
}
