using System.Text;
using FastDht.Engine.Cluster;
using FastDht.Engine.CommandTable;
using FastDht.Engine.Plugins;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// Cluster-aware connections: MOVED instead of forwarding, and READONLY reads served by an in-sync replica
/// (docs/replication.md, "Clients").
/// </summary>
/// <remarks>
/// A connection that asked for the layout (CLUSTER SLOTS, SHARDS or NODES) or sent READONLY routes keys itself, as
/// Redis Cluster clients do: a command for a key this node does not serve is answered <c>-MOVED slot host:port</c>,
/// so after a failover or a slot move the client refreshes its table and goes to the new primary directly. Every other
/// connection keeps being forwarded (any node serves a client that is not cluster-aware).
/// </remarks>
internal sealed partial class RespSession
{
    // Set by CLUSTER SLOTS/SHARDS/NODES or READONLY; kept for the connection's life (RESET does not clear it).
    private bool _clusterAware;
    // READONLY mode (until READWRITE or RESET): reads of slots this node copies in sync are served here.
    private bool _readOnly;

    /// <summary>
    /// Whether a READONLY connection's command runs here although this node is not the key's primary: a read-only
    /// command whose every key is of a slot this node copies and is in sync for, in the state it knows.
    /// </summary>
    /// <remarks>
    /// An in-sync replica acknowledged every write the primary acknowledged, so such a read sees every write whose
    /// acknowledgement came before it. It may miss a write applied at the primary and not yet acknowledged (which a read
    /// at the primary would see), and, for at most one serving lease (500 ms), the writes of a primary that has just
    /// dropped this replica from its in-sync set without this node having installed that change yet.
    /// </remarks>
    private bool ReadsAtThisReplica(RespCommandSpec spec, ClusterState state)
    {
        if (Array.IndexOf(spec.Flags, "readonly") < 0 || Array.IndexOf(spec.Flags, "write") >= 0)
            return false;
        var c = _command;
        var last = spec.LastKeyIndex(c);
        for (var i = spec.FirstKey; i <= last; i += spec.Step)
        {
            if (!state.Slots.AssignmentOf(KeySlot.Of(c.GetArgument(i))).IsInSync(_host.SelfId))
                return false;
        }
        return true;
    }

    /// <summary>Answers <c>-MOVED slot host:port</c> naming the owner's RESP address; false (forward instead) when that address is not known yet.</summary>
    private bool TryRedirect(ReadOnlySpan<byte> key, ushort owner)
    {
        var address = _host.GetListenerAddress(owner, ProtocolNames.Resp);
        if (address is null || !ClusterMember.TrySplitHostPort(address, out var host, out var port))
            return false;
        RespWriter.WriteMoved(Target(), KeySlot.Of(key), Encoding.UTF8.GetBytes(ClusterMember.FormatAddress(host, port)));
        return true;
    }
}
