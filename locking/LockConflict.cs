namespace FastDht.Locking;

/// <summary>One transaction standing between a requester and its lock: a holder, or a waiter queued ahead.</summary>
public readonly struct LockConflict
{
    public LockConflict(TxnId txn, LockMode mode, HolderState state, bool isWaiting)
    {
        Txn = txn;
        Mode = mode;
        State = state;
        IsWaiting = isWaiting;
    }

    /// <summary>The conflicting transaction.</summary>
    public TxnId Txn { get; }

    /// <summary>The mode it holds or waits for.</summary>
    public LockMode Mode { get; }

    /// <summary>Whether it is still growing or already committing.</summary>
    public HolderState State { get; }

    /// <summary>True for a waiter queued ahead of the requester, false for a holder.</summary>
    public bool IsWaiting { get; }
}
