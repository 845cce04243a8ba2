namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// One decision on its way to the remote participants of an attempt: counts their acknowledgements and tells the
/// coordinator when the commit can no longer be lost (the first remote participant applied it) and when every
/// participant has it (the in-flight record can go).
/// </summary>
internal sealed class DecisionDelivery
{
    private readonly TaskCompletionSource _confirmed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allAcknowledged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending;

    public DecisionDelivery(TxnDecision decision, int remoteCount)
    {
        Decision = decision;
        _pending = remoteCount;
        if (remoteCount == 0)
        {
            _confirmed.TrySetResult();
            _allAcknowledged.TrySetResult();
        }
    }

    public TxnDecision Decision { get; }

    /// <summary>Completes when one remote participant acknowledged the decision, or there are none.</summary>
    public Task Confirmed => _confirmed.Task;

    /// <summary>Completes when every remote participant acknowledged the decision.</summary>
    public Task AllAcknowledged => _allAcknowledged.Task;

    /// <summary>A participant acknowledged; true when it was the last one.</summary>
    public bool Acknowledge()
    {
        _confirmed.TrySetResult();
        if (Interlocked.Decrement(ref _pending) != 0)
            return false;
        _allAcknowledged.TrySetResult();
        return true;
    }
}
