namespace RawSocketChat.Diagnostics;

/// <summary>
/// The server's counters, served at <c>GET /metrics</c>. One instance per server: the transport counts connections,
/// handshake refusals, messages and bytes; the chat counts rate-limit hits, stored messages and store latency.
/// Every increment is an interlocked add on a preallocated field — no allocation, no lock — so counting costs the
/// hot paths nothing measurable. The numbers are read only when scraped (<see cref="Write"/>).
/// </summary>
public sealed class ServerMetrics
{
    /// <summary>HTTP statuses a refused handshake can have; anything else is counted as "other".</summary>
    private static readonly int[] HandshakeStatuses = [400, 403, 404, 405, 408, 426, 431, 500, 503];

    private long _connectionsOpened, _connectionsClosed;
    private readonly long[] _handshakeFailures = new long[HandshakeStatuses.Length + 1];
    private long _rateLimitedMessages, _rateLimitedLogins, _floodDisconnects, _chatMessagesStored, _reactionsAdded, _reactionsRemoved, _readMarks, _passwordChanges, _searches, _rateLimitedSearches, _accountsDeleted;

    // Per message and per frame, from every connection's thread at once: striped, not one contended cache line.
    private readonly StripedCounter _messagesReceived = new(), _messagesSent = new(), _bytesReceived = new(), _bytesSent = new();

    /// <summary>Store latency of a batch of appended messages.</summary>
    public LatencyHistogram StoreAppend { get; } = new();
    /// <summary>Store latency of a history page.</summary>
    public LatencyHistogram StoreRead { get; } = new();
    /// <summary>Store latency of an edit, a delete, or a moderation record.</summary>
    public LatencyHistogram StoreWrite { get; } = new();
    /// <summary>Store latency of a search page.</summary>
    public LatencyHistogram StoreSearch { get; } = new();

    /// <summary>Read at scrape time: names logged in now, rooms (set by the chat).</summary>
    public Func<int>? UsersOnline { get; set; }
    public Func<int>? Rooms { get; set; }

    // ---- Transport ----

    public void ConnectionOpened() => Interlocked.Increment(ref _connectionsOpened);
    public void ConnectionClosed() => Interlocked.Increment(ref _connectionsClosed);

    public void HandshakeFailed(int status)
    {
        int slot = Array.IndexOf(HandshakeStatuses, status);
        Interlocked.Increment(ref _handshakeFailures[slot < 0 ? HandshakeStatuses.Length : slot]);
    }

    public void MessageReceived() => _messagesReceived.Increment();
    public void MessageSent() => _messagesSent.Increment();
    public void BytesReceived(long count) => _bytesReceived.Add(count);
    public void BytesSent(long count) => _bytesSent.Add(count);

    // ---- Chat ----

    public void MessageRateLimited() => Interlocked.Increment(ref _rateLimitedMessages);
    public void LoginRateLimited() => Interlocked.Increment(ref _rateLimitedLogins);
    public void FloodDisconnect() => Interlocked.Increment(ref _floodDisconnects);
    public void ChatMessagesStored(int count) => Interlocked.Add(ref _chatMessagesStored, count);
    public void ReactionAdded() => Interlocked.Increment(ref _reactionsAdded);
    public void ReactionRemoved() => Interlocked.Increment(ref _reactionsRemoved);
    public void ReadMarked() => Interlocked.Increment(ref _readMarks);
    public void PasswordChanged() => Interlocked.Increment(ref _passwordChanges);
    public void Searched() => Interlocked.Increment(ref _searches);
    public void AccountDeleted() => Interlocked.Increment(ref _accountsDeleted);
    public void SearchRateLimited() => Interlocked.Increment(ref _rateLimitedSearches);

    // ---- Reading ----

