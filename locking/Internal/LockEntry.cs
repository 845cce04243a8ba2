namespace FastDht.Locking.Internal;

/// <summary>One locked key: a copy of its bytes, its holders, and its FIFO queue of waiters.</summary>
/// <remarks>Changed only under its shard's lock. Pooled per shard; the key array is replaced on reuse.</remarks>
internal sealed class LockEntry
{
    public LockEntry(LockShard shard)
    {
        Shard = shard;
    }

    public LockShard Shard { get; }

    public byte[] Key = [];

    // Most keys have one holder (exclusive) or a few (shared); 2 slots cover both without growing.
    public LockHolder[] Holders = new LockHolder[2];
    public int HolderCount;

    public LockWaiter? Head;
    public LockWaiter? Tail;

    public bool IsIdle => HolderCount == 0 && Head is null;

    public int FindHolder(TxnId txn)
    {
        LockHolder[] holders = Holders;
        for (int i = 0; i < HolderCount; i++)
        {
            if (holders[i].Txn == txn)
            {
                return i;
            }
        }

        return -1;
    }

    public void AddHolder(in LockHolder holder)
    {
        if (HolderCount == Holders.Length)
        {
            Array.Resize(ref Holders, Holders.Length * 2);
        }

        Holders[HolderCount++] = holder;
    }

    public void RemoveHolderAt(int index)
    {
        int last = --HolderCount;
        Holders[index] = Holders[last];
        Holders[last] = default;
    }

    public void Enqueue(LockWaiter waiter)
    {
        waiter.Prev = Tail;
        waiter.Next = null;
        if (Tail is null)
        {
            Head = waiter;
        }
        else
        {
            Tail.Next = waiter;
        }

        Tail = waiter;
        waiter.Queued = true;
    }

    public void Unlink(LockWaiter waiter)
    {
        if (waiter.Prev is null)
        {
            Head = waiter.Next;
        }
        else
        {
            waiter.Prev.Next = waiter.Next;
        }

        if (waiter.Next is null)
        {
            Tail = waiter.Prev;
        }
        else
        {
            waiter.Next.Prev = waiter.Prev;
        }

        waiter.Prev = null;
        waiter.Next = null;
        waiter.Queued = false;
    }

    // Keys up to 256 bytes stay with a pooled entry for reuse; a larger one is dropped so that the pool
    // (32 entries x 64 shards) cannot pin megabytes of 64 KiB keys.
    private const int MaxRetainedKeyLength = 256;

    public void Reset()
    {
        if (Key.Length > MaxRetainedKeyLength)
        {
            Key = [];
        }

        Array.Clear(Holders);
        HolderCount = 0;
        Head = null;
        Tail = null;
    }
}
