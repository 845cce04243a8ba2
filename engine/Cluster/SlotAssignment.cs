namespace FastDht.Engine.Cluster;

/// <summary>Who serves one hash slot: its primary, the node every read and write of the slot goes to.</summary>
/// <remarks>
/// A slot maps to an assignment rather than to a bare node id so that what failover and rebalancing add (replicas,
/// the in-sync set, a slot moving to another node) joins this one type: the slot table, its ranges and every reader
/// of the primary stay as they are. Assignments compare by value; a run of slots with equal assignments is one range.
/// </remarks>
public sealed class SlotAssignment : IEquatable<SlotAssignment>
{
    public SlotAssignment(ushort primary)
    {
        if (primary == ClusterMember.ClientNodeId)
            throw new ArgumentOutOfRangeException(nameof(primary), $"node id {ClusterMember.ClientNodeId} is reserved for clients");
        Primary = primary;
    }

    /// <summary>The node that owns the slot: it serves every request for the slot's keys.</summary>
    public ushort Primary { get; }

    public bool Equals(SlotAssignment? other) => other is not null && other.Primary == Primary;

    public override bool Equals(object? obj) => Equals(obj as SlotAssignment);

    public override int GetHashCode() => Primary;

    public override string ToString() => $"primary {Primary}";
}
