using FastDht.Locking.Internal;
using Microsoft.Extensions.ObjectPool;

namespace FastDht.Locking;

// Design: the participant-side lock table.
// Requirements: a lock is owned by a transaction and released only by it (or by its lease ending or its
// session dropping); conflicts are settled by one pluggable ILockStrategy; a free key is granted
// synchronously; a wait is a pooled IValueTaskSource (no Task per wait); every grant carries a fencing
// token that grows per key, even across an entry being dropped and re-created.
// Structure: shards chosen by a hash of the key bytes, each a lock, a Dictionary probed with the key span
// (no copy on lookup), and pooled entries. An entry holds its holders and a FIFO wait queue; a newcomer
// never barges past a queued waiter, so waiters are served in arrival order. Per-transaction records
// (TxnRegistry) list the keys a transaction holds, so ReleaseAll and MarkCommitting cost O(keys held).
// Lock order: shard lock, then stripe lock; never two shard locks. Work that touches another shard
// (unblocking a wounded transaction's wait) happens after the first shard's lock is released.

/// <summary>Locks on binary keys owned by transactions: strategies, leases, sessions and fencing tokens.</summary>
public sealed partial class LockTable : IDisposable
{
    private readonly LockShard[] _shards;
    private readonly int _shardShift;
    private readonly TxnRegistry _txns;
    private readonly ILockStrategy _strategy;
    private readonly TimeProvider _time;
    private readonly IWoundNotifier? _woundNotifier;
    private readonly ObjectPool<LockWaiter> _waiterPool;
    private readonly ITimer? _expiryTimer;
    private long _fence;
    private int _outstandingWaiters;
    private int _disposed;

    /// <param name="strategy">Conflict policy; null for wait-die.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="timeProvider">Clock for leases and wait limits; null for the system clock.</param>
    /// <param name="woundNotifier">Told about every transaction wounded here; null when nobody needs to know.</param>
    public LockTable(ILockStrategy? strategy = null, LockTableOptions? options = null, TimeProvider? timeProvider = null, IWoundNotifier? woundNotifier = null)
    {
        options ??= new LockTableOptions();
        int shardCount = options.ShardCount;
        if (shardCount < 1 || shardCount > 4096 || (shardCount & (shardCount - 1)) != 0)
        {
            Throw.ArgumentOutOfRange(nameof(options), "ShardCount must be a power of two from 1 to 4096.");
        }

        _strategy = strategy ?? new Strategies.WaitDieStrategy();
        _time = timeProvider ?? TimeProvider.System;
        _woundNotifier = woundNotifier;
        _shards = new LockShard[shardCount];
        for (int i = 0; i < shardCount; i++)
        {
            _shards[i] = new LockShard();
        }

        _shardShift = 32 - System.Numerics.BitOperations.Log2((uint)shardCount);
        _txns = new TxnRegistry(shardCount);
        _waiterPool = new DefaultObjectPool<LockWaiter>(new LockWaiterPoolPolicy(this), Math.Max(1, options.MaxPooledWaiters));

        // Seeded from the clock so that a restarted node never reissues a token it issued before:
        // microseconds since 1970 times 16 leaves room for 16 grants per microsecond on average before the
        // counter could outrun the clock, and stays far below 2^63 (about 2^55 today).
        _fence = options.SeedFenceFromClock ? TxnIdGenerator.UnixMicroseconds(_time.GetUtcNow()) << 4 : 0;

        TimeSpan interval = options.ExpiryScanInterval;
        if (interval > TimeSpan.Zero && interval != Timeout.InfiniteTimeSpan)
        {
            _expiryTimer = _time.CreateTimer(static state => ((LockTable)state!).ExpireLeases(), this, interval, interval);
        }
    }

    /// <summary>The last fencing token granted (or the floor set since): what the next grant's token will exceed.</summary>
    public long LastFence => Volatile.Read(ref _fence);

    /// <summary>
    /// Makes every later grant's token larger than <paramref name="floor"/>; a lower floor changes nothing (tokens only rise).
    /// </summary>
    /// <remarks>
    /// A node with failover raises the floor to <c>epoch &lt;&lt; 32</c> whenever its cluster state's epoch rises, so a
    /// primary promoted at a higher epoch issues tokens above every token its predecessor issued at a lower one
    /// (docs/replication.md, "Locks and transactions across failover").
    /// </remarks>
    public void AdvanceFence(long floor)
    {
        var current = Volatile.Read(ref _fence);
        while (current < floor)
        {
            var seen = Interlocked.CompareExchange(ref _fence, floor, current);
            if (seen == current)
                return;
            current = seen;
        }
    }

