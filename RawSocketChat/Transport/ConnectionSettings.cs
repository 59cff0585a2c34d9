using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;

namespace RawSocketChat.Transport;

/// <summary>The per-connection limits and timers, taken from <c>ServerOptions</c> once at start-up.</summary>
public sealed record ConnectionSettings
{
    public ReceiverOptions Receiver { get; init; } = new();
    /// <summary>Bytes that may wait behind the write in progress (a message alone in the queue is always taken).</summary>
    public long MaxSendBufferBytes { get; init; } = 4 * 1024 * 1024;
    /// <summary>How long a write to the peer may go without progress before the connection is dropped.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(75);
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>permessage-deflate as offered to clients (RFC 7692); null when <c>--deflate off</c>.</summary>
    public DeflateOptions? Deflate { get; init; }
    /// <summary>Where connections count messages and bytes (<c>GET /metrics</c>); null counts nothing.</summary>
    public Monitoring.ServerMetrics? Metrics { get; init; }
}
