using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Engine.Node.Internal;
using FastDht.Locking;
using FastDht.Protocol;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// Routes a wound from this node's lock table to the victim's coordinator (the node named in its id): handled here
/// when that is this node, else sent as TxnWound over the mesh.
/// </summary>
/// <remarks>
/// The table calls it on the wounder's thread and it must neither block nor call back into the table, so the work
/// is queued. Wounds are rare (wound-wait under contention only), so the queued item's allocation does not matter.
/// </remarks>
internal sealed class NodeWoundNotifier(NodeCore core) : IWoundNotifier
{
    public void OnWounded(TxnId victim, TxnId woundedBy) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Self.Deliver(state.Victim), (Self: this, Victim: victim), preferLocal: false);

    private void Deliver(TxnId victim)
    {
        if (victim.NodeId == core.SelfId)
        {
            core.Coordinator.OnWounded(victim);
            return;
        }
        var link = core.Mesh.GetLink(victim.NodeId);
        if (link is not null)
            _ = SendAsync(link, victim);
    }

    private async Task SendAsync(FrameSession link, TxnId victim)
    {
        // A lost notification only delays the victim until its waits end by themselves; nothing to retry.
        await link.CallAsync(new TxnIdRequest(Opcode.TxnWound, TxnIds.ToWire(victim)), ResponseShape.Status, core.Options.ForwardTimeout, victim.NodeId).ConfigureAwait(false);
    }
}
