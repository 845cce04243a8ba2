using FastDht.Engine.Cluster;
using FastDht.Protocol;

namespace FastDht.Engine.Tests.Cluster;

public sealed class SlotTableTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void Default_table_covers_every_slot_in_contiguous_ranges(int n)
    {
        var members = MemberList.Parse(Enumerable.Range(0, n).Select(i => $"127.0.0.1:{7000 + i}").ToArray());
        var table = SlotTable.CreateDefault(members);

        Assert.Equal(n, table.Ranges.Count);
        Assert.Equal(SlotTable.SlotCount, table.Ranges.Sum(r => r.Count));
        for (var i = 0; i < n; i++)
        {
            var r = table.Ranges[i];
            Assert.Equal((ushort)i, r.NodeId);
            Assert.Equal(i * SlotTable.SlotCount / n, r.FirstSlot);
            Assert.Equal(r.NodeId, table.OwnerOf(r.FirstSlot));
            Assert.Equal(r.NodeId, table.OwnerOf(r.LastSlot));
        }
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(5, 2)]
    [InlineData(2, 1)]
    public void With_replicas_the_range_of_member_i_is_copied_by_the_members_after_it(int n, int replicas)
    {
        var members = MemberList.Parse(Enumerable.Range(0, n).Select(i => $"127.0.0.1:{7000 + i}").ToArray());
        var table = SlotTable.CreateDefault(members, replicas);
        Assert.Equal(n, table.Ranges.Count); // the same split as without replicas
        for (var i = 0; i < n; i++)
        {
            var assignment = table.RangeAssignments[i];
            Assert.Equal((ushort)i, assignment.Primary);
            Assert.Equal(Enumerable.Range(1, replicas).Select(k => (ushort)((i + k) % n)).ToArray(), assignment.Replicas.ToArray());
            Assert.False(assignment.HasReplica(assignment.Primary));
        }
        Assert.True(SlotTable.CreateDefault(members).SameAssignment(SlotTable.CreateDefault(members, 0)));
        Assert.False(SlotTable.CreateDefault(members).SameAssignment(table));
    }

    [Fact]
    public void Replicas_need_more_members_and_distinct_nodes()
    {
        var three = MemberList.Parse("a:1,b:1,c:1");
        Assert.Throws<ClusterConfigurationException>(() => SlotTable.CreateDefault(three, 3));
        Assert.Throws<ClusterConfigurationException>(() => SlotTable.CreateDefault(three, -1));
        Assert.Throws<ClusterConfigurationException>(() => new SlotAssignment(0, [1, 1]));
        Assert.Throws<ClusterConfigurationException>(() => new SlotAssignment(0, [0]));
        var state = ClusterState.Initial(three, 1);
        Assert.Throws<ClusterConfigurationException>(() => new ClusterState(2, MemberList.Parse("a:1,b:1"), state.Slots)); // a replica that is not a member
    }

    [Fact]
    public void Three_nodes_split_like_redis_cluster_create()
    {
        var table = SlotTable.CreateDefault(MemberList.Parse("a:1,b:1,c:1"));
        Assert.Equal(new SlotRange(0, 5460, 0), table.Ranges[0]);
        Assert.Equal(new SlotRange(5461, 10921, 1), table.Ranges[1]);
        Assert.Equal(new SlotRange(10922, 16383, 2), table.Ranges[2]);
    }

    [Fact]
    public void Explicit_ranges_round_trip_and_gaps_or_overlaps_are_refused()
    {
        var ranges = new[] { new SlotRange(0, 99, 4), new SlotRange(100, 16383, 9) };
        var table = SlotTable.FromRanges(ranges);
        Assert.Equal(ranges, table.Ranges);
        Assert.Equal((ushort)9, table.OwnerOf(100));

        var gap = Assert.Throws<ClusterConfigurationException>(() => SlotTable.FromRanges([new SlotRange(1, 16383, 0)]));
        Assert.Contains("slot 0 has no owner", gap.Message, StringComparison.Ordinal);
        var overlap = Assert.Throws<ClusterConfigurationException>(() =>
            SlotTable.FromRanges([new SlotRange(0, 10, 0), new SlotRange(10, 16383, 1)]));
        Assert.Contains("slot 10 is assigned twice", overlap.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Same_assignment_compares_every_slot()
    {
        var members = MemberList.Parse("a:1,b:1");
        var a = SlotTable.CreateDefault(members);
        var b = SlotTable.FromRanges(a.Ranges.ToArray());
        Assert.True(a.SameAssignment(b));
        Assert.False(a.SameAssignment(SlotTable.CreateDefault(MemberList.Parse("a:1,b:1,c:1"))));
        Assert.False(a.SameAssignment(a.Assign(5, 5, new SlotAssignment(1))));
    }

    [Fact]
    public void Assign_moves_only_the_given_slots_and_leaves_the_original_unchanged()
    {
        var original = SlotTable.CreateDefault(MemberList.Parse("a:1,b:1,c:1"));
        var moved = original.Assign(100, 199, new SlotAssignment(2));

        Assert.Equal([new SlotRange(0, 99, 0), new SlotRange(100, 199, 2), new SlotRange(200, 5460, 0), new SlotRange(5461, 10921, 1), new SlotRange(10922, 16383, 2)], moved.Ranges);
        Assert.Equal((ushort)0, moved.OwnerOf(99));
        Assert.Equal((ushort)2, moved.OwnerOf(100));
        Assert.Equal((ushort)2, moved.AssignmentOf(199).Primary);
        Assert.Equal((ushort)0, moved.OwnerOf(200));
        Assert.Equal((ushort)0, original.OwnerOf(150));
        Assert.Equal(3, original.Ranges.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => original.Assign(10, 16384, new SlotAssignment(0)));
    }
}
