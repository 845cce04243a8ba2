using FastDht.Protocol;

namespace FastDht.Engine.Cluster;

/// <summary>
/// The map from each of the 16384 hash slots to its <see cref="SlotAssignment"/>; immutable, so a reader never sees
/// half of a change. It has no version of its own: the <see cref="ClusterState"/> holding it carries the epoch.
/// </summary>
/// <remarks>
/// Routing reads the primary on every request, so the primaries are also kept flat: one array read
/// (16384 x 2 bytes = 32 KiB, which stays in L2). The assignments themselves are shared between the slots of a range
/// (a few objects, not 16384). A change builds a new table (<see cref="Assign"/>) and is published by swapping the
/// cluster state that holds it.
/// </remarks>
public sealed class SlotTable
{
    /// <summary>Number of hash slots; the same as Redis Cluster so cluster-aware Redis clients route correctly.</summary>
    public const int SlotCount = KeySlot.SlotCount;

    private readonly SlotAssignment[] _assignments;
    private readonly ushort[] _primaries;
    private readonly SlotRange[] _ranges;
    private readonly SlotAssignment[] _rangeAssignments;

    private SlotTable(SlotAssignment[] assignments)
    {
        _assignments = assignments;
        _primaries = new ushort[SlotCount];
        for (var s = 0; s < SlotCount; s++)
            _primaries[s] = assignments[s].Primary;
        var ranges = new List<SlotRange>();
        var rangeAssignments = new List<SlotAssignment>();
        var start = 0;
        for (var s = 1; s <= SlotCount; s++)
        {
            if (s == SlotCount || !assignments[s].Equals(assignments[start]))
            {
                ranges.Add(new SlotRange((ushort)start, (ushort)(s - 1), assignments[start].Primary));
                rangeAssignments.Add(assignments[start]);
                start = s;
            }
        }
        _ranges = ranges.ToArray();
        _rangeAssignments = rangeAssignments.ToArray();
    }

    /// <summary>Contiguous runs of slots with one assignment, in slot order, each named by its primary.</summary>
    public IReadOnlyList<SlotRange> Ranges => _ranges;

    /// <summary>The assignment of each range of <see cref="Ranges"/>, at the same index.</summary>
    public IReadOnlyList<SlotAssignment> RangeAssignments => _rangeAssignments;

    /// <summary>The owner (primary) of a slot (0..16383).</summary>
    public ushort OwnerOf(int slot) => _primaries[slot & (SlotCount - 1)];

    /// <summary>The assignment of a slot (0..16383).</summary>
    public SlotAssignment AssignmentOf(int slot) => _assignments[slot & (SlotCount - 1)];

    /// <summary>
    /// The default table for a member list: member i (in node-id order) of N owns slots [i*16384/N, (i+1)*16384/N - 1],
    /// the same split on every node, so nodes agree without exchanging anything.
    /// </summary>
    /// <remarks>
    /// With <paramref name="replicas"/> N, the range of member i is replicated by members i+1, ..., i+N (mod the member
    /// count), also computed alike everywhere: each member is a replica of N ranges, so the copies spread evenly.
    /// </remarks>
    /// <exception cref="ClusterConfigurationException"><paramref name="replicas"/> is negative or not below the member count.</exception>
    public static SlotTable CreateDefault(MemberList members, int replicas = 0)
    {
        ArgumentNullException.ThrowIfNull(members);
        var n = members.Count;
        if (replicas < 0 || (replicas > 0 && replicas >= n))
            throw new ClusterConfigurationException($"{replicas} replicas per slot range need at least {replicas + 1} members (there are {n})");
        var assignments = new SlotAssignment[SlotCount];
        Span<ushort> copies = stackalloc ushort[replicas];
        for (var i = 0; i < n; i++)
        {
            var r = SlotRange.ForMember(i, n, members[i].NodeId);
            for (var k = 0; k < replicas; k++)
                copies[k] = members[(i + 1 + k) % n].NodeId;
            assignments.AsSpan(r.FirstSlot, r.Count).Fill(new SlotAssignment(r.NodeId, copies));
        }
        return new SlotTable(assignments);
    }

    /// <summary>Builds a table from explicit ranges (a primary each), which must cover every slot exactly once.</summary>
    public static SlotTable FromRanges(IReadOnlyList<SlotRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var assignments = new SlotAssignment[ranges.Count];
        for (var i = 0; i < ranges.Count; i++)
            assignments[i] = new SlotAssignment(ranges[i].NodeId);
        return FromRangeAssignments(ranges, assignments);
    }

    /// <summary>
    /// Builds a table from ranges and the assignment of each (at the same index; a range's <see cref="SlotRange.NodeId"/>
    /// is ignored, the assignment names the primary), which must cover every slot exactly once.
    /// </summary>
    public static SlotTable FromRangeAssignments(IReadOnlyList<SlotRange> ranges, IReadOnlyList<SlotAssignment> rangeAssignments)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentNullException.ThrowIfNull(rangeAssignments);
        if (ranges.Count != rangeAssignments.Count)
            throw new ArgumentException($"{ranges.Count} ranges but {rangeAssignments.Count} assignments", nameof(rangeAssignments));
        var assignments = new SlotAssignment[SlotCount];
        for (var i = 0; i < ranges.Count; i++)
        {
            var r = ranges[i];
            if (r.FirstSlot > r.LastSlot || r.LastSlot >= SlotCount)
                throw new ClusterConfigurationException($"slot range {r.FirstSlot}-{r.LastSlot} is not within 0-{SlotCount - 1}");
            var assignment = rangeAssignments[i] ?? throw new ArgumentNullException(nameof(rangeAssignments));
            for (int s = r.FirstSlot; s <= r.LastSlot; s++)
            {
                if (assignments[s] is not null)
                    throw new ClusterConfigurationException($"slot {s} is assigned twice");
                assignments[s] = assignment;
            }
        }
        var missing = Array.IndexOf(assignments, null);
        if (missing >= 0)
            throw new ClusterConfigurationException($"slot {missing} has no owner");
        return new SlotTable(assignments);
    }

    /// <summary>A copy of this table with every range's assignment replaced by what <paramref name="map"/> makes of it (the same object: unchanged).</summary>
    public SlotTable Map(Func<SlotAssignment, SlotAssignment> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var mapped = new SlotAssignment[_rangeAssignments.Length];
        for (var i = 0; i < mapped.Length; i++)
            mapped[i] = map(_rangeAssignments[i]);
        return FromRangeAssignments(_ranges, mapped);
    }

    /// <summary>A copy of this table with slots [<paramref name="firstSlot"/>, <paramref name="lastSlot"/>] given to <paramref name="assignment"/>.</summary>
    public SlotTable Assign(int firstSlot, int lastSlot, SlotAssignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        if (firstSlot < 0 || firstSlot > lastSlot || lastSlot >= SlotCount)
            throw new ArgumentOutOfRangeException(nameof(lastSlot), $"slot range {firstSlot}-{lastSlot} is not within 0-{SlotCount - 1}");
        var assignments = (SlotAssignment[])_assignments.Clone();
        assignments.AsSpan(firstSlot, lastSlot - firstSlot + 1).Fill(assignment);
        return new SlotTable(assignments);
    }

    /// <summary>True when both tables assign every slot alike.</summary>
    public bool SameAssignment(SlotTable other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (_ranges.Length != other._ranges.Length)
            return false;
        for (var i = 0; i < _ranges.Length; i++)
        {
            if (_ranges[i] != other._ranges[i] || !_rangeAssignments[i].Equals(other._rangeAssignments[i]))
                return false;
        }
        return true;
    }
}
