namespace FastDht.Engine.Cluster;

/// <summary>Who serves one hash slot: its primary, the node every read and write of the slot goes to, and the replicas that copy its writes.</summary>
/// <remarks>
/// A slot maps to an assignment rather than to a bare node id so that what failover and rebalancing add (replicas,
/// the in-sync set, a slot moving to another node) joins this one type: the slot table, its ranges and every reader
/// of the primary stay as they are. Assignments compare by value; a run of slots with equal assignments is one range.
/// The in-sync set is not here yet: until the cluster state is agreed by consensus, the primary alone decides which of
/// its replicas are in sync (docs/replication.md, "Where the code is").
/// </remarks>
public sealed class SlotAssignment : IEquatable<SlotAssignment>
{
    private readonly ushort[] _replicas;

    public SlotAssignment(ushort primary)
        : this(primary, [])
    {
    }

    /// <param name="primary">The node that serves the slot.</param>
    /// <param name="replicas">The nodes that copy the primary's writes, in preference order: distinct, none of them the primary.</param>
    public SlotAssignment(ushort primary, ReadOnlySpan<ushort> replicas)
    {
        if (primary == ClusterMember.ClientNodeId)
            throw new ArgumentOutOfRangeException(nameof(primary), $"node id {ClusterMember.ClientNodeId} is reserved for clients");
        for (var i = 0; i < replicas.Length; i++)
        {
            if (replicas[i] == primary || replicas[i] == ClusterMember.ClientNodeId || replicas[..i].Contains(replicas[i]))
                throw new ClusterConfigurationException($"the replicas of primary {primary} must be distinct nodes other than the primary (they are {string.Join(", ", replicas.ToArray())})");
        }
        Primary = primary;
        _replicas = replicas.ToArray();
    }

    /// <summary>The node that owns the slot: it serves every request for the slot's keys.</summary>
    public ushort Primary { get; }

    /// <summary>The nodes that copy every write of the slot, in preference order; empty without replicas.</summary>
    public ReadOnlySpan<ushort> Replicas => _replicas;

    /// <summary>Whether <paramref name="nodeId"/> is one of the slot's replicas.</summary>
    public bool HasReplica(ushort nodeId) => Array.IndexOf(_replicas, nodeId) >= 0;

    public bool Equals(SlotAssignment? other) =>
        other is not null && other.Primary == Primary && _replicas.AsSpan().SequenceEqual(other._replicas);

    public override bool Equals(object? obj) => Equals(obj as SlotAssignment);

    public override int GetHashCode() => HashCode.Combine(Primary, _replicas.Length);

    public override string ToString() => _replicas.Length == 0 ? $"primary {Primary}" : $"primary {Primary}, replicas {string.Join(",", _replicas)}";
}
