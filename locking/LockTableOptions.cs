namespace FastDht.Locking;

/// <summary>Settings of a <see cref="LockTable"/>.</summary>
public sealed class LockTableOptions
{
    /// <summary>Number of shards (each with its own lock); a power of two from 1 to 4096.</summary>
    /// <remarks>Defaults to 64: many times the core count of a typical node, so two threads rarely meet on one shard lock.</remarks>
    public int ShardCount { get; set; } = 64;

    /// <summary>How often a timer calls <see cref="LockTable.ExpireLeases"/>; zero or infinite disables the timer.</summary>
    /// <remarks>
    /// Defaults to 100 ms: a lease or wait ends at most this late, which is small next to lease lengths of seconds.
    /// With the timeout strategy, set it no larger than the strategy's minimum limit (2 ms by default), or
    /// waits overrun their limits by up to one interval. A scan skips shards with nothing due without locking them.
    /// Tests disable it and call <see cref="LockTable.ExpireLeases"/> themselves with a fake clock.
    /// </remarks>
    public TimeSpan ExpiryScanInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Most waiters kept in the pool for reuse.</summary>
    /// <remarks>Defaults to 1024: one per concurrently waiting transaction on a busy node; more are allocated and dropped.</remarks>
    public int MaxPooledWaiters { get; set; } = 1024;

    /// <summary>Whether the fencing tokens start from the clock (microseconds since 1970 times 16) rather than from 0.</summary>
    /// <remarks>
    /// Defaults to true: a table in a restarted process then never issues a token it issued before, with nothing stored.
    /// A node whose tokens carry its cluster's epoch in the high bits (<see cref="LockTable.AdvanceFence"/>) sets it to
    /// false, or the clock's value would dwarf the epoch's.
    /// </remarks>
    public bool SeedFenceFromClock { get; set; } = true;
}
