// Deadlock detection ("detect", the DL_DETECT of Yu et al. 2014). Guarantees: no deadlock outlives its detection,
// and no transaction is aborted unless it is in a cycle of waits (its victim); it does NOT guarantee freedom from
// starvation in theory, but the victim is always the youngest transaction of its cycle and a retry keeps its id, so a
// transaction only ages and, once the oldest in the system, is never chosen again.
// Who waits: everyone, in FIFO order, like "timeout" and "ordered": a conflict never aborts anyone by itself. Who
// aborts: the youngest transaction of each cycle of the wait-for graph, with Aborted(Deadlock).
// How cycles are found:
// - A cycle inside one lock table is found at once: when a request starts to wait, the table follows the wait-for
//   edges from it (holders and incompatible waiters queued ahead, one shard at a time) and, when they lead back to the
//   requester, checks the cycle's edges a second time and aborts its youngest member's wait.
// - A cycle across nodes has no single table that sees it. The engine runs a periodic global detector (the node with
//   the smallest id among those linked): it collects every node's wait-for edges (LockTable.CollectWaitsFor), finds the
//   cycles (WaitForGraph) and aborts each victim through its coordinator. Why periodic rather than edge chasing
//   (Chandy-Misra-Haas probes): a coordinator locks all its participants at once, so a transaction can wait at several
//   nodes at the same time, and a node does not know where a remote blocker waits; a probe would have to be sent to
//   every node on every wait, while deadlocks are rare next to waits. Collecting the edges costs one round trip per
//   peer per interval, whatever the number of waits, and a cycle is broken at most an interval plus a round trip after
//   it closes. See docs/locking.md.
// Why it is cheap when there is no deadlock: a request that is granted at once does no detection; only a wait walks the
// graph, and only as far as the chain of waits behind it goes.
namespace FastDht.Locking.Strategies;

/// <summary>Detect: conflicts wait; cycles of waits are found (locally at once, across nodes periodically) and their youngest transaction aborted.</summary>
public sealed class DeadlockDetectStrategy : ILockStrategy
{
    public const string StrategyName = "detect";

    public string Name => StrategyName;

    public bool RequiresOrderedAcquisition => false;

    public bool DetectsDeadlocks => true;

    public LockAbortReason AbortReason => LockAbortReason.Deadlock;

    public ConflictDecision Decide(TxnId requester, LockMode requestedMode, in LockConflict conflict) =>
        ConflictDecision.Wait;

    public TimeSpan GetWaitLimit(int attempt) => Timeout.InfiniteTimeSpan;
}
