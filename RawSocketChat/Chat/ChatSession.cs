using System.Collections.Concurrent;
using RawSocketChat.Chat.RateLimits;
using RawSocketChat.Chat.Rooms;
using RawSocketChat.Transport;

namespace RawSocketChat.Chat;

/// <summary>
/// The chat's state for one WebSocket connection, kept in <see cref="WebSocketConnection.State"/>: who it is logged
/// in as, the rooms it joined, and its share of the rate limit. Commands of one connection run one at a time (the
/// transport's contract), but other connections' actions reach it too — a broadcast sends to it, a leave from the
/// same user's other device unsubscribes it — so what they touch is thread-safe.
/// </summary>
public sealed class ChatSession(WebSocketConnection connection, MessageRateLimiter.Allowance allowance)
{
    private volatile ChatUser? _user;

    public WebSocketConnection Connection { get; } = connection;
    public long Id => Connection.Id;
    public MessageRateLimiter.Allowance Allowance { get; } = allowance;

    /// <summary>Null until login, register or resume succeeds, and again after logout.</summary>
    public ChatUser? User
    {
        get => _user;
        set => _user = value;
    }

    /// <summary>The stored hash of this connection's session token (registered users), for logout.</summary>
    public byte[]? TokenHash { get; set; }

    /// <summary>
    /// Held while the connection's user changes (sign-out) and while another connection's action joins this one to a
    /// room (a direct message), so that a connection that just logged out is never joined to its old user's
    /// conversation. Taken before a room's lock, never after.
    /// </summary>
    public object SyncRoot { get; } = new();

    /// <summary>Rooms this connection joined, by key. Changed under the room's lock.</summary>
    public ConcurrentDictionary<string, Room> Rooms { get; } = new(StringComparer.Ordinal);

    /// <summary>Queues one JSON message. Never blocks; false when the connection is closing or was dropped.</summary>
    public bool Send(ReadOnlySpan<byte> json) => Connection.SendText(json);

    /// <summary>
    /// Sends a message that carries a secret (a session token) uncompressed, so it never shares a deflate window with
    /// text another user chose (CRIME, RFC 7692 §8).
    /// </summary>
    public bool SendSecret(ReadOnlySpan<byte> json) => Connection.Send(Protocol.Opcode.Text, json, compress: false);

    public void SendError(string code, string message, string? reference, long? retryAfterMs = null, DateTime? until = null,
        string? reason = null) =>
        Send(ServerMessages.Error(code, message, reference, retryAfterMs, until, reason));
}
