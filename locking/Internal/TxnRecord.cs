namespace FastDht.Locking.Internal;

/// <summary>What one lock table knows about one transaction: its state, the keys it holds, its pending wait.</summary>
/// <remarks>
/// Pooled by <see cref="TxnRegistry"/>. Fields other than <see cref="State"/> change only under the owning
/// stripe's lock. A record stays alive while it holds a key, has a pending wait, or is pinned by an acquire
/// in progress, so a reference taken under a shard lock from a holder or a waiter is always current;
/// a reference used after that lock is released is checked against <see cref="Txn"/> first.
/// </remarks>
internal sealed class TxnRecord
{
    public TxnId Txn;

    /// <summary>A <see cref="TxnState"/> value; changed with Interlocked because wounding happens under shard locks, not the stripe's.</summary>
    public int State;

    /// <summary>Entries this transaction holds; mirrors the entries' holder lists.</summary>
    public readonly List<LockEntry> Held = new(4);

    /// <summary>The one pending wait, if any (a transaction acquires its keys at a participant one at a time).</summary>
    public LockWaiter? Waiter;

    /// <summary>Acquires in progress that hold a reference to this record.</summary>
    public int Pins;

    public bool IsIdle => Held.Count == 0 && Waiter is null && Pins == 0;

    public HolderState HolderState => Volatile.Read(ref State) is TxnState.Committing or TxnState.Prepared ? HolderState.Committing : HolderState.Growing;

    /// <summary>Held until decided: exempt from lease expiry, session release and single-key release.</summary>
    public bool IsPrepared => Volatile.Read(ref State) == TxnState.Prepared;

    public void Reset(TxnId txn)
    {
        Txn = txn;
        State = TxnState.Growing;
        Held.Clear();
        Waiter = null;
        Pins = 0;
    }
}
