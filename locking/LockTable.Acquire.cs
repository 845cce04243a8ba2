using System.Buffers;
using FastDht.Locking.Internal;

namespace FastDht.Locking;

public sealed partial class LockTable
{
    // Wounds per request are rare and few; 8 fit on the stack, more spill to a pooled array.
    private const int StackVictims = 8;

    /// <summary>
    /// Acquires <paramref name="key"/> for <paramref name="txn"/> in <paramref name="mode"/>. Completes
    /// synchronously when the key is free, already held by the same transaction in a covering mode
    /// (re-entrant, not counted: one release frees it), or the strategy aborts the request; otherwise waits.
    /// </summary>
    /// <param name="key">The key bytes (copied when a new entry is made).</param>
    /// <param name="txn">The owner; only it can release the lock.</param>
    /// <param name="mode">Shared or exclusive; a shared holder asking for exclusive upgrades.</param>
    /// <param name="sessionId">The connection the request came on; <see cref="ReleaseSession"/> frees its locks.</param>
    /// <param name="lease">How long the lock lives without <see cref="Renew"/>; a wait never lasts longer either.</param>
    /// <param name="attempt">Retry number of the transaction (0 = first try); the timeout strategy shrinks its limit with it.</param>
    /// <param name="cancellationToken">Aborts a wait with <see cref="LockAbortReason.Cancelled"/> (no exception).</param>
    /// <exception cref="InvalidOperationException">The transaction already waits for another key in this table.</exception>
    public ValueTask<LockResult> AcquireAsync(
        ReadOnlySpan<byte> key,
        TxnId txn,
        LockMode mode,
        long sessionId,
        TimeSpan lease,
        int attempt = 0,
        CancellationToken cancellationToken = default)
    {
        if (key.IsEmpty)
        {
            Throw.EmptyKey();
        }

        if (txn.IsEmpty)
        {
            Throw.EmptyTxn();
        }

        ValidateLease(lease);
        LockShard shard = ShardFor(key);
        long now = _time.GetTimestamp();
        long leaseDeadline = AddTicks(now, lease);

        Span<TxnId> victims = stackalloc TxnId[StackVictims];
        TxnId[]? rentedVictims = null;
        int victimCount = 0;
        ValueTask<LockResult> outcome;
        bool concurrentWait = false;

        lock (shard.Sync)
        {
            if (shard.Disposed)
            {
                return new ValueTask<LockResult>(Counters.OnAbort(LockResult.Aborted(LockAbortReason.ShuttingDown)));
            }

            shard.Lookup.TryGetValue(key, out LockEntry? entry);
            if (entry is not null)
            {
                int own = entry.FindHolder(txn);
                if (own >= 0 && (entry.Holders[own].Mode == LockMode.Exclusive || mode == LockMode.Shared))
                {
                    ref LockHolder held = ref entry.Holders[own];
                    held.LeaseDeadline = Math.Max(held.LeaseDeadline, leaseDeadline);
                    return new ValueTask<LockResult>(LockResult.Granted(held.Token));
                }
            }

            TxnRecord record = _txns.Pin(txn);
            if (Volatile.Read(ref record.State) == TxnState.Wounded)
            {
                _txns.Unpin(record);
                return new ValueTask<LockResult>(Counters.OnAbort(LockResult.Aborted(LockAbortReason.Wounded)));
            }

            if (entry is null)
            {
                entry = shard.CreateEntry(key);
                long token = Grant(entry, record, txn, mode, sessionId, leaseDeadline, pinned: true);
                return new ValueTask<LockResult>(LockResult.Granted(token));
            }

            switch (Decide(entry, txn, mode))
            {
                case ConflictOutcome.None:
                    // No conflict at all (including an upgrade by the only holder).
                    long token = Grant(entry, record, txn, mode, sessionId, leaseDeadline, pinned: true);
                    return new ValueTask<LockResult>(LockResult.Granted(token));
                case ConflictOutcome.Abort:
                    _txns.Unpin(record);
                    return new ValueTask<LockResult>(Counters.OnAbort(LockResult.Aborted(_strategy.AbortReason)));
                case ConflictOutcome.WoundThenWait:
                    victimCount = ApplyWounds(entry, txn, mode, ref victims, ref rentedVictims);
                    break;
            }

            outcome = Wait(shard, entry, record, txn, mode, sessionId, now, lease, leaseDeadline, attempt, cancellationToken, out concurrentWait);
        }

        // Outside the shard lock: unblock and report the victims (their waits may sit in other shards).
        for (int i = 0; i < victimCount; i++)
        {
            TxnId victim = victims[i];
            if (_txns.FindWaiter(victim) is { } victimWaiter)
            {
                TryAbortWaiter(victimWaiter, victim, LockAbortReason.Wounded);
            }

            _woundNotifier?.OnWounded(victim, txn);
        }

        if (rentedVictims is not null)
        {
            ArrayPool<TxnId>.Shared.Return(rentedVictims);
        }

        if (concurrentWait)
        {
            Throw.ConcurrentWait(txn);
        }

        // A new wait is the only thing that can close a cycle of waits: look for one now (detect).
        if (_strategy.DetectsDeadlocks && !outcome.IsCompleted)
        {
            BreakLocalCycles(txn);
        }

        return outcome;
    }

