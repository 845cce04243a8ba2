// Wound-wait. Guarantees: no deadlock (only a younger transaction ever waits for an older one; an older
// requester wounds instead, and it waits only for a victim that is already aborting or a holder that is
// committing, neither of which waits for anything) and no starvation (the oldest transaction is never
// wounded, and retries keep their timestamp). Compared with wait-die it aborts less often (only when an
// older transaction actually collides) but each abort may throw away more work.
namespace FastDht.Locking.Strategies;

/// <summary>Wound-wait: an older requester wounds a younger growing holder; a younger requester waits.</summary>
public sealed class WoundWaitStrategy : ILockStrategy
{
    public const string StrategyName = "wound-wait";

    public string Name => StrategyName;

    public bool RequiresOrderedAcquisition => false;

    public LockAbortReason AbortReason => LockAbortReason.Wounded;

    public ConflictDecision Decide(TxnId requester, LockMode requestedMode, in LockConflict conflict)
    {
        if (!requester.IsOlderThan(conflict.Txn))
        {
            return ConflictDecision.Wait;
        }

        // A committing holder has all its locks and is about to release them: wounding it would discard
        // finished work, and waiting for it cannot deadlock because it waits for nothing.
        return conflict.State == HolderState.Committing ? ConflictDecision.Wait : ConflictDecision.Wound;
    }

    public TimeSpan GetWaitLimit(int attempt) => Timeout.InfiniteTimeSpan;
}