    public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);
    public long ConnectionsClosed => Interlocked.Read(ref _connectionsClosed);
    /// <summary>Opened minus closed; never negative, though the two counters are read one after the other.</summary>
    public long ConnectionsOpen => Math.Max(0, ConnectionsOpened - ConnectionsClosed);
    public long MessagesReceived => _messagesReceived.Value;
    public long MessagesSent => _messagesSent.Value;
    public long BytesReceivedTotal => _bytesReceived.Value;
    public long BytesSentTotal => _bytesSent.Value;
    public long StoredChatMessages => Interlocked.Read(ref _chatMessagesStored);

    /// <summary>Every metric, in the Prometheus text format.</summary>
    public PrometheusText Write(PrometheusText? into = null)
    {
        PrometheusText text = into ?? new PrometheusText();
        long opened = ConnectionsOpened, closed = ConnectionsClosed;
        text.Counter("rawsocketchat_connections_opened_total", "WebSocket connections opened (after a successful handshake).", opened)
            .Counter("rawsocketchat_connections_closed_total", "WebSocket connections closed, for whatever reason.", closed)
            .Gauge("rawsocketchat_connections_open", "WebSocket connections open now.", Math.Max(0, opened - closed))
            .Counter("rawsocketchat_handshake_failures_total", "Requests refused with an HTTP error before an upgrade, by status.", "status",
                HandshakeStatuses.Select((status, i) => (status.ToString(System.Globalization.CultureInfo.InvariantCulture), Interlocked.Read(ref _handshakeFailures[i])))
                    .Append(("other", Interlocked.Read(ref _handshakeFailures[^1]))))
            .Counter("rawsocketchat_messages_received_total", "WebSocket data messages received.", MessagesReceived)
            .Counter("rawsocketchat_messages_sent_total", "WebSocket data messages queued to send (a broadcast counts once per receiver).", MessagesSent)
            .Counter("rawsocketchat_bytes_received_total", "WebSocket frame bytes received.", BytesReceivedTotal)
            .Counter("rawsocketchat_bytes_sent_total", "WebSocket frame bytes written.", BytesSentTotal)
            .Counter("rawsocketchat_rate_limited_total", "Chat commands refused by a rate limit, by kind.", "kind",
                [("message", Interlocked.Read(ref _rateLimitedMessages)), ("login", Interlocked.Read(ref _rateLimitedLogins)),
                 ("search", Interlocked.Read(ref _rateLimitedSearches))])
            .Counter("rawsocketchat_flood_disconnects_total", "Connections closed with 1008 for flooding.", Interlocked.Read(ref _floodDisconnects))
            .Counter("rawsocketchat_chat_messages_stored_total", "Chat messages stored (retries of a stored ref not counted).", StoredChatMessages)
            .Counter("rawsocketchat_chat_reactions_total", "Reactions added and removed (repeats that changed nothing not counted).", "change",
                [("added", Interlocked.Read(ref _reactionsAdded)), ("removed", Interlocked.Read(ref _reactionsRemoved))])
            .Counter("rawsocketchat_chat_password_changes_total", "Passwords changed by their users (password).", Interlocked.Read(ref _passwordChanges))
            .Counter("rawsocketchat_chat_read_marks_total", "Read positions stored (read).", Interlocked.Read(ref _readMarks))
            .Counter("rawsocketchat_chat_searches_total", "Searches answered (search).", Interlocked.Read(ref _searches))
            .Counter("rawsocketchat_chat_accounts_deleted_total", "Accounts deleted by their users (delete_account).", Interlocked.Read(ref _accountsDeleted))
            .Gauge("rawsocketchat_chat_users_online", "Names logged in now, guests included.", UsersOnline?.Invoke() ?? 0)
            .Gauge("rawsocketchat_chat_rooms", "Rooms, direct conversations included.", Rooms?.Invoke() ?? 0)
            .Histogram("rawsocketchat_store_seconds", "Time spent in the store, by operation.", "operation",
                [("append", StoreAppend), ("read", StoreRead), ("write", StoreWrite), ("search", StoreSearch)]);
        return text;
    }
}
