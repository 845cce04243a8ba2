using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace FastDht.Storage.Durability.Internal;

/// <summary>
/// One wait for a log position to become durable: a pooled <see cref="IValueTaskSource{TResult}"/>, so waiting
/// allocates nothing in steady state. True when the position is durable, false when the log closed first.
/// </summary>
/// <remarks>
/// Continuations run asynchronously when <see cref="Complete"/> is called (closing the log must never run a session's
/// code); <see cref="WaiterWakeup"/> runs them inline with <see cref="CompleteInline"/>, on its own work item or, for
/// a connection's held flush under <c>always</c>, on the flush thread (<see cref="ResumeOnFlushThread"/>). The waiter returns itself to the pool when its result is read (exactly once, as a
/// <see cref="ValueTask{TResult}"/> allows).
/// </remarks>
internal sealed class DurabilityWaiter : IValueTaskSource<bool>
{
    // 1024: more sessions than that waiting at once on one node is rare; beyond it a wait allocates one small object.
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<DurabilityWaiter> Pool = new();
    private static int s_pooled;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

    /// <summary>The position this waiter waits for.</summary>
    public long Target { get; private set; }

    /// <summary>Whether the flush thread may resume this wait itself (a connection's held flush, never blocking).</summary>
    public bool ResumeOnFlushThread { get; private set; }

    /// <summary>Whether the wait ends (false) as soon as the log fails to write before <see cref="Target"/> is durable (a client's reply).</summary>
    public bool GivesUpOnFailure { get; private set; }

    public static DurabilityWaiter Rent(long target, bool resumeOnFlushThread = false, bool givesUpOnFailure = false)
    {
        if (Pool.TryDequeue(out var waiter))
            Interlocked.Decrement(ref s_pooled);
        else
            waiter = new DurabilityWaiter();
        waiter.Target = target;
        waiter.ResumeOnFlushThread = resumeOnFlushThread;
        waiter.GivesUpOnFailure = givesUpOnFailure;
        waiter._core.RunContinuationsAsynchronously = true;
        return waiter;
    }

    public ValueTask<bool> AsValueTask() => new(this, _core.Version);

    /// <summary>Completes the wait; the continuation runs on the thread pool.</summary>
    public void Complete(bool durable) => _core.SetResult(durable);

    /// <summary>Completes the wait and runs the continuation on this thread (see <see cref="WaiterWakeup"/>).</summary>
    public void CompleteInline(bool durable)
    {
        _core.RunContinuationsAsynchronously = false;
        _core.SetResult(durable);
    }

    public bool GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
                Pool.Enqueue(this);
            else
                Interlocked.Decrement(ref s_pooled);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
