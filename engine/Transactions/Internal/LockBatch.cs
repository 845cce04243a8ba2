namespace FastDht.Engine.Transactions.Internal;

/// <summary>One TxnLock being served at a participant: a TxnAbort that arrives meanwhile marks it, so no key it takes later is kept.</summary>
internal sealed class LockBatch
{
    private int _aborted;

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    public void MarkAborted() => Interlocked.Exchange(ref _aborted, 1);
}
