// No-wait. Guarantees: no deadlock (nothing ever waits) and no blocking at all; it does NOT guarantee
// progress under heavy contention (two transactions can keep aborting each other), which the randomized
// exponential backoff makes unlikely but not impossible. Cheapest bookkeeping of all.
namespace FastDht.Locking.Strategies;

/// <summary>No-wait: any conflict aborts the requester at once.</summary>
public sealed class NoWaitStrategy : ILockStrategy
{
    public const string StrategyName = "no-wait";

    public string Name => StrategyName;

    public bool RequiresOrderedAcquisition => false;

    public LockAbortReason AbortReason => LockAbortReason.NoWait;

    public ConflictDecision Decide(TxnId requester, LockMode requestedMode, in LockConflict conflict) =>
        ConflictDecision.AbortRequester;

    public TimeSpan GetWaitLimit(int attempt) => Timeout.InfiniteTimeSpan;
}
