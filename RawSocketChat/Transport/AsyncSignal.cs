using System.Threading.Tasks.Sources;

namespace RawSocketChat.Transport;

/// <summary>
/// A reusable wake-up for one waiting loop, awaited without allocating: <c>SemaphoreSlim.WaitAsync</c> or a
/// <c>TaskCompletionSource</c> would cost an object every time the send loop goes idle, which on a chatty connection
/// is every message. One waiter at a time: <see cref="Reset"/>, then await <see cref="WaitAsync"/>; any thread may
/// <see cref="Set"/> once per Reset. The waiter always resumes on the thread pool, never inside <c>Set</c>, so a
/// sender holding a lock does not end up running the socket write.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

    public void Reset() => _core.Reset();

    public void Set() => _core.SetResult(true);

    public ValueTask WaitAsync() => new(this, _core.Version);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
