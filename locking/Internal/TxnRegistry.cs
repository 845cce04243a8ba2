namespace FastDht.Locking.Internal;

// Design: per-transaction records, striped.
// The lock table must find a transaction's keys without scanning (ReleaseAll, MarkCommitting on every
// commit), so each transaction has a record listing the entries it holds. Records live in stripes (a
// lock and a plain Dictionary each, which allocates nothing per add once grown) and are pooled per
// stripe. Lock order: a shard lock may be held when a stripe lock is taken, never the reverse.

/// <summary>The transaction records of one lock table, striped by transaction id.</summary>
internal sealed class TxnRegistry
{
    // 64 free records per stripe: enough to absorb the churn of a busy node without holding much memory.
    private const int MaxFreePerStripe = 64;

    private readonly Stripe[] _stripes;
    private readonly int _mask;

    public TxnRegistry(int stripeCount)
    {
        _stripes = new Stripe[stripeCount];
        for (int i = 0; i < stripeCount; i++)
        {
            _stripes[i] = new Stripe();
        }

        _mask = stripeCount - 1;
    }

    /// <summary>Number of live records (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            int count = 0;
            foreach (Stripe stripe in _stripes)
            {
                lock (stripe.Sync)
                {
                    count += stripe.Records.Count;
                }
            }

