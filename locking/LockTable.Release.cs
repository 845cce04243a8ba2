using FastDht.Locking.Internal;

namespace FastDht.Locking;

public sealed partial class LockTable
{
    /// <summary>
    /// Releases <paramref name="txn"/>'s lock on <paramref name="key"/> and wakes the waiters that can now
    /// go, in FIFO order. Returns false, and changes nothing, when <paramref name="txn"/> does not hold the
    /// key: a release by anyone but the owner is refused. A prepared hold (<see cref="MarkPrepared"/>) is refused
    /// too: only the transaction's decision (<see cref="ReleaseAll"/>) ends it.
    /// </summary>
    public bool Release(ReadOnlySpan<byte> key, TxnId txn)
    {
        LockShard shard = ShardFor(key);
        lock (shard.Sync)
        {
            if (!shard.Lookup.TryGetValue(key, out LockEntry? entry))
            {
                return false;
            }

            int index = entry.FindHolder(txn);
            if (index < 0 || entry.Holders[index].Record.IsPrepared)
            {
                return false;
            }

            RemoveHolder(entry, index);
            GrantWaiters(entry, _time.GetTimestamp());
            shard.RemoveIfIdle(entry);
            return true;
        }
    }

    /// <summary>
    /// Releases every lock <paramref name="txn"/> holds here and aborts its pending wait (with
    /// <see cref="LockAbortReason.Released"/>): the transaction committed or aborted. Returns the number of
    /// locks released.
    /// </summary>
    public int ReleaseAll(TxnId txn)
    {
        // The wait goes first, so it cannot be granted after the holds are gone and leak.
        if (_txns.FindWaiter(txn) is { } waiter)
        {
            TryAbortWaiter(waiter, txn, LockAbortReason.Released);
        }

        int released = 0;
        while (_txns.PeekHeld(txn) is { } entry)
        {
            LockShard shard = entry.Shard;
            lock (shard.Sync)
            {
                int index = entry.FindHolder(txn);
                if (index >= 0)
                {
                    RemoveHolder(entry, index);
                    GrantWaiters(entry, _time.GetTimestamp());
                    shard.RemoveIfIdle(entry);
                    released++;
                }
                else
                {
                    // The hold ended meanwhile (lease, session) and the entry may serve another key now.
                    _txns.RemoveHeldIfPresent(txn, entry);
                }
            }
        }

        return released;
    }

    /// <summary>
    /// The connection <paramref name="sessionId"/> dropped: releases every lock taken through it and aborts
    /// its pending waits (with <see cref="LockAbortReason.SessionClosed"/>). Prepared holds stay: their
    /// transaction's outcome is decided elsewhere and learned later. Scans the whole table (a connection drop is
    /// rare). Returns the number of locks released.
    /// </summary>
    public int ReleaseSession(long sessionId)
    {
        int released = 0;
        long now = _time.GetTimestamp();
        foreach (LockShard shard in _shards)
        {
            lock (shard.Sync)
            {
                foreach (KeyValuePair<byte[], LockEntry> pair in shard.Entries)
                {
                    LockEntry entry = pair.Value;
                    for (LockWaiter? w = entry.Head; w is not null;)
                    {
                        LockWaiter? next = w.Next;
                        if (w.SessionId == sessionId)
                        {
                            entry.Unlink(w);
                            Complete(w, LockResult.Aborted(LockAbortReason.SessionClosed));
                        }

                        w = next;
                    }

                    for (int i = entry.HolderCount - 1; i >= 0; i--)
                    {
                        if (entry.Holders[i].SessionId == sessionId && !entry.Holders[i].Record.IsPrepared)
                        {
                            RemoveHolder(entry, i);
                            released++;
                        }
                    }

                    GrantWaiters(entry, now);

                    // Removing the current entry while enumerating is allowed for Dictionary (.NET Core 3.0+).
                    shard.RemoveIfIdle(entry);
                }
            }
        }

        return released;
    }

    /// <summary>Takes a holder out of an entry and out of its transaction's list. Under the shard lock.</summary>
    private void RemoveHolder(LockEntry entry, int index)
    {
        TxnRecord record = entry.Holders[index].Record;
        entry.RemoveHolderAt(index);
        _txns.RemoveHeld(record, entry);
    }

