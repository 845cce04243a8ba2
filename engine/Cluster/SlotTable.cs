using FastDht.Protocol;

namespace FastDht.Engine.Cluster;

/// <summary>
/// The versioned map from each of the 16384 hash slots to the node that owns it; immutable, so a reader never sees
/// half of a change and a new version is published by swapping a reference.
/// </summary>
/// <remarks>
/// Lookup is one array read (16384 x 2 bytes = 32 KiB, which stays in L2): routing is on every request's path.
/// The version orders tables: rebalancing, replication and failover (roadmap) publish higher versions, and a node
/// that sees a peer with a different version at the same epoch knows the two disagree.
/// </remarks>
public sealed class SlotTable
{
    /// <summary>Number of hash slots; the same as Redis Cluster so cluster-aware Redis clients route correctly.</summary>
    public const int SlotCount = KeySlot.SlotCount;

    private readonly ushort[] _owners;
    private readonly SlotRange[] _ranges;

    private SlotTable(ulong version, ushort[] owners)
    {
        Version = version;
        _owners = owners;
        _ranges = BuildRanges(owners);
    }

    public ulong Version { get; }

    /// <summary>Contiguous runs of slots with one owner, in slot order.</summary>
    public IReadOnlyList<SlotRange> Ranges => _ranges;

    /// <summary>The owner of a slot (0..16383).</summary>
    public ushort OwnerOf(int slot) => _owners[slot & (SlotCount - 1)];

    /// <summary>
    /// The default table for a member list: member i (in node-id order) of N owns slots [i*16384/N, (i+1)*16384/N - 1],
    /// the same split on every node, so nodes agree without exchanging anything. Version 1.
    /// </summary>
    public static SlotTable CreateDefault(MemberList members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var owners = new ushort[SlotCount];
        var n = members.Count;
        for (var i = 0; i < n; i++)
        {
            var r = SlotRange.ForMember(i, n, members[i].NodeId);
            owners.AsSpan(r.FirstSlot, r.Count).Fill(r.NodeId);
        }
        return new SlotTable(1, owners);
    }

    /// <summary>Builds a table from explicit ranges, which must cover every slot exactly once.</summary>
    public static SlotTable FromRanges(ulong version, IReadOnlyList<SlotRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var owners = new ushort[SlotCount];
        var covered = new bool[SlotCount];
        foreach (var r in ranges)
        {
            if (r.FirstSlot > r.LastSlot || r.LastSlot >= SlotCount)
                throw new ClusterConfigurationException($"slot range {r.FirstSlot}-{r.LastSlot} is not within 0-{SlotCount - 1}");
            for (int s = r.FirstSlot; s <= r.LastSlot; s++)
            {
                if (covered[s])
                    throw new ClusterConfigurationException($"slot {s} is assigned twice");
                covered[s] = true;
                owners[s] = r.NodeId;
            }
        }
        var missing = Array.IndexOf(covered, false);
        if (missing >= 0)
            throw new ClusterConfigurationException($"slot {missing} has no owner");
        return new SlotTable(version, owners);
    }

    /// <summary>True when both tables assign every slot to the same node (versions aside).</summary>
    public bool SameAssignment(SlotTable other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return _owners.AsSpan().SequenceEqual(other._owners);
    }

    private static SlotRange[] BuildRanges(ushort[] owners)
    {
        var list = new List<SlotRange>();
        var start = 0;
        for (var s = 1; s <= SlotCount; s++)
        {
            if (s == SlotCount || owners[s] != owners[start])
            {
                list.Add(new SlotRange((ushort)start, (ushort)(s - 1), owners[start]));
                start = s;
            }
        }
        return list.ToArray();
    }
}