    /// <summary>
    /// Asks the strategy about every conflicting holder and every conflicting waiter queued ahead:
    /// any AbortRequester aborts; otherwise any Wound wounds; otherwise the request waits.
    /// </summary>
    private ConflictOutcome Decide(LockEntry entry, TxnId txn, LockMode mode)
    {
        bool conflict = false;
        bool wound = false;
        LockHolder[] holders = entry.Holders;
        for (int i = 0; i < entry.HolderCount; i++)
        {
            ref LockHolder h = ref holders[i];
            if (h.Txn == txn || Compatible(h.Mode, mode))
            {
                continue;
            }

            conflict = true;
            var party = new LockConflict(h.Txn, h.Mode, h.Record.HolderState, isWaiting: false);
            ConflictDecision d = _strategy.Decide(txn, mode, in party);
            if (d == ConflictDecision.AbortRequester)
            {
                return ConflictOutcome.Abort;
            }

            wound |= d == ConflictDecision.Wound;
        }

        for (LockWaiter? w = entry.Head; w is not null; w = w.Next)
        {
            if (w.Txn == txn || Compatible(w.Mode, mode))
            {
                continue;
            }

            conflict = true;
            var party = new LockConflict(w.Txn, w.Mode, w.Record!.HolderState, isWaiting: true);
            ConflictDecision d = _strategy.Decide(txn, mode, in party);
            if (d == ConflictDecision.AbortRequester)
            {
                return ConflictOutcome.Abort;
            }

            wound |= d == ConflictDecision.Wound;
        }

        return !conflict ? ConflictOutcome.None : wound ? ConflictOutcome.WoundThenWait : ConflictOutcome.Wait;
    }

    /// <summary>Wounds every conflicting party the strategy names that is still growing; returns how many.</summary>
    private int ApplyWounds(LockEntry entry, TxnId txn, LockMode mode, ref Span<TxnId> victims, ref TxnId[]? rented)
    {
        int count = 0;
        LockHolder[] holders = entry.Holders;
        for (int i = 0; i < entry.HolderCount; i++)
        {
            ref LockHolder h = ref holders[i];
            if (h.Txn != txn && !Compatible(h.Mode, mode))
            {
                var party = new LockConflict(h.Txn, h.Mode, h.Record.HolderState, isWaiting: false);
                if (_strategy.Decide(txn, mode, in party) == ConflictDecision.Wound && TxnRegistry.TryWound(h.Record))
                {
                    AddVictim(ref victims, ref rented, ref count, h.Txn);
                }
            }
        }

        for (LockWaiter? w = entry.Head; w is not null; w = w.Next)
        {
            if (w.Txn != txn && !Compatible(w.Mode, mode))
            {
                var party = new LockConflict(w.Txn, w.Mode, w.Record!.HolderState, isWaiting: true);
                if (_strategy.Decide(txn, mode, in party) == ConflictDecision.Wound && TxnRegistry.TryWound(w.Record))
                {
                    AddVictim(ref victims, ref rented, ref count, w.Txn);
                }
            }
        }

        return count;
    }