    /// <summary>The conflict policy in force.</summary>
    public ILockStrategy Strategy => _strategy;

    /// <summary>Waits and aborts so far, for metrics.</summary>
    public LockCounters Counters { get; } = new();

    /// <summary>Number of keys currently held or waited for (takes every shard lock; for diagnostics).</summary>
    public int Count
    {
        get
        {
            int count = 0;
            foreach (LockShard shard in _shards)
            {
                lock (shard.Sync)
                {
                    count += shard.Entries.Count;
                }
            }

            return count;
        }
    }

    /// <summary>Transactions with a record here (holding, waiting or acquiring); for tests.</summary>
    internal int TransactionCount => _txns.Count;

    /// <summary>Waiters rented from the pool and not yet returned; for tests.</summary>
    internal int OutstandingWaiters => Volatile.Read(ref _outstandingWaiters);

    /// <summary>Holds <paramref name="key"/>'s lock state still until the gate is disposed: see <see cref="KeyWriteGate"/>. Allocates nothing.</summary>
    public KeyWriteGate EnterWriteGate(ReadOnlySpan<byte> key) => new(ShardFor(key), key);

    /// <summary>
    /// Holds every key's write gate at once until disposed (FLUSHALL): no plain write, commit or grant anywhere
    /// meanwhile. The only place that holds more than one shard lock; it takes them in index order, and every other
    /// path holds at most one, so it cannot deadlock with them.
    /// </summary>
    public AllKeysWriteGate EnterAllWriteGates()
    {
        foreach (LockShard shard in _shards)
        {
            shard.Sync.Enter();
        }

        return new AllKeysWriteGate(this);
    }

    internal bool AnyLockOnWhileAllGatesHeld(KeyPredicate matches)
    {
        foreach (LockShard shard in _shards)
        {
            foreach (var entry in shard.Entries.Values)
            {
                if (!entry.IsIdle && matches(entry.Key))
                {
                    return true;
                }
            }
        }

        return false;
    }

    internal void ExitAllWriteGates()
    {
        for (int i = _shards.Length - 1; i >= 0; i--)
        {
            _shards[i].Sync.Exit();
        }
    }

    /// <summary>True when some transaction holds <paramref name="key"/>. Allocates nothing.</summary>
    public bool IsLocked(ReadOnlySpan<byte> key)
    {
        LockShard shard = ShardFor(key);
        lock (shard.Sync)
        {
            return shard.Lookup.TryGetValue(key, out LockEntry? entry) && entry.HolderCount > 0;
        }
    }

    /// <summary>One holder of <paramref name="key"/> (the only one when exclusive). Allocates nothing.</summary>
    public bool TryGetHolder(ReadOnlySpan<byte> key, out TxnId holder, out LockMode mode)
    {
        LockShard shard = ShardFor(key);
        lock (shard.Sync)
        {
            if (shard.Lookup.TryGetValue(key, out LockEntry? entry) && entry.HolderCount > 0)
            {
                holder = entry.Holders[0].Txn;
                mode = entry.Holders[0].Mode;
                return true;
            }
        }

        holder = default;
        mode = default;
        return false;
    }

    /// <summary>
    /// True only if <paramref name="txn"/> holds <paramref name="key"/> exclusively under exactly
    /// <paramref name="fencingToken"/>. A stale token (from an earlier grant), a foreign one, or a shared
    /// hold is refused: the owner applies a write only when this returns true.
    /// </summary>
    public bool ValidateFence(ReadOnlySpan<byte> key, TxnId txn, long fencingToken)
    {
        LockShard shard = ShardFor(key);
        lock (shard.Sync)
        {
            if (!shard.Lookup.TryGetValue(key, out LockEntry? entry))
            {
                return false;
            }

            int index = entry.FindHolder(txn);
            return index >= 0
                && entry.Holders[index].Mode == LockMode.Exclusive
                && entry.Holders[index].Token == fencingToken;
        }
    }

