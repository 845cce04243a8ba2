using FastDht.Locking.Internal;

namespace FastDht.Locking;

// Design: deadlock detection at the table (strategies with DetectsDeadlocks, "detect").
// Requirements: a cycle of waits within this table is broken as soon as it closes, by aborting its youngest member;
// a transaction that is not in a cycle is never aborted; the table's lock order holds (one shard lock at a time, so
// the walk never deadlocks with the grants it inspects).
// How: the request that closes a cycle is the one that starts to wait last, so each new wait walks the graph from its
// requester, reading one transaction's wait at a time under that wait's shard lock. The view is not a snapshot: edges
// seen at different moments might never have coexisted. A real deadlock's edges never go away on their own, so a cycle
// found is read a second time, edge by edge, before its victim is aborted: only a cycle whose edges all held twice is
// broken. The walk stops after MaxWalk transactions (a pathological chain); a cycle beyond is still found by the
// engine's global detector, which sees this table's edges through CollectWaitsFor.

public sealed partial class LockTable
{
    // 1024 transactions: far beyond a real chain of waits (each is a transaction blocked on the next), yet a bound on
    // the work one wait can cause.
    private const int MaxWalk = 1024;

    [ThreadStatic]
    private static DeadlockScratch? t_detect;

    /// <summary>
    /// Adds every wait-for edge of this table to <paramref name="edges"/>, up to <paramref name="maxEdges"/>: each
    /// waiter waits for every incompatible holder of its key and every incompatible waiter queued ahead of it. Takes one
    /// shard lock at a time, so the result is not a snapshot (see the design note). Returns the number of edges added.
    /// </summary>
    public int CollectWaitsFor(ICollection<WaitForEdge> edges, int maxEdges = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(edges);
        var blockers = new List<TxnId>();
        int added = 0;
        foreach (LockShard shard in _shards)
        {
            lock (shard.Sync)
            {
                foreach (KeyValuePair<byte[], LockEntry> pair in shard.Entries)
                {
                    for (LockWaiter? w = pair.Value.Head; w is not null; w = w.Next)
                    {
                        blockers.Clear();
                        AddBlockers(pair.Value, w, blockers);
                        foreach (TxnId blocker in blockers)
                        {
                            if (added == maxEdges)
                            {
                                return added;
                            }

                            edges.Add(new WaitForEdge(w.Txn, blocker));
                            added++;
                        }
                    }
                }
            }
        }

        return added;
    }

    /// <summary>
    /// Aborts <paramref name="victim"/>'s pending wait here with <see cref="LockAbortReason.Deadlock"/>. False when it
    /// waits for nothing here (its wait ended meanwhile).
    /// </summary>
    public bool AbortDeadlockVictim(TxnId victim) =>
        _txns.FindWaiter(victim) is { } waiter && TryAbortWaiter(waiter, victim, LockAbortReason.Deadlock);

    /// <summary>
    /// After <paramref name="requester"/> started to wait: walks the wait-for graph from it and breaks every cycle found
    /// whose edges all hold when read again, by aborting the cycle's youngest member's wait. Outside every lock.
    /// </summary>
    private void BreakLocalCycles(TxnId requester)
    {
        DeadlockScratch s = t_detect ??= new DeadlockScratch();
        s.Clear();
        s.Pending.Enqueue(requester);
        s.Seen.Add(requester);
        while (s.Pending.Count > 0 && s.Seen.Count < MaxWalk)
        {
            TxnId txn = s.Pending.Dequeue();
            s.Blockers.Clear();
            BlockersOf(txn, s.Blockers);
            foreach (TxnId blocker in s.Blockers)
            {
                s.Graph.Add(txn, blocker);
                if (s.Seen.Add(blocker))
                {
                    s.Pending.Enqueue(blocker);
                }
            }
        }

        if (s.Graph.FindCycles(s.Cycles) == 0)
        {
            return;
        }

        foreach (TxnId[] cycle in s.Cycles)
        {
            if (StillACycle(cycle, s.Blockers))
            {
                AbortDeadlockVictim(WaitForGraph.Youngest(cycle));
            }
        }
    }

    /// <summary>Reads every edge of <paramref name="cycle"/> again: true when each member still waits for the next.</summary>
    private bool StillACycle(TxnId[] cycle, List<TxnId> scratch)
    {
        for (int i = 0; i < cycle.Length; i++)
        {
            scratch.Clear();
            BlockersOf(cycle[i], scratch);
            if (!scratch.Contains(cycle[(i + 1) % cycle.Length]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The transactions <paramref name="txn"/>'s pending wait here waits for (none when it does not wait here).</summary>
    private void BlockersOf(TxnId txn, List<TxnId> blockers)
    {
        if (_txns.FindWaiter(txn) is not { } waiter || waiter.Shard is not { } shard)
        {
            return;
        }

        lock (shard.Sync)
        {
            // The waiter may have completed, or been recycled for another wait, since it was found.
            if (waiter.Queued && ReferenceEquals(waiter.Shard, shard) && waiter.Txn == txn)
            {
                AddBlockers(waiter.Entry!, waiter, blockers);
            }
        }
    }

    /// <summary>Adds the transactions one queued waiter waits for: incompatible holders, then incompatible waiters ahead. Under the shard lock.</summary>
    private static void AddBlockers(LockEntry entry, LockWaiter waiter, List<TxnId> blockers)
    {
        LockHolder[] holders = entry.Holders;
        for (int i = 0; i < entry.HolderCount; i++)
        {
            if (holders[i].Txn != waiter.Txn && !Compatible(holders[i].Mode, waiter.Mode))
            {
                blockers.Add(holders[i].Txn);
            }
        }

        for (LockWaiter? w = entry.Head; w is not null && !ReferenceEquals(w, waiter); w = w.Next)
        {
            if (w.Txn != waiter.Txn && !Compatible(w.Mode, waiter.Mode))
            {
                blockers.Add(w.Txn);
            }
        }
    }
}
