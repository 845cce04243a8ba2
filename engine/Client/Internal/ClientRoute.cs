using FastDht.Engine.Cluster;
using FastDht.Protocol;

namespace FastDht.Engine.Client.Internal;

/// <summary>
/// One immutable snapshot of what the client knows about the cluster: the epoch, the slot table and a handle per member.
/// A refresh builds a new snapshot and swaps it in; requests in flight keep the one they started with.
/// </summary>
internal sealed class ClientRoute
{
    private readonly NodeHandle?[] _byId;

    private ClientRoute(SlotTable table, NodeHandle?[] byId, NodeHandle[] nodes, ClusterView view)
    {
        Table = table;
        _byId = byId;
        Nodes = nodes;
        View = view;
    }

    public SlotTable Table { get; }

    /// <summary>The epoch of the cluster state this snapshot was learned from.</summary>
    public ulong Epoch => View.Epoch;

    /// <summary>Every member, in the order the cluster listed them.</summary>
    public IReadOnlyList<NodeHandle> Nodes { get; }

    /// <summary>The cluster info this snapshot was built from.</summary>
    public ClusterView View { get; }

    /// <summary>The member that owns <paramref name="key"/>: slot, then slot table, then handle.</summary>
    public NodeHandle OwnerOf(ReadOnlySpan<byte> key)
    {
        var slot = KeySlot.Of(key);
        var owner = Table.OwnerOf(slot);
        var handle = owner < _byId.Length ? _byId[owner] : null;
        if (handle is null)
            Throw.NotAMember(owner, slot);
        return handle;
    }

    public bool TryGet(ushort nodeId, out NodeHandle handle)
    {
        handle = nodeId < _byId.Length ? _byId[nodeId]! : null!;
        return handle is not null;
    }

    /// <summary>
    /// Builds a snapshot from cluster info, keeping the handles (and so the open connections) of members whose id and
    /// address are unchanged since <paramref name="previous"/>.
    /// </summary>
    /// <exception cref="DhtException">The ranges do not cover every slot exactly once.</exception>
    public static ClientRoute Build(ClusterView view, ClientRoute? previous)
    {
        SlotTable table;
        try
        {
            table = SlotTable.FromRanges(view.Ranges);
        }
        catch (ClusterConfigurationException e)
        {
            throw new DhtException($"node {view.ReportedBy} sent an unusable slot table: {e.Message}", e);
        }

        var maxId = 0;
        foreach (var m in view.Members)
            maxId = Math.Max(maxId, m.NodeId);
        var byId = new NodeHandle?[maxId + 1];
        var nodes = new NodeHandle[view.Members.Count];
        for (var i = 0; i < nodes.Length; i++)
        {
            var m = view.Members[i];
            var handle = previous is not null && previous.TryGet(m.NodeId, out var old)
                && string.Equals(old.Address, m.Address, StringComparison.OrdinalIgnoreCase)
                ? old
                : new NodeHandle(m.NodeId, m.Address);
            if (byId[m.NodeId] is not null)
                throw new DhtException($"node {view.ReportedBy} listed member {m.NodeId} twice");
            byId[m.NodeId] = handle;
            nodes[i] = handle;
        }
        return new ClientRoute(table, byId, nodes, view);
    }
}
