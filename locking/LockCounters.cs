namespace FastDht.Locking;

/// <summary>What a lock table's conflicts cost: waits queued, and acquires aborted by reason (for metrics).</summary>
/// <remarks>
/// Counted only where a request conflicts (a wait is queued, an abort is decided), never on a free key's grant, so
/// the uncontended path pays nothing. Interlocked adds: conflicts on different shards count from different threads.
/// </remarks>
public sealed class LockCounters
{
    private static readonly int ReasonCount = Enum.GetValues<LockAbortReason>().Length;

    private readonly long[] _aborts = new long[ReasonCount];
    private long _waits;

    /// <summary>Requests that found their key taken and were queued to wait.</summary>
    public long Waits => Interlocked.Read(ref _waits);

    /// <summary>Acquires aborted for <paramref name="reason"/> (at once by the strategy, or while waiting).</summary>
    public long Aborts(LockAbortReason reason) => (uint)reason < (uint)_aborts.Length ? Interlocked.Read(ref _aborts[(int)reason]) : 0;

    internal void OnWait() => Interlocked.Increment(ref _waits);

    internal LockResult OnAbort(LockResult result)
    {
        if ((uint)result.Reason < (uint)_aborts.Length)
            Interlocked.Increment(ref _aborts[(int)result.Reason]);
        return result;
    }
}
