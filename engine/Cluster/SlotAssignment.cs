namespace FastDht.Engine.Cluster;

/// <summary>Who serves one hash slot: its primary, the node every read and write of the slot goes to, and the replicas that copy its writes.</summary>
/// <remarks>
/// A slot maps to an assignment rather than to a bare node id so that what failover and rebalancing add (replicas,
/// the in-sync set, a slot moving to another node) joins this one type: the slot table, its ranges and every reader
/// of the primary stay as they are. Assignments compare by value; a run of slots with equal assignments is one range.
/// The in-sync set (<see cref="InSync"/>) is the subset of the replicas known to hold every write the primary
/// acknowledged: only one of them may be promoted. It is part of the cluster state, so it changes only through a
/// committed change (docs/replication.md).
/// </remarks>
public sealed class SlotAssignment : IEquatable<SlotAssignment>
{
    /// <summary>The value of <see cref="Importing"/> when the slot is not moving (the id no member may have).</summary>
    public const ushort NotMoving = ClusterMember.ClientNodeId;

    private readonly ushort[] _replicas;
    private readonly ushort[] _inSync;

    public SlotAssignment(ushort primary)
        : this(primary, [])
    {
    }

    /// <param name="primary">The node that serves the slot.</param>
    /// <param name="replicas">The nodes that copy the primary's writes, in preference order: distinct, none of them the primary.</param>
    /// <param name="inSync">The replicas known to hold every acknowledged write: a subset of <paramref name="replicas"/>.</param>
    public SlotAssignment(ushort primary, ReadOnlySpan<ushort> replicas, ReadOnlySpan<ushort> inSync)
        : this(primary, replicas)
    {
        for (var i = 0; i < inSync.Length; i++)
        {
            if (!replicas.Contains(inSync[i]) || inSync[..i].Contains(inSync[i]))
                throw new ClusterConfigurationException($"the in-sync set of primary {primary} must be distinct replicas (replicas {string.Join(", ", replicas.ToArray())}, in sync {string.Join(", ", inSync.ToArray())})");
        }
        _inSync = inSync.ToArray();
    }

    /// <param name="primary">The node that serves the slot.</param>
    /// <param name="replicas">The nodes that copy the primary's writes.</param>
    /// <param name="inSync">The replicas known to hold every acknowledged write.</param>
    /// <param name="importing">The node the slot is moving to (not the primary), or <see cref="NotMoving"/> (docs/elasticity.md).</param>
    public SlotAssignment(ushort primary, ReadOnlySpan<ushort> replicas, ReadOnlySpan<ushort> inSync, ushort importing)
        : this(primary, replicas, inSync)
    {
        if (importing == primary)
            throw new ClusterConfigurationException($"a slot of node {primary} cannot move to node {primary}");
        Importing = importing;
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
        _inSync = [];
    }

    /// <summary>The node that owns the slot: it serves every request for the slot's keys.</summary>
    public ushort Primary { get; }

    /// <summary>The nodes that copy every write of the slot, in preference order; empty without replicas.</summary>
    public ReadOnlySpan<ushort> Replicas => _replicas;

    /// <summary>The replicas known to hold every write the primary acknowledged (a subset of <see cref="Replicas"/>); only these may be promoted.</summary>
    public ReadOnlySpan<ushort> InSync => _inSync;

    /// <summary>Whether <paramref name="nodeId"/> is one of the slot's replicas.</summary>
    public bool HasReplica(ushort nodeId) => Array.IndexOf(_replicas, nodeId) >= 0;

    /// <summary>The node the slot is being moved to, or <see cref="NotMoving"/>: it receives the slot's keys and owns it from the state that hands it over (docs/elasticity.md).</summary>
    public ushort Importing { get; } = NotMoving;

    /// <summary>Whether the slot is being moved to another node.</summary>
    public bool IsMoving => Importing != NotMoving;

    /// <summary>This assignment with <see cref="Importing"/> set to <paramref name="importing"/> (<see cref="NotMoving"/> to clear it).</summary>
    public SlotAssignment WithImporting(ushort importing) => new(Primary, _replicas, _inSync, importing);

    /// <summary>Whether <paramref name="nodeId"/> is in the slot's in-sync set.</summary>
    public bool IsInSync(ushort nodeId) => Array.IndexOf(_inSync, nodeId) >= 0;

    public bool Equals(SlotAssignment? other) =>
        other is not null && other.Primary == Primary && other.Importing == Importing && _replicas.AsSpan().SequenceEqual(other._replicas)
        && _inSync.AsSpan().SequenceEqual(other._inSync);

    public override bool Equals(object? obj) => Equals(obj as SlotAssignment);

    public override int GetHashCode() => HashCode.Combine(Primary, Importing, _replicas.Length);

    public override string ToString() => (_replicas.Length == 0
        ? $"primary {Primary}"
        : $"primary {Primary}, replicas {string.Join(",", _replicas)}, in sync {(_inSync.Length == 0 ? "none" : string.Join(",", _inSync))}")
        + (IsMoving ? $", moving to {Importing}" : "");
}
