namespace FastDht.Storage.Durability.Internal;

/// <summary>
/// Resumes the waits an fsync finished: all of them in one thread-pool work item, each continuation run inline there,
/// instead of one work item per waiting connection; or all of them on the thread that calls <see cref="RunHere"/>.
/// </summary>
/// <remarks>
/// <para>
/// Requirements: code that may block or take long (an embedder's continuation) never runs on the flush thread, which
/// must go back to the disk; a waiting reply should be sent as soon as its fsync ends; nothing is allocated per wait.
/// </para>
/// <para>
/// Design: the flush thread adds the finished waiters to a list and schedules this work item unless it is already
/// scheduled. The work item swaps the list for its own and completes each waiter with the continuation run on its
/// thread (<see cref="DurabilityWaiter.CompleteInline"/>): under <c>always</c> that continuation is a connection's held
/// flush, which (served connections schedule their send inline) sends the connection's replies right there. So one
/// thread wake-up serves every connection the fsync answered, where completing each waiter asynchronously queued one
/// work item and woke a pool thread per connection (counted in docs/storage.md, "Group commit: where a durable reply
/// waits"). Waiters finished while the work item runs are picked up by its next pass, so it is never scheduled twice
/// at once and nothing is left behind.
/// </para>
/// <para>
/// Under <c>always</c> the log keeps a second one for connections' held flushes, which the flush thread drains itself
/// with <see cref="RunHere"/> right after the fsync (WriteAheadLog.ResumeOnFlushThread): the hop to a pool thread, its
/// futex wake-up and its sleep cost more per group commit than the sends it moved off the flush thread, and the next
/// round waits for those writers anyway. Other waits (an embedder's, a transaction's) still come here.
/// </para>
/// </remarks>
internal sealed class WaiterWakeup : IThreadPoolWorkItem
{
    private readonly Lock _lock = new();
    private List<DurabilityWaiter> _ready = [];
    private List<DurabilityWaiter> _running = [];
    private bool _scheduled;

    /// <summary>Adds a waiter whose position is durable; call <see cref="Schedule"/> after the last one of a batch.</summary>
    public void Add(DurabilityWaiter waiter)
    {
        lock (_lock)
            _ready.Add(waiter);
    }

    /// <summary>Makes sure the work item runs (once) for the waiters added so far.</summary>
    public void Schedule()
    {
        lock (_lock)
        {
            if (_scheduled || _ready.Count == 0)
                return;
            _scheduled = true;
        }
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Resumes the waiters added so far on this thread, unless the work item is already scheduled (it will).</summary>
    public void RunHere()
    {
        lock (_lock)
        {
            if (_scheduled || _ready.Count == 0)
                return;
            _scheduled = true;
        }
        Drain();
    }

    void IThreadPoolWorkItem.Execute() => Drain();

    private void Drain()
    {
        while (true)
        {
            lock (_lock)
            {
                if (_ready.Count == 0)
                {
                    _scheduled = false;
                    return;
                }
                (_ready, _running) = (_running, _ready);
            }
            foreach (var waiter in _running)
                waiter.CompleteInline(true);
            _running.Clear();
        }
    }
}
