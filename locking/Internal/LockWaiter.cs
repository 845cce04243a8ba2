using System.Threading.Tasks.Sources;

namespace FastDht.Locking.Internal;

// Design: a pooled, reusable completion for one lock wait.
// Requirements: no Task, TaskCompletionSource or closure per wait. The waiter is rented when a request
// must wait, linked into its entry's FIFO queue, completed exactly once under its shard's lock (granted,
// or aborted: wounded, timed out, cancelled, session closed, released, shutting down), and returned to the
// pool by GetResult after the awaiting caller has read the result. Continuations run asynchronously, so a
// caller's code never runs under a shard lock. All fields other than the core are written under the shard
// lock of the shard the waiter is queued in; code outside that lock checks Queued, Shard and Txn under it
// before acting, because a waiter may have been recycled for another wait in the meantime.

/// <summary>A pooled <see cref="IValueTaskSource{TResult}"/> for one lock wait.</summary>
internal sealed class LockWaiter : IValueTaskSource<LockResult>
{
    private readonly LockTable _table;
    private ManualResetValueTaskSourceCore<LockResult> _core;

    public LockWaiter(LockTable table)
    {
        _table = table;
        _core.RunContinuationsAsynchronously = true;
    }

    public TxnId Txn;
    public LockMode Mode;
    public long SessionId;
    public long LeaseTicks;
    public long Deadline;
    public TxnRecord? Record;
    public LockEntry? Entry;
    public LockShard? Shard;
    public bool Queued;
    public LockWaiter? Next;
    public LockWaiter? Prev;
    public CancellationToken CancellationToken;
    public CancellationTokenRegistration Registration;

    public short Version => _core.Version;

    public void SetResult(LockResult result) => _core.SetResult(result);

    public LockResult GetResult(short token)
    {
        LockResult result = _core.GetResult(token);
        Reset();
        _table.ReturnWaiter(this);
        return result;
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Cancellation callback: static, so registering it allocates no closure.</summary>
    public static void OnCancelled(object? state, CancellationToken token) =>
        ((LockWaiter)state!)._table.AbortCancelledWaiter((LockWaiter)state!, token);

    private void Reset()
    {
        Txn = default;
        Record = null;
        Entry = null;
        Shard = null;
        Next = null;
        Prev = null;
        CancellationToken = default;
        Registration = default;
        _core.Reset();
    }
}