            return count;
        }
    }

    /// <summary>Gets or creates the record and pins it, so it survives until <see cref="Unpin"/>.</summary>
    public TxnRecord Pin(TxnId txn)
    {
        Stripe stripe = StripeFor(txn);
        lock (stripe.Sync)
        {
            if (!stripe.Records.TryGetValue(txn, out TxnRecord? record))
            {
                record = stripe.Free.Count > 0 ? stripe.Free.Pop() : new TxnRecord();
                record.Reset(txn);
                stripe.Records.Add(txn, record);
            }

            record.Pins++;
            return record;
        }
    }

    public void Unpin(TxnRecord record)
    {
        Stripe stripe = StripeFor(record.Txn);
        lock (stripe.Sync)
        {
            record.Pins--;
            RemoveIfIdle(stripe, record);
        }
    }

    /// <summary>Adds a held entry; with <paramref name="unpin"/>, also ends the caller's pin (one lock instead of two).</summary>
    public void AddHeld(TxnRecord record, LockEntry entry, bool unpin)
    {
        Stripe stripe = StripeFor(record.Txn);
        lock (stripe.Sync)
        {
            record.Held.Add(entry);
            if (unpin)
            {
                record.Pins--;
            }
        }
    }

    /// <summary>Removes a held entry (searching from the end: releases usually pop the latest) and drops the record when idle.</summary>
    public void RemoveHeld(TxnRecord record, LockEntry entry)
    {
        Stripe stripe = StripeFor(record.Txn);
        lock (stripe.Sync)
        {
            List<LockEntry> held = record.Held;
            int index = held.LastIndexOf(entry);
            if (index >= 0)
            {
                held.RemoveAt(index);
            }

            RemoveIfIdle(stripe, record);
        }
    }

    /// <summary>Removes <paramref name="entry"/> from the transaction's list if it is there (a stale item found by ReleaseAll).</summary>
    public void RemoveHeldIfPresent(TxnId txn, LockEntry entry)
    {
        Stripe stripe = StripeFor(txn);
        lock (stripe.Sync)
        {
            if (stripe.Records.TryGetValue(txn, out TxnRecord? record))
            {
                int index = record.Held.LastIndexOf(entry);
                if (index >= 0)
                {
                    record.Held.RemoveAt(index);
                }

                RemoveIfIdle(stripe, record);
            }
        }
    }

    /// <summary>The most recently added entry the transaction holds, or null.</summary>
    public LockEntry? PeekHeld(TxnId txn)
    {
        Stripe stripe = StripeFor(txn);
        lock (stripe.Sync)
        {
            return stripe.Records.TryGetValue(txn, out TxnRecord? record) && record.Held.Count > 0
                ? record.Held[^1]
                : null;
        }
    }

    /// <summary>The transaction's pending waiter, or null.</summary>
    public LockWaiter? FindWaiter(TxnId txn)
    {
        Stripe stripe = StripeFor(txn);
        lock (stripe.Sync)
        {
            return stripe.Records.TryGetValue(txn, out TxnRecord? record) ? record.Waiter : null;
        }
    }

    /// <summary>Records the pending wait; reports a second concurrent wait, or a wound that raced with this wait.</summary>
    public AttachResult AttachWaiter(TxnRecord record, LockWaiter waiter)
    {
        Stripe stripe = StripeFor(record.Txn);
        lock (stripe.Sync)
        {
            if (record.Waiter is not null)
            {
                return AttachResult.AlreadyWaiting;
            }

            // Set the waiter before reading the state: a wounder sets the state (Interlocked) before it looks
            // for the waiter under this stripe lock, so one of the two always sees the other.
            record.Waiter = waiter;
            if (Volatile.Read(ref record.State) == TxnState.Wounded)
            {
                record.Waiter = null;
                return AttachResult.Wounded;
            }

            return AttachResult.Attached;
        }
    }

    public void DetachWaiter(TxnRecord record, LockWaiter waiter)
    {
        Stripe stripe = StripeFor(record.Txn);
        lock (stripe.Sync)
        {
            if (ReferenceEquals(record.Waiter, waiter))
            {
                record.Waiter = null;
            }

            RemoveIfIdle(stripe, record);
        }
    }

    /// <summary>Growing becomes Committing; false when the transaction holds nothing here or was wounded.</summary>
    public bool MarkCommitting(TxnId txn)
    {
        Stripe stripe = StripeFor(txn);
        lock (stripe.Sync)
        {
            if (!stripe.Records.TryGetValue(txn, out TxnRecord? record) || record.Held.Count == 0)
            {
                return false;
            }

            int previous = Interlocked.CompareExchange(ref record.State, TxnState.Committing, TxnState.Growing);
            return previous != TxnState.Wounded;
        }
    }

    /// <summary>Growing (or Committing) becomes Prepared; false when the transaction holds nothing here or was wounded.</summary>
    public bool MarkPrepared(TxnId txn)
    {
        Stripe stripe = StripeFor(txn);
        lock (stripe.Sync)
        {
            if (!stripe.Records.TryGetValue(txn, out TxnRecord? record) || record.Held.Count == 0)
            {
                return false;
            }

            while (true)
            {
                int state = Volatile.Read(ref record.State);
                if (state == TxnState.Wounded)
                {
                    return false;
                }

                if (state == TxnState.Prepared || Interlocked.CompareExchange(ref record.State, TxnState.Prepared, state) == state)
                {
                    return true;
                }
            }
        }
    }

    /// <summary>Wounds a growing transaction; false when it is committing or already wounded.</summary>
    public static bool TryWound(TxnRecord record) =>
        Interlocked.CompareExchange(ref record.State, TxnState.Wounded, TxnState.Growing) == TxnState.Growing;

    private static void RemoveIfIdle(Stripe stripe, TxnRecord record)
    {
        if (record.IsIdle && stripe.Records.Remove(record.Txn))
        {
            if (stripe.Free.Count < MaxFreePerStripe)
            {
                stripe.Free.Push(record);
            }
        }
    }

    private Stripe StripeFor(TxnId txn) => _stripes[(int)((uint)txn.GetHashCode() * 0x9E3779B9u >> 8) & _mask];

    /// <summary>One lock, its records and its free list.</summary>
    private sealed class Stripe
    {
        public readonly Lock Sync = new();
        public readonly Dictionary<TxnId, TxnRecord> Records = new();
        public readonly Stack<TxnRecord> Free = new();
    }
}