    /// <summary>Adds (or upgrades) a hold with a fresh fencing token, and ends the caller's pin when <paramref name="pinned"/>. Under the shard lock.</summary>
    private long Grant(LockEntry entry, TxnRecord record, TxnId txn, LockMode mode, long sessionId, long leaseDeadline, bool pinned)
    {
        long token = Interlocked.Increment(ref _fence);
        int own = entry.FindHolder(txn);
        if (own >= 0)
        {
            ref LockHolder held = ref entry.Holders[own];
            held.Mode = mode;
            held.Token = token;
            held.SessionId = sessionId;
            held.LeaseDeadline = Math.Max(held.LeaseDeadline, leaseDeadline);
            if (pinned)
            {
                _txns.Unpin(record);
            }
        }
        else
        {
            entry.AddHolder(new LockHolder(txn, mode, token, leaseDeadline, sessionId, record));
            _txns.AddHeld(record, entry, unpin: pinned);
        }

        entry.Shard.NoteDeadline(leaseDeadline);
        return token;
    }

    /// <summary>
    /// Grants queued waiters from the head while they are compatible with the holders; stops at the first
    /// that is not (FIFO: nobody overtakes it). Wounded waiters met on the way are aborted. Under the shard lock.
    /// </summary>
    private void GrantWaiters(LockEntry entry, long now)
    {
        while (entry.Head is { } waiter)
        {
            if (Volatile.Read(ref waiter.Record!.State) == TxnState.Wounded)
            {
                entry.Unlink(waiter);
                Complete(waiter, LockResult.Aborted(LockAbortReason.Wounded));
                continue;
            }

            if (!CompatibleWithHolders(entry, waiter.Txn, waiter.Mode))
            {
                return;
            }

            entry.Unlink(waiter);
            long leaseDeadline = waiter.LeaseTicks == long.MaxValue || waiter.LeaseTicks >= long.MaxValue - now
                ? long.MaxValue
                : now + waiter.LeaseTicks;
            long token = Grant(entry, waiter.Record, waiter.Txn, waiter.Mode, waiter.SessionId, leaseDeadline, pinned: false);
            Complete(waiter, LockResult.Granted(token));
        }
    }

    private static bool CompatibleWithHolders(LockEntry entry, TxnId txn, LockMode mode)
    {
        LockHolder[] holders = entry.Holders;
        for (int i = 0; i < entry.HolderCount; i++)
        {
            if (holders[i].Txn != txn && !Compatible(holders[i].Mode, mode))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Completes an unlinked waiter exactly once. Under the shard lock.</summary>
    private void Complete(LockWaiter waiter, LockResult result)
    {
        // Unregister, not Dispose: Dispose would wait for a running callback, which may be blocked on this lock.
        waiter.Registration.Unregister();
        _txns.DetachWaiter(waiter.Record!, waiter);
        waiter.SetResult(result.IsGranted ? result : Counters.OnAbort(result));
    }

    /// <summary>Aborts a queued waiter if it still waits for <paramref name="txn"/>; no-op if it completed (or was recycled) meanwhile.</summary>
    private bool TryAbortWaiter(LockWaiter waiter, TxnId txn, LockAbortReason reason)
    {
        LockShard? shard = waiter.Shard;
        if (shard is null)
        {
            return false;
        }

        lock (shard.Sync)
        {
            if (!waiter.Queued || !ReferenceEquals(waiter.Shard, shard) || waiter.Txn != txn)
            {
                return false;
            }

            LockEntry entry = waiter.Entry!;
            entry.Unlink(waiter);
            Complete(waiter, LockResult.Aborted(reason));
            GrantWaiters(entry, _time.GetTimestamp());
            shard.RemoveIfIdle(entry);
            return true;
        }
    }

    internal void AbortCancelledWaiter(LockWaiter waiter, CancellationToken token)
    {
        LockShard? shard = waiter.Shard;
        if (shard is null)
        {
            return;
        }

        lock (shard.Sync)
        {
            if (!waiter.Queued || !ReferenceEquals(waiter.Shard, shard) || waiter.CancellationToken != token)
            {
                return;
            }

            LockEntry entry = waiter.Entry!;
            entry.Unlink(waiter);
            Complete(waiter, LockResult.Aborted(LockAbortReason.Cancelled));
            GrantWaiters(entry, _time.GetTimestamp());
            shard.RemoveIfIdle(entry);
        }
    }
}
