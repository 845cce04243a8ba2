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
/// the mesh does not know. The Raft group's voters are part of the state too (<see cref="Voters"/>): who decides the
/// next state is decided like everything else, so a dead voter can be replaced by a committed change.
/// </remarks>
public sealed class ClusterState
{
    /// <summary>The epoch of the state every node starts with (the default table over the configured member list).</summary>
    public const ulong InitialEpoch = 1;

    /// <param name="epoch">The state's epoch (1 and up).</param>
    /// <param name="members">Every member.</param>
    /// <param name="slots">Slot to assignment.</param>
    /// <param name="voters">The Raft group's voters (members, no duplicates); null: <see cref="DefaultVoters"/> of <paramref name="members"/>.</param>
    public ClusterState(ulong epoch, MemberList members, SlotTable slots, IReadOnlyList<ushort>? voters = null)
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
        var sorted = voters is null ? DefaultVoters(members) : [.. voters];
        Array.Sort(sorted);
        for (var i = 0; i < sorted.Length; i++)
        {
            if (!members.TryGet(sorted[i], out _))
                throw new ClusterConfigurationException($"voter {sorted[i]} is not a member ({members})");
            if (i > 0 && sorted[i] == sorted[i - 1])
                throw new ClusterConfigurationException($"voter {sorted[i]} is listed twice");
        }
        Epoch = epoch;
        Members = members;
        Slots = slots;
        _voters = sorted;
    }

    private readonly ushort[] _voters;

    /// <summary>Orders states cluster-wide: a higher epoch is a later state.</summary>
    public ulong Epoch { get; }

    /// <summary>Every member, in node-id order, with the address peers and clients dial.</summary>
    public MemberList Members { get; }

    /// <summary>Slot to assignment (primary and replicas).</summary>
    public SlotTable Slots { get; }

    /// <summary>The members that vote in the Raft group deciding the next state, in id order (every other member is a learner).</summary>
    public IReadOnlyList<ushort> Voters => _voters;

    /// <summary>Whether <paramref name="nodeId"/> votes in this state.</summary>
    public bool IsVoter(ushort nodeId) => Array.IndexOf(_voters, nodeId) >= 0;

    /// <summary>How many voters a cluster of <paramref name="memberCount"/> members keeps: every member below 3, 3 below 10, 5 from 10 on.</summary>
    public static int VoterTarget(int memberCount) => memberCount < 3 ? memberCount : memberCount < 10 ? 3 : 5;

    /// <summary>
    /// The voters of a state that names none (the initial state, and states written before voters were part of the
    /// state): the first <see cref="VoterTarget"/> members in id order.
    /// </summary>
    public static ushort[] DefaultVoters(MemberList members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var voters = new ushort[VoterTarget(members.Count)];
        for (var i = 0; i < voters.Length; i++)
            voters[i] = members[i].NodeId;
        return voters;
    }

    /// <summary>The node that owns a key in this state.</summary>
    public ushort OwnerOf(ReadOnlySpan<byte> key) => Slots.OwnerOf(KeySlot.Of(key));

    /// <summary>The state a node starts with: the default slot table over <paramref name="members"/> with <paramref name="replicas"/> replicas per range, epoch 1.</summary>
    public static ClusterState Initial(MemberList members, int replicas = 0)
    {
        ArgumentNullException.ThrowIfNull(members);
        return new ClusterState(InitialEpoch, members, SlotTable.CreateDefault(members, replicas));
    }

    /// <summary>
    /// The next state (epoch + 1) with the given members, slots and/or voters; what is not given stays as it is, except
    /// that voters the new members no longer include are dropped (a membership change that means to replace one passes
    /// <paramref name="voters"/>, as <c>Membership.WithoutMember</c> does).
    /// </summary>
    public ClusterState Next(MemberList? members = null, SlotTable? slots = null, IReadOnlyList<ushort>? voters = null) =>
        new(Epoch + 1, members ?? Members, slots ?? Slots, voters ?? (members is null ? _voters : StillMembers(_voters, members)));

    private static ushort[] StillMembers(ushort[] voters, MemberList members)
    {
        var kept = new List<ushort>(voters.Length);
        foreach (var id in voters)
        {
            if (members.TryGet(id, out _))
                kept.Add(id);
        }
        return kept.Count == voters.Length ? voters : kept.ToArray();
    }

    public override string ToString() => $"epoch {Epoch}, members {Members}, voters {string.Join(",", _voters)}, {Slots.Ranges.Count} slot ranges";
}
