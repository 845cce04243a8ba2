// Ordered acquisition. Guarantees: no deadlock and no abort, provided the coordinator keeps its side of the
// contract: it takes locks one owner node at a time, in one global key order (owner order, then key bytes),
// in the final mode (no shared-to-exclusive upgrade). Every transaction then climbs the same order, so no
// cycle can form; at the table it is plain FIFO waiting. Cost: the lock phase is sequential across owners.
namespace FastDht.Locking.Strategies;

/// <summary>Ordered: the coordinator locks keys in global order; the table just waits in FIFO order.</summary>
public sealed class OrderedStrategy : ILockStrategy
{
    public const string StrategyName = "ordered";

    public string Name => StrategyName;

    public bool RequiresOrderedAcquisition => true;

    public LockAbortReason AbortReason => LockAbortReason.None;

    public ConflictDecision Decide(TxnId requester, LockMode requestedMode, in LockConflict conflict) =>
        ConflictDecision.Wait;

    public TimeSpan GetWaitLimit(int attempt) => Timeout.InfiniteTimeSpan;
}
