// Wait-die (the default). Guarantees: no deadlock (only an older transaction ever waits for a younger one,
// so waits cannot form a cycle) and no starvation (a younger requester dies at once, retries after backoff
// with its original timestamp, and eventually is the oldest). Cost: young transactions die even when the
// older holder would have finished quickly.
namespace FastDht.Locking.Strategies;

/// <summary>Wait-die: an older requester waits for a younger holder; a younger requester dies at once.</summary>
public sealed class WaitDieStrategy : ILockStrategy
{
    public const string StrategyName = "wait-die";

    public string Name => StrategyName;

    public bool RequiresOrderedAcquisition => false;

    public LockAbortReason AbortReason => LockAbortReason.Died;

    public ConflictDecision Decide(TxnId requester, LockMode requestedMode, in LockConflict conflict) =>
        requester.IsOlderThan(conflict.Txn) ? ConflictDecision.Wait : ConflictDecision.AbortRequester;

    public TimeSpan GetWaitLimit(int attempt) => Timeout.InfiniteTimeSpan;
}