    private static void AddVictim(ref Span<TxnId> victims, ref TxnId[]? rented, ref int count, TxnId victim)
    {
        if (count == victims.Length)
        {
            TxnId[] larger = ArrayPool<TxnId>.Shared.Rent(victims.Length * 2);
            victims.CopyTo(larger);
            if (rented is not null)
            {
                ArrayPool<TxnId>.Shared.Return(rented);
            }

            rented = larger;
            victims = larger;
        }

        victims[count++] = victim;
    }

    /// <summary>Queues the request behind the entry's waiters. Called under the shard lock with the record pinned.</summary>
    private ValueTask<LockResult> Wait(
        LockShard shard,
        LockEntry entry,
        TxnRecord record,
        TxnId txn,
        LockMode mode,
        long sessionId,
        long now,
        TimeSpan lease,
        long leaseDeadline,
        int attempt,
        CancellationToken cancellationToken,
        out bool concurrentWait)
    {
        concurrentWait = false;
        if (cancellationToken.IsCancellationRequested)
        {
            _txns.Unpin(record);
            return new ValueTask<LockResult>(Counters.OnAbort(LockResult.Aborted(LockAbortReason.Cancelled)));
        }

        LockWaiter waiter = RentWaiter();
        // Where the waiter will sit is set before AttachWaiter publishes it: a wounder that finds it through the
        // registry reads waiter.Shard at once (TryAbortWaiter), then waits for this shard's lock, held until the
        // waiter is queued. Set after, a wound in between read no shard (or a pooled waiter's old one) and was lost:
        // the victim waited out its lease, holding what its wounder waited for (the wound-wait stall of
        // ConcurrencyTests).
        waiter.Shard = shard;
        waiter.Entry = entry;
        waiter.Txn = txn;
        switch (_txns.AttachWaiter(record, waiter))
        {
            case AttachResult.AlreadyWaiting:
                ReturnWaiter(waiter);
                _txns.Unpin(record);
                concurrentWait = true;
                return default;
            case AttachResult.Wounded:
                ReturnWaiter(waiter);
                _txns.Unpin(record);
                return new ValueTask<LockResult>(Counters.OnAbort(LockResult.Aborted(LockAbortReason.Wounded)));
        }

        // A wait never outlives the requester's own lease: a coordinator that vanished without its
        // session dropping must not leave a waiter in the queue forever.
        long waitDeadline = Math.Min(leaseDeadline, AddTicks(now, _strategy.GetWaitLimit(attempt)));
        waiter.Mode = mode;
        waiter.SessionId = sessionId;
        waiter.LeaseTicks = lease == Timeout.InfiniteTimeSpan ? long.MaxValue : leaseDeadline - now;
        waiter.Deadline = waitDeadline;
        waiter.Record = record;
        waiter.CancellationToken = cancellationToken;
        entry.Enqueue(waiter);
        Counters.OnWait();
        shard.NoteDeadline(waitDeadline);
        _txns.Unpin(record);

        short version = waiter.Version;
        if (cancellationToken.CanBeCanceled)
        {
            // If the token fires right now the callback runs inline and re-enters this (recursive) lock,
            // completing the waiter; the caller still owns it until it awaits the ValueTask below.
            waiter.Registration = cancellationToken.UnsafeRegister(LockWaiter.OnCancelled, waiter);
        }

        return new ValueTask<LockResult>(waiter, version);
    }
}
