using FastDht.Protocol;

namespace FastDht.Engine.Cluster;

/// <summary>Plans slot moves from a slot table (the shell's <c>cluster move-slots</c> and <c>cluster rebalance</c>): pure functions, so a dry run prints exactly what a real run does.</summary>
public static class SlotPlans
{
    /// <summary>At most this many slots per step: a rebalance moves a few slots at a time, each step a move of its own.</summary>
    public const int MaxSlotsPerStep = 1024;

    /// <summary>The steps that give slots [<paramref name="firstSlot"/>, <paramref name="lastSlot"/>] to <paramref name="target"/>: one per run of slots with one owner, none for slots it already owns.</summary>
    /// <param name="ranges">The slot table as ranges named by their owner (ClusterInfo's), covering every slot.</param>
    /// <param name="firstSlot">The first slot to move.</param>
    /// <param name="lastSlot">The last slot to move (inclusive).</param>
    /// <param name="target">The node that is to own them.</param>
    public static IReadOnlyList<SlotMovePlan> MoveSlots(IReadOnlyList<SlotRange> ranges, int firstSlot, int lastSlot, ushort target)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        if (firstSlot < 0 || firstSlot > lastSlot || lastSlot >= KeySlot.SlotCount)
            throw new ArgumentException($"slot range {firstSlot}-{lastSlot} is not within 0-{KeySlot.SlotCount - 1}", nameof(lastSlot));
        var steps = new List<SlotMovePlan>();
        foreach (var r in ranges)
        {
            var from = Math.Max(firstSlot, r.FirstSlot);
            var to = Math.Min(lastSlot, r.LastSlot);
            if (from <= to && r.NodeId != target)
                AddSteps(steps, from, to, r.NodeId, target);
        }
        return steps;
    }

    /// <summary>
    /// The steps that spread the slots evenly by count over <paramref name="members"/>, moving as few slots as possible:
    /// each member's share is 16384 / n (16384 mod n of them, those owning the most now, one more); a member above its share
    /// gives away only its surplus, taken from the end of its highest ranges, to the members below theirs, in id order.
    /// Every slot moves at most once, and only surplus slots move, which is the fewest a move of whole slots can do.
    /// </summary>
    /// <param name="ranges">The slot table as ranges named by their owner, covering every slot.</param>
    /// <param name="members">The members to spread over (a member with no slots yet takes its share; one not listed gives all of its slots away).</param>
    public static IReadOnlyList<SlotMovePlan> Rebalance(IReadOnlyList<SlotRange> ranges, IReadOnlyList<ushort> members)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0)
            throw new ArgumentException("a rebalance needs at least one member", nameof(members));
        var owned = new Dictionary<ushort, int>();
        foreach (var r in ranges)
            owned[r.NodeId] = owned.GetValueOrDefault(r.NodeId) + r.Count;
        // The 16384 mod n members that get one slot more are those that own the most now (ties: lower id), so that a
        // table already even (the default one gives the extra slots to the last members) moves nothing.
        var ids = new List<ushort>(members);
        ids.Sort((a, b) => owned.GetValueOrDefault(b) != owned.GetValueOrDefault(a) ? owned.GetValueOrDefault(b).CompareTo(owned.GetValueOrDefault(a)) : a.CompareTo(b));
        var share = new Dictionary<ushort, int>();
        for (var i = 0; i < ids.Count; i++)
            share[ids[i]] = KeySlot.SlotCount / ids.Count + (i < KeySlot.SlotCount % ids.Count ? 1 : 0);
        ids.Sort();

        // What each receiver still needs, in id order.
        var needs = new Queue<(ushort Node, int Count)>();
        foreach (var id in ids)
        {
            var missing = share[id] - owned.GetValueOrDefault(id);
            if (missing > 0)
                needs.Enqueue((id, missing));
        }
        var steps = new List<SlotMovePlan>();
        // Donors give from the end of their ranges, highest first, so what stays with them stays contiguous.
        for (var i = ranges.Count - 1; i >= 0 && needs.Count > 0; i--)
        {
            var r = ranges[i];
            var surplus = owned.GetValueOrDefault(r.NodeId) - share.GetValueOrDefault(r.NodeId);
            var last = (int)r.LastSlot;
            while (surplus > 0 && last >= r.FirstSlot && needs.Count > 0)
            {
                var (node, count) = needs.Peek();
                var take = Math.Min(Math.Min(surplus, count), last - r.FirstSlot + 1);
                AddSteps(steps, last - take + 1, last, r.NodeId, node);
                last -= take;
                surplus -= take;
                owned[r.NodeId] -= take;
                needs.Dequeue();
                if (count > take)
                    needs.Enqueue((node, count - take)); // to the back: it is served again after the others
            }
        }
        steps.Sort(static (a, b) => a.FirstSlot.CompareTo(b.FirstSlot));
        return steps;
    }

    private static void AddSteps(List<SlotMovePlan> steps, int first, int last, ushort from, ushort to)
    {
        for (var s = first; s <= last; s += MaxSlotsPerStep)
            steps.Add(new SlotMovePlan(s, Math.Min(last, s + MaxSlotsPerStep - 1), from, to));
    }
}
