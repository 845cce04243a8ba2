using FastDht.Locking;
using LockMode = FastDht.Locking.LockMode;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// A lock strategy with a test seam: runs an action once, when the table first asks about a conflict of one
/// transaction (the moment it has decided the request waits, under the shard lock, before the wait is queued); every
/// answer is the wrapped strategy's. Not pure, unlike a real strategy.
/// </summary>
internal sealed class HookedStrategy : ILockStrategy
{
    private readonly ILockStrategy _inner;
    private TxnId _who;
    private Action? _action;

    public HookedStrategy(ILockStrategy inner) => _inner = inner;

    public bool Fired { get; private set; }

    public string Name => _inner.Name;

    public bool RequiresOrderedAcquisition => _inner.RequiresOrderedAcquisition;

    public bool DetectsDeadlocks => _inner.DetectsDeadlocks;

    public LockAbortReason AbortReason => _inner.AbortReason;

    public void OnFirstConflictOf(TxnId who, Action action)
    {
        _who = who;
        _action = action;
    }

    public ConflictDecision Decide(TxnId requester, LockMode requestedMode, in LockConflict conflict)
    {
        if (requester == _who && _action is { } action)
        {
            _action = null;
            action();
            Fired = true;
        }
        return _inner.Decide(requester, requestedMode, in conflict);
    }

    public TimeSpan GetWaitLimit(int attempt) => _inner.GetWaitLimit(attempt);
}
