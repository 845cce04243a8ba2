namespace FastDht.Locking;

// Design: the lock strategy contract.
//
// A strategy decides one thing: when a request conflicts, who waits and who aborts. The lock table asks it
// once per conflicting transaction (each incompatible holder, and each incompatible waiter queued ahead,
// because the queue is FIFO and a newcomer never barges). The decisions are pure functions of the two
// transactions' ages, modes and states, so each strategy is tested by its decision table alone and the
// table applies them: any AbortRequester aborts the request and changes nothing; otherwise every Wound
// victim that is still growing is wounded, and the requester waits.
//
// The guarantees come from the direction of waits. Wait-die lets only older transactions wait for younger
// ones, wound-wait only younger for older (older ones wound instead); either way the waits-for graph has no
// cycle, locally or across nodes, because every node orders transactions by the same id. Retries keep the
// original id, so a transaction ages until it is the oldest and then cannot lose: no starvation. No-wait
// never waits, so it cannot deadlock, but it can starve. Timeout waits a bounded time, so a deadlock costs
// at most the limit. Ordered relies on the coordinator taking keys in one global order (which makes a
// cycle impossible) and simply waits in FIFO order at the table. Detect lets every conflict wait and
// breaks the cycles that form instead (DetectsDeadlocks): the table finds those within itself when a
// wait begins, and the engine finds those across nodes from every table's wait-for edges.

/// <summary>A pluggable lock-conflict policy, chosen by name from <see cref="LockStrategyRegistry"/>.</summary>
public interface ILockStrategy
{
    /// <summary>The registry name ("wait-die", "wound-wait", ...).</summary>
    string Name { get; }

    /// <summary>True when the coordinator must take locks one owner at a time in global key order.</summary>
    bool RequiresOrderedAcquisition { get; }

    /// <summary>
    /// True when waits may form cycles that must be found and broken: the lock table then checks for a cycle whenever
    /// a request starts to wait, and aborts the youngest transaction of a cycle it finds with <see cref="AbortReason"/>.
    /// </summary>
    /// <remarks>Defaults to false: the other strategies prevent cycles (or bound them with a wait limit) instead.</remarks>
    bool DetectsDeadlocks => false;

    /// <summary>The reason reported when <see cref="Decide"/> returns <see cref="ConflictDecision.AbortRequester"/>.</summary>
    LockAbortReason AbortReason { get; }

    /// <summary>Decides one conflict. Must be pure: no state, no side effects.</summary>
    ConflictDecision Decide(TxnId requester, LockMode requestedMode, in LockConflict conflict);

    /// <summary>
    /// The longest a request of the given retry attempt (0 = first) may wait, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> for no limit beyond the requester's lease.
    /// </summary>
    TimeSpan GetWaitLimit(int attempt);
}
