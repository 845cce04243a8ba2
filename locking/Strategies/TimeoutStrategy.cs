// Timeout. Guarantees: no deadlock lasts longer than the wait limit (a cycle of waiters is broken when the
// first of them times out); no guarantee against starvation. Each retry waits a randomized, shrinking
// time: halving the nominal limit per attempt makes a transaction caught in a deadlock give up sooner the
// more often it has been caught, and drawing the actual limit from [nominal/2, nominal] keeps two
// deadlocked transactions from timing out in lockstep and colliding again.
using FastDht.Locking.Internal;

namespace FastDht.Locking.Strategies;

/// <summary>Timeout: conflicts wait, up to a randomized limit that shrinks with each retry; then the requester aborts.</summary>
public sealed class TimeoutStrategy : ILockStrategy
{
    public const string StrategyName = "timeout";

    private readonly Random _random;
    private readonly Lock _randomSync = new();

    /// <param name="initialLimit">Nominal limit of the first attempt. Defaults to 50 ms: a few LAN lock rounds (about 1 ms each) plus a commit, with room to spare.</param>
    /// <param name="minimumLimit">The nominal limit never shrinks below this. Defaults to 2 ms: about two lock round trips.</param>
    /// <param name="seed">Seed for the jitter; null for a random seed. Tests pass one.</param>
    public TimeoutStrategy(TimeSpan? initialLimit = null, TimeSpan? minimumLimit = null, int? seed = null)
    {
        InitialLimit = initialLimit ?? TimeSpan.FromMilliseconds(50);
        MinimumLimit = minimumLimit ?? TimeSpan.FromMilliseconds(2);
        if (InitialLimit <= TimeSpan.Zero || MinimumLimit <= TimeSpan.Zero || MinimumLimit > InitialLimit)
        {
            Throw.ArgumentOutOfRange(nameof(minimumLimit), "Limits must be positive, and the minimum no larger than the initial limit.");
        }

        _random = seed is { } s ? new Random(s) : new Random();
    }

    /// <summary>Nominal limit of attempt 0.</summary>
    public TimeSpan InitialLimit { get; }

    /// <summary>Floor of the nominal limit.</summary>
    public TimeSpan MinimumLimit { get; }

    public string Name => StrategyName;

    public bool RequiresOrderedAcquisition => false;

    public LockAbortReason AbortReason => LockAbortReason.TimedOut;

    public ConflictDecision Decide(TxnId requester, LockMode requestedMode, in LockConflict conflict) =>
        ConflictDecision.Wait;

    /// <summary>Nominal = max(minimum, initial / 2^attempt); the limit is uniform in [nominal/2, nominal].</summary>
    public TimeSpan GetWaitLimit(int attempt)
    {
        long nominal = InitialLimit.Ticks >> Math.Clamp(attempt, 0, 62);
        nominal = Math.Max(nominal, MinimumLimit.Ticks);
        long half = nominal / 2;
        long jitter;
        lock (_randomSync)
        {
            jitter = _random.NextInt64(half + 1);
        }

        return TimeSpan.FromTicks(nominal - half + jitter);
    }
}
