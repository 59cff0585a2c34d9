using System.Threading.Channels;

namespace RawSocketChat.Storage;

/// <summary>A message waiting to be stored: everything but its id and timestamp, which the writer assigns.</summary>
public sealed class PendingMessage(string room, string user, string color, string text, string? reference, bool guest, object? state = null)
{
    private readonly TaskCompletionSource<AppendResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Room { get; } = room;
    public string User { get; } = user;
    public string Color { get; } = color;
    public string Text { get; } = text;
    public string? Ref { get; } = reference;
    public bool Guest { get; } = guest;

    /// <summary>The message this one replies to, and that message as the sender's check found it (for the broadcast).</summary>
    public string? ReplyTo { get; init; }
    public ReplyParent? Parent { get; init; }
    /// <summary>Who the message mentions, as the chat resolved it.</summary>
    public MessageMentions? Mentions { get; init; }

    /// <summary>Whatever the caller wants back in the commit callback (the chat keeps the sender's session here).</summary>
    public object? State { get; } = state;

    /// <summary>Completes after the batch holding this message is committed (or failed).</summary>
    public Task<AppendResult> Completion => _completion.Task;

    /// <summary>Not a message: a mark in the queue that completes once what was queued before it is stored (<see cref="MessageWriter.DrainAsync"/>).</summary>
    internal bool IsBarrier { get; init; }

    /// <summary>The outcome, once <see cref="Completion"/> has completed: a result, or the storage error.</summary>
    public AppendResult? Result { get; private set; }
    public Exception? Error { get; private set; }

    internal void Complete(AppendResult result)
    {
        Result = result;
        _completion.TrySetResult(result);
    }

    internal void Fail(Exception error)
    {
        Error = error;
        _completion.TrySetException(error);
    }
}

/// <summary>
/// Stores messages in batches, so that the socket loops never wait for the disk and thousands of messages per
/// second cost a handful of commits.
/// <para>
/// Senders queue a <see cref="PendingMessage"/> and go on reading their socket. One loop takes everything queued
/// (up to <c>maxBatch</c>), gives each message its id and timestamp in queue order, stores the batch in one
/// transaction, and only then reports the outcome: first to the <c>onCommitted</c> callback, with the whole batch in
/// id order, then to each message's <see cref="PendingMessage.Completion"/>. There is no timer: while one batch
/// commits the next one gathers, so batches grow exactly when the load does.
/// </para>
/// <para>
/// Because ids are assigned and results reported by this single loop, in order, a callback that broadcasts each
/// message delivers them to every listener in id order — the chat relies on that.
/// </para>
/// </summary>
public sealed class MessageWriter : IAsyncDisposable
{
    private readonly IChatStore _store;
    private readonly MessageIdGenerator _ids;
    private readonly Action<IReadOnlyList<PendingMessage>>? _onCommitted;
    private readonly Action<Exception>? _onError;
    private readonly Func<DateTime> _clock;
    private readonly Action<long>? _onAppendTime;
    private readonly int _maxBatch;
    private readonly Channel<PendingMessage> _queue;
    private readonly Task _loop;
    private long _batches, _stored;

    /// <param name="onAppendTime">Told how long each batch took to store, in <see cref="System.Diagnostics.Stopwatch"/> ticks (metrics).</param>
    public MessageWriter(IChatStore store, MessageIdGenerator ids, Action<IReadOnlyList<PendingMessage>>? onCommitted = null,
        Action<Exception>? onError = null, int maxBatch = 512, int capacity = 16_384, Func<DateTime>? clock = null,
        Action<long>? onAppendTime = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _store = store;
        _ids = ids;
        _onCommitted = onCommitted;
        _onError = onError;
        _clock = clock ?? (() => DateTime.UtcNow);
        _onAppendTime = onAppendTime;
        _maxBatch = maxBatch;
        // Bounded: when the disk cannot keep up, EnqueueAsync waits, which stops the sender's socket loop from
        // reading — backpressure instead of an unbounded queue in memory.
        _queue = Channel.CreateBounded<PendingMessage>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Commits so far, and messages they held (duplicates included).</summary>
    public long Batches => Interlocked.Read(ref _batches);
    public long Stored => Interlocked.Read(ref _stored);

    /// <summary>Queues a message. Completes at once unless the queue is full. Throws once the writer is disposed.</summary>
    public ValueTask EnqueueAsync(PendingMessage message, CancellationToken cancellationToken = default)
    {
        if (_queue.Writer.TryWrite(message))
            return ValueTask.CompletedTask;
        return _queue.Writer.WriteAsync(message, cancellationToken);
    }

    /// <summary>
    /// Completes once every message queued before the call has been stored (or has failed): for a change that must
    /// come after them, such as deleting an account whose other devices were sending until a moment ago.
    /// </summary>
    public async Task DrainAsync()
    {
        var barrier = new PendingMessage("", "", "", "", null, false) { IsBarrier = true };
        await EnqueueAsync(barrier);
        await barrier.Completion;
    }

    private async Task RunAsync()
    {
        ChannelReader<PendingMessage> reader = _queue.Reader;
        var batch = new List<PendingMessage>(_maxBatch);
        var records = new List<MessageRecord>(_maxBatch);
        var barriers = new List<PendingMessage>();
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            records.Clear();
            barriers.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out PendingMessage? message))
            {
                if (message.IsBarrier)
                {
                    barriers.Add(message); // done with this batch: what was queued before it is in it, or committed already
                    continue;
                }
                DateTime now = _clock();
                // Ids are assigned here, in the order messages are committed and reported: id order is send order.
                string id = _ids.Next(now);
                batch.Add(message);
                records.Add(new MessageRecord(id, message.Room, message.User, message.Color, message.Text, now, message.Ref, message.Guest,
                    ReplyTo: message.ReplyTo, Parent: message.Parent, Mentions: message.Mentions));
            }

            if (records.Count == 0)
            {
                CompleteBarriers(barriers); // nothing before them was left to store
                continue;
            }
            IReadOnlyList<AppendResult> results;
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                results = await _store.AppendMessagesAsync(records);
                _onAppendTime?.Invoke(System.Diagnostics.Stopwatch.GetTimestamp() - started);
            }
            catch (Exception e)
            {
                _onError?.Invoke(e);
                foreach (PendingMessage message in batch)
                    message.Fail(e);
                Report(batch);
                CompleteBarriers(barriers);
                continue;
            }

            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _stored, batch.Count);
            for (int i = 0; i < batch.Count; i++)
                batch[i].Complete(results[i]);
            Report(batch);
            CompleteBarriers(barriers);
        }
    }

    private static void CompleteBarriers(List<PendingMessage> barriers)
    {
        foreach (PendingMessage barrier in barriers)
            barrier.Complete(default);
    }

    private void Report(List<PendingMessage> batch)
    {
        if (_onCommitted is null)
            return;
        try
        {
            _onCommitted(batch.ToArray());
        }
        catch (Exception e)
        {
            // A faulty callback must not stop the writer: later messages still need storing.
            _onError?.Invoke(e);
        }
    }

    /// <summary>Stops accepting messages, stores everything already queued, and waits for the loop to end.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }
}
