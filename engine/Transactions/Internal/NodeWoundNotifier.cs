using FastDht.Locking;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// Routes a wound from this node's lock table to the victim's coordinator (the node named in its id), through this
/// node's <see cref="TransactionCoordinator"/>: handled there when that is this node, else sent as TxnWound.
/// </summary>
/// <remarks>
/// The table calls it on the wounder's thread and it must neither block nor call back into the table, so the work
/// is queued. Wounds are rare (wound-wait under contention only), so the queued item's allocation does not matter.
/// The lock table is built before the coordinator (which needs the table), so the coordinator is attached after.
/// </remarks>
internal sealed class NodeWoundNotifier : IWoundNotifier
{
    private TransactionCoordinator? _coordinator;

    /// <summary>Called once, when the node's coordinator exists.</summary>
    public void Attach(TransactionCoordinator coordinator) => _coordinator = coordinator;

    public void OnWounded(TxnId victim, TxnId woundedBy)
    {
        if (Volatile.Read(ref _coordinator) is { } coordinator)
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Coordinator.RouteWound(state.Victim), (Coordinator: coordinator, Victim: victim), preferLocal: false);
    }
}
