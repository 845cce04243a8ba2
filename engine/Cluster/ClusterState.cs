using FastDht.Protocol;

namespace FastDht.Engine.Cluster;

/// <summary>
/// One immutable version of the cluster: its epoch, its members with their addresses, and which node serves each
/// slot. Everything that routes, dials or reports the cluster reads the current one; a change is a new value with a
/// higher epoch, published by a reference swap.
/// </summary>
/// <remarks>
/// Why one value: routing, the mesh, ClusterInfo and the RESP CLUSTER replies must never see the members of one
/// version and the slots of another. The epoch orders versions cluster-wide: it rises with every change (failover,
/// a slot move, a member joining or leaving), travels in Hello, ClusterInfo and WrongNode, and lets a node or a client
/// tell which of two views is newer. Every slot's primary is a member (checked here), so routing never names a node
/// the mesh does not know.
/// </remarks>
public sealed class ClusterState
{
    /// <summary>The epoch of the state every node starts with (the default table over the configured member list).</summary>
    public const ulong InitialEpoch = 1;

    public ClusterState(ulong epoch, MemberList members, SlotTable slots)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(slots);
        if (epoch == 0)
            throw new ArgumentOutOfRangeException(nameof(epoch), "epoch 0 means 'no state' on the wire; states start at 1");
        foreach (var r in slots.Ranges)
        {
            if (!members.TryGet(r.NodeId, out _))
                throw new ClusterConfigurationException($"slots {r.FirstSlot}-{r.LastSlot} are assigned to node {r.NodeId}, which is not a member ({members})");
        }
        foreach (var assignment in slots.RangeAssignments)
        {
            if (assignment.IsMoving && !members.TryGet(assignment.Importing, out _))
                throw new ClusterConfigurationException($"node {assignment.Importing}, which slots of node {assignment.Primary} move to, is not a member ({members})");
            foreach (var replica in assignment.Replicas)
            {
                if (!members.TryGet(replica, out _))
                    throw new ClusterConfigurationException($"node {replica}, a replica of primary {assignment.Primary}, is not a member ({members})");
            }
        }
        Epoch = epoch;
        Members = members;
        Slots = slots;
    }

    /// <summary>Orders states cluster-wide: a higher epoch is a later state.</summary>
    public ulong Epoch { get; }

    /// <summary>Every member, in node-id order, with the address peers and clients dial.</summary>
    public MemberList Members { get; }

    /// <summary>Slot to assignment (primary and replicas).</summary>
    public SlotTable Slots { get; }

    /// <summary>The node that owns a key in this state.</summary>
    public ushort OwnerOf(ReadOnlySpan<byte> key) => Slots.OwnerOf(KeySlot.Of(key));

    /// <summary>The state a node starts with: the default slot table over <paramref name="members"/> with <paramref name="replicas"/> replicas per range, epoch 1.</summary>
    public static ClusterState Initial(MemberList members, int replicas = 0)
    {
        ArgumentNullException.ThrowIfNull(members);
        return new ClusterState(InitialEpoch, members, SlotTable.CreateDefault(members, replicas));
    }

    /// <summary>The next state (epoch + 1) with the given members and/or slots; what is not given stays as it is.</summary>
    public ClusterState Next(MemberList? members = null, SlotTable? slots = null) =>
        new(Epoch + 1, members ?? Members, slots ?? Slots);

    public override string ToString() => $"epoch {Epoch}, members {Members}, {Slots.Ranges.Count} slot ranges";
}