    /// <summary>
    /// Marks the transaction as committing (prepared): from now on it cannot be wounded. False when it was
    /// already wounded or holds nothing here (its locks expired), in which case it must abort.
    /// </summary>
    public bool MarkCommitting(TxnId txn) => _txns.MarkCommitting(txn);

    /// <summary>
    /// Marks the transaction prepared (two-phase commit): it cannot be wounded, and its locks here no longer end by
    /// lease, by their session closing or by <see cref="Release"/>; only <see cref="ReleaseAll"/> (the transaction's
    /// decision) frees them. False when it was already wounded or holds nothing here (its locks expired).
    /// </summary>
    /// <remarks>
    /// Why: once a participant has voted to commit, the coordinator may decide commit and other participants may apply
    /// it; a participant that dropped its locks when the coordinator's link broke could then be overwritten before it
    /// applies its part, and a torn transaction would be visible (docs/transactions.md).
    /// </remarks>
    public bool MarkPrepared(TxnId txn) => _txns.MarkPrepared(txn);

    /// <summary>Extends the lease of a held lock to now + <paramref name="lease"/>; false if the transaction does not hold the key.</summary>
    public bool Renew(ReadOnlySpan<byte> key, TxnId txn, TimeSpan lease)
    {
        ValidateLease(lease);
        LockShard shard = ShardFor(key);
        long deadline = AddTicks(_time.GetTimestamp(), lease);
        lock (shard.Sync)
        {
            if (!shard.Lookup.TryGetValue(key, out LockEntry? entry))
            {
                return false;
            }

            int index = entry.FindHolder(txn);
            if (index < 0)
            {
                return false;
            }

            entry.Holders[index].LeaseDeadline = deadline;
            shard.NoteDeadline(deadline);
            return true;
        }
    }

    /// <summary>Stops the expiry timer and aborts every pending wait with <see cref="LockAbortReason.ShuttingDown"/>; later acquires abort the same way.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _expiryTimer?.Dispose();
        foreach (LockShard shard in _shards)
        {
            lock (shard.Sync)
            {
                shard.Disposed = true;
                foreach (KeyValuePair<byte[], LockEntry> pair in shard.Entries)
                {
                    LockEntry entry = pair.Value;
                    while (entry.Head is { } waiter)
                    {
                        entry.Unlink(waiter);
                        Complete(waiter, LockResult.Aborted(LockAbortReason.ShuttingDown));
                    }

                    shard.RemoveIfIdle(entry);
                }
            }
        }
    }

    internal void ReturnWaiter(LockWaiter waiter)
    {
        Interlocked.Decrement(ref _outstandingWaiters);
        _waiterPool.Return(waiter);
    }

    private LockWaiter RentWaiter()
    {
        Interlocked.Increment(ref _outstandingWaiters);
        return _waiterPool.Get();
    }

    private LockShard ShardFor(ReadOnlySpan<byte> key) => ShardFor(ByteKeyComparer.Hash(key));

    // Multiplicative hashing takes the shard from the hash's top bits, leaving the low bits (which the
    // shard's Dictionary uses for its buckets) independent of the shard choice.
    private LockShard ShardFor(int hash) =>
        _shards.Length == 1 ? _shards[0] : _shards[(int)(((uint)hash * 0x9E3779B9u) >> _shardShift)];

    private long AddTicks(long timestamp, TimeSpan duration)
    {
        if (duration == Timeout.InfiniteTimeSpan)
        {
            return long.MaxValue;
        }

        // Convert TimeSpan ticks (100 ns) to timestamp units; saturate rather than overflow.
        double delta = duration.Ticks * ((double)_time.TimestampFrequency / TimeSpan.TicksPerSecond);
        return delta >= long.MaxValue - timestamp ? long.MaxValue : timestamp + (long)delta;
    }

    private static void ValidateLease(TimeSpan lease)
    {
        if (lease <= TimeSpan.Zero && lease != Timeout.InfiniteTimeSpan)
        {
            Throw.ArgumentOutOfRange(nameof(lease), "A lease must be positive (or infinite).");
        }
    }

    private static bool Compatible(LockMode held, LockMode requested) =>
        held == LockMode.Shared && requested == LockMode.Shared;
}
