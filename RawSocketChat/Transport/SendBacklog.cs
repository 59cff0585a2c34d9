using RawSocketChat.Protocol;

namespace RawSocketChat.Transport;

/// <summary>
/// The account of what one connection owes its peer: how many bytes it has accepted and not yet written to the
/// socket, and whether the write in progress still moves. It only counts; the <see cref="SendBuffer"/> holds the
/// bytes, and <see cref="WebSocketConnection"/> does what the numbers call for (a Close, or dropping the socket).
/// <para>
/// A peer that stops reading must not grow our memory, yet a peer that reads must get every message we accepted,
/// however large. So two bounds, neither on the size of one message. The bytes not yet written may not pass the
/// limit (<c>--max-send-buffer-bytes</c>), not counting one message larger than the limit: a 16 MiB echo to a peer
/// that reads it, with the pongs and messages that follow it. And a write may not go <c>--send-timeout</c> without
/// progress (<see cref="IsStalled"/>). Either way a connection holds at most the limit plus one message.
/// </para>
/// <para>
/// Bytes are counted by where they stand in the connection's outbound stream, which only grows: the send loop has
/// taken <c>_takenBytes</c> so far, the last <c>_writingBytes</c> of them are the write in progress, and the buffer
/// queues the rest. A write counts as done when the loop comes back for the next batch (<see cref="Taken"/>), so the
/// heartbeat never needs the lock to know whether one is in progress.
/// </para>
/// <para>
/// Not thread-safe, and no lock of its own: the connection calls every member under its send lock, the same lock
/// that guards the buffer, so the count and the bytes never disagree. Two members are called without it: the send
/// loop's <see cref="Progressed"/> between slices, and the heartbeat's <see cref="IsStalled"/>. The two fields they
/// touch, the write in progress and its last progress, are written and read through <see cref="Volatile"/>.
/// </para>
/// </summary>
internal sealed class SendBacklog
{
    private readonly SendBuffer _queue;
    private readonly long _limit;

    private long _takenBytes;           // every byte the send loop has taken so far, the write in progress included
    private int _writingBytes;          // the last batch taken: its write is in progress until the next Take
    private long _lastProgressTicks;    // when the write in progress last moved (taken, or a slice written)
    private long _oversizedEnd;         // where the one unsent message larger than the limit ends, in _takenBytes terms
    private int _oversizedLength;       // its frame's length; it is unsent while fewer than _oversizedEnd bytes are written

    /// <param name="queue">The buffer whose queued bytes are counted; read, never written.</param>
    /// <param name="limit">The bound on unsent bytes, one oversized message excepted (<c>--max-send-buffer-bytes</c>).</param>
    public SendBacklog(SendBuffer queue, long limit)
    {
        _queue = queue;
        _limit = limit;
    }

    /// <summary>Bytes accepted and not yet written: queued, or in the write in progress.</summary>
    public long Unsent => (long)_queue.QueuedLength + _writingBytes;

    /// <summary>
    /// Whether a frame of <paramref name="length"/> payload bytes may be queued. The limit is on the backlog, not on
    /// one message: a message we accepted (under <c>--max-message-bytes</c>) must reach a peer that reads it. So one
    /// message larger than the limit at a time is taken (<paramref name="oversized"/>: tell <see cref="QueuedOversized"/>
    /// its frame's length once it is queued) and left out of the count until it is written. False when the backlog
    /// would pass the limit: the peer is not keeping up, and the caller closes the connection with 1008 and queues
    /// nothing more (RFC 6455 §10.4 [6455-10.4-send-backlog]).
    /// </summary>
    public bool TryAdmit(int length, out bool oversized)
    {
        long written = _takenBytes - _writingBytes; // a batch counts as written once its write completes
        bool oversizedUnsent = written < _oversizedEnd;
        long backlog = Unsent - (oversizedUnsent ? _oversizedLength : 0);
        // Everything else stays within the limit, so the one oversized message never has more than that behind it.
        oversized = length > _limit && !oversizedUnsent;
        return oversized || backlog + length <= _limit;
    }

    /// <summary>
    /// Whether a control frame of <paramref name="length"/> payload bytes fits within the limit, header included and
    /// with no oversized exception: for a frame after our Close, when a peer over the limit cannot be told so by a
    /// second Close, and the frame is simply not sent.
    /// </summary>
    public bool FitsWithinLimit(int length) => Unsent + FrameHeader.MaxLength + length <= _limit;

    /// <summary>
    /// The oversized message <see cref="TryAdmit"/> let through is queued, as a frame of <paramref name="frameLength"/>
    /// bytes ending at the end of the queue: it stays out of the count until the send loop has written that far.
    /// </summary>
    public void QueuedOversized(int frameLength)
    {
        _oversizedLength = frameLength;
        _oversizedEnd = _takenBytes + _queue.QueuedLength;
    }

    /// <summary>
    /// The send loop took <paramref name="count"/> bytes from the queue (none when it found it empty): its previous
    /// write is complete, and this one, if any, starts now.
    /// </summary>
    public void Taken(int count, long now)
    {
        // The time before the count: the heartbeat reads the count first, and a new write seen with the time of the
        // idle wait before it (perhaps longer ago than the send timeout) would look stalled and be dropped.
        Volatile.Write(ref _lastProgressTicks, now);
        Volatile.Write(ref _writingBytes, count);
        _takenBytes += count;
    }

    /// <summary>A slice of the write in progress reached the socket. Called by the send loop without the lock.</summary>
    public void Progressed(long now) => Volatile.Write(ref _lastProgressTicks, now);

    /// <summary>
    /// The write in progress failed and none follows (the peer is gone): nothing is being written any more, so the
    /// heartbeat must not take it for a stalled one.
    /// </summary>
    public void WriteAbandoned() => _writingBytes = 0;

    /// <summary>
    /// Whether a write is in progress and has not moved for <paramref name="timeout"/>: the peer's kernel buffers are
    /// full and it reads nothing. Called by the heartbeat without the lock.
    /// </summary>
    public bool IsStalled(long now, TimeSpan timeout) =>
        Volatile.Read(ref _writingBytes) > 0 && now - Volatile.Read(ref _lastProgressTicks) >= (long)timeout.TotalMilliseconds;
}
