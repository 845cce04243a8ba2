using FastDht.Engine.Cluster;
using FastDht.Protocol;

namespace FastDht.Engine.Tests.Cluster;

/// <summary>The plans of cluster move-slots and rebalance: the steps, and that a rebalance moves only surplus slots.</summary>
public sealed class SlotPlansTests
{
    private static readonly MemberList Three = MemberList.Parse("127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002");

    [Fact]
    public void Move_slots_makes_one_step_per_owner_and_none_for_slots_the_target_already_has()
    {
        var ranges = SlotTable.CreateDefault(Three).Ranges;
        var plan = SlotPlans.MoveSlots(ranges, 5000, 11000, 1);
        Assert.Equal([new SlotMovePlan(5000, 5460, 0, 1), new SlotMovePlan(10922, 11000, 2, 1)], plan);
        Assert.Empty(SlotPlans.MoveSlots(ranges, 6000, 7000, 1));
    }

    [Fact]
    public void A_rebalance_onto_a_fourth_member_moves_only_its_share_and_leaves_every_member_even()
    {
        var ranges = SlotTable.CreateDefault(Three).Ranges;
        var plan = SlotPlans.Rebalance(ranges, [0, 1, 2, 3]);

        Assert.Equal(KeySlot.SlotCount / 4, plan.Sum(p => p.Count)); // only the new member's share moves
        Assert.All(plan, p => Assert.Equal((ushort)3, p.To));
        Assert.All(plan, p => Assert.True(p.Count <= SlotPlans.MaxSlotsPerStep));
        var counts = Apply(ranges, plan);
        Assert.All(new ushort[] { 0, 1, 2, 3 }, id => Assert.Equal(KeySlot.SlotCount / 4, counts[id]));
        Assert.Empty(SlotPlans.Rebalance(ranges, [0, 1, 2]));
    }

    [Fact]
    public void A_rebalance_without_a_member_gives_all_of_its_slots_to_the_others()
    {
        var ranges = SlotTable.CreateDefault(Three).Ranges;
        var plan = SlotPlans.Rebalance(ranges, [0, 1]);

        Assert.All(plan, p => Assert.Equal((ushort)2, p.From));
        var counts = Apply(ranges, plan);
        Assert.False(counts.ContainsKey(2));
        Assert.Equal(KeySlot.SlotCount / 2, counts[0]);
        Assert.Equal(KeySlot.SlotCount / 2, counts[1]);
    }

    private static Dictionary<ushort, int> Apply(IReadOnlyList<SlotRange> ranges, IReadOnlyList<SlotMovePlan> plan)
    {
        var owner = new ushort[KeySlot.SlotCount];
        foreach (var r in ranges)
            owner.AsSpan(r.FirstSlot, r.Count).Fill(r.NodeId);
        foreach (var p in plan)
        {
            for (var s = p.FirstSlot; s <= p.LastSlot; s++)
            {
                Assert.Equal(p.From, owner[s]); // every step moves slots its source owns, each slot once
                owner[s] = p.To;
            }
        }
        var counts = new Dictionary<ushort, int>();
        foreach (var o in owner)
            counts[o] = counts.GetValueOrDefault(o) + 1;
        return counts;
    }
}
