namespace FastDht.Storage.Durability.Internal;

/// <summary>
/// Under <c>everysec</c> and <c>no</c>, into a segment that is not mapped: one write round queued behind the work already
/// on the thread pool, so the replies of every connection served meanwhile are covered by one write instead of one
/// write each (see <see cref="WriteAheadLog.TryMakeDurable"/>). Scheduled at most once at a time; allocates nothing.
/// </summary>
internal sealed class DeferredWrite : IThreadPoolWorkItem
{
    private readonly WriteAheadLog _log;
    private int _scheduled;

    public DeferredWrite(WriteAheadLog log) => _log = log;

    /// <summary>Whether a write is queued and has not begun yet (a record appended now will be in it).</summary>
    public bool IsScheduled => Volatile.Read(ref _scheduled) != 0;

    /// <summary>Queues the write at the end of the thread pool's global queue, unless one is queued already.</summary>
    public void Schedule()
    {
        if (Interlocked.Exchange(ref _scheduled, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute()
    {
        // Cleared before writing: a record appended from here on may miss this round, so its caller schedules another.
        Volatile.Write(ref _scheduled, 0);
        _log.WriteDeferred();
    }
}
