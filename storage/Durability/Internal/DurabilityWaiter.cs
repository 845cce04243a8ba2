using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace FastDht.Storage.Durability.Internal;

/// <summary>
/// One wait for a log position to become durable: a pooled <see cref="IValueTaskSource{TResult}"/>, so waiting
/// allocates nothing in steady state. True when the position is durable, false when the log closed first.
/// </summary>
/// <remarks>
/// Continuations run asynchronously: the flush thread completes waiters and must go straight back to the disk, never
/// run a session's code. The waiter returns itself to the pool when its result is read (exactly once, as a
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

    public static DurabilityWaiter Rent(long target)
    {
        if (Pool.TryDequeue(out var waiter))
            Interlocked.Decrement(ref s_pooled);
        else
            waiter = new DurabilityWaiter();
        waiter.Target = target;
        return waiter;
    }

    public ValueTask<bool> AsValueTask() => new(this, _core.Version);

    public void Complete(bool durable) => _core.SetResult(durable);

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
