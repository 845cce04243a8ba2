using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Node;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Cluster;

/// <summary>Nodes join a running cluster through any member, and members leave it (docs/elasticity.md, "Join and leave").</summary>
public sealed class MembershipTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_node_started_with_the_members_as_seeds_joins_takes_slots_and_leaves_again(bool consensus)
    {
        await using var cluster = await TestCluster.StartAsync(3, o => o.Consensus = consensus, spareNodes: 1);
        await using var client = await ConnectAsync(cluster);
        for (var i = 0; i < 300; i++)
            await client.PutAsync($"k{i}", $"v{i}");

        var joiner = await cluster.StartNodeAsync(3);
        await WaitForMembersAsync(cluster, 4);
        await joiner.WaitForMeshAsync(Bounded.Timeout);
        Assert.True(joiner.ClusterState.Members.TryGet(3, out var listed));
        Assert.Equal(cluster.EndPointOf(3).ToString(), listed.Address);

        // It takes a share of the slots, and every key stays readable.
        var range = cluster[0].ClusterState.Slots.Ranges[0];
        await cluster[0].MoveSlotsAsync(range.FirstSlot, range.FirstSlot + 999, 3).WithinAsync("the move to the new node");
        for (var i = 0; i < 300; i++)
            Assert.Equal($"v{i}", await client.GetStringAsync($"k{i}"));

        // Leaving gracefully is refused while it owns slots; once they moved away it leaves, and nothing was lost.
        var refused = await Assert.ThrowsAsync<DhtServerException>(() => client.RemoveNodeAsync(0, 3, forget: false).AsTask().WithinAsync("the refused removal"));
        Assert.Contains("still owns slots", refused.Message, StringComparison.Ordinal);
        await joiner.MoveSlotsAsync(range.FirstSlot, range.FirstSlot + 999, 0).WithinAsync("the move back");
        var epoch = await client.RemoveNodeAsync(0, 3, forget: false).AsTask().WithinAsync("the removal");
        await WaitForMembersAsync(cluster, 3, skip: 3);
        Assert.True(epoch > ClusterState.InitialEpoch);
        for (var i = 0; i < 300; i++)
            Assert.Equal($"v{i}", await client.GetStringAsync($"k{i}"));
    }

    [Fact]
    public async Task A_joining_node_without_the_cluster_secret_is_refused_and_the_members_stay()
    {
        await using var cluster = await TestCluster.StartAsync(3, spareNodes: 1);
        var options = cluster.OptionsFor(3);
        options.ClusterSecret = FastDht.Engine.Security.ClusterSecret.CreateRandom();
        options.ListenSocket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        options.ListenSocket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        options.AdvertisedAddress = options.ListenSocket.LocalEndPoint!.ToString();
        await using var stranger = new NodeHandle(await DhtNode.StartAsync(options).WithinAsync("the stranger to start"));

        // It keeps asking (its join loop retries): give it a few rounds, then nobody has let it in.
        await Task.Delay(500);
        foreach (var node in cluster.RunningNodes)
            Assert.Equal(3, node.ClusterState.Members.Count);
        Assert.False(stranger.Node.ClusterState.Members.TryGet(3, out _));
    }

    [Fact]
    public void A_removal_is_refused_for_a_node_with_slots_and_a_forgotten_range_without_an_in_sync_replica()
    {
        var members = MemberList.Parse("127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003");
        var state = ClusterState.Initial(members, replicas: 1);
        Assert.Throws<ClusterChangeException>(() => FastDht.Engine.Mesh.Internal.Membership.WithoutMember(state, 0, forget: true, _ => true));
        Assert.Throws<ClusterChangeException>(() => FastDht.Engine.Mesh.Internal.Membership.WithoutMember(state, 3, forget: false, _ => true));
        // No range has an in-sync replica yet (a fresh table): forgetting node 3 would lose its range.
        Assert.Throws<ClusterChangeException>(() => FastDht.Engine.Mesh.Internal.Membership.WithoutMember(state, 3, forget: true, _ => true));

        // With node 0 in sync for node 3's range, forgetting node 3 gives the range to node 0 and drops 3 everywhere.
        var range3 = state.Slots.Ranges[3];
        var synced = state.Next(slots: state.Slots.Assign(range3.FirstSlot, range3.LastSlot, new SlotAssignment(3, [0], [0])));
        var forgotten = FastDht.Engine.Mesh.Internal.Membership.WithoutMember(synced, 3, forget: true, _ => true)!;
        Assert.Equal(3, forgotten.Members.Count);
        Assert.Equal((ushort)0, forgotten.Slots.OwnerOf(range3.FirstSlot));
        foreach (var a in forgotten.Slots.RangeAssignments)
            Assert.False(a.HasReplica(3));
        Assert.Null(FastDht.Engine.Mesh.Internal.Membership.WithoutMember(forgotten, 3, forget: true, _ => true));
    }

    [Fact]
    public void A_leaving_voter_is_replaced_by_the_first_live_learner_and_a_join_grows_the_voters_to_the_member_count_s_target()
    {
        var members = MemberList.Parse("127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003,127.0.0.1:7004");
        var state = ClusterState.Initial(members, replicas: 1);
        Assert.Equal([0, 1, 2], state.Voters);
        // Node 1 in sync for node 2's range: forgetting voter 2 gives its range to node 1 and its vote to a learner.
        var range2 = state.Slots.Ranges[2];
        var synced = state.Next(slots: state.Slots.Assign(range2.FirstSlot, range2.LastSlot, new SlotAssignment(2, [1], [1])));
        Assert.Equal([0, 1, 3], FastDht.Engine.Mesh.Internal.Membership.WithoutMember(synced, 2, forget: true, _ => true)!.Voters);
        // Learner 3 is down: the next live one, 4, takes the vote; none live: the group shrinks by one.
        Assert.Equal([0, 1, 4], FastDht.Engine.Mesh.Internal.Membership.WithoutMember(synced, 2, forget: true, id => id != 3)!.Voters);
        Assert.Equal([0, 1], FastDht.Engine.Mesh.Internal.Membership.WithoutMember(synced, 2, forget: true, _ => false)!.Voters);

        // Two members vote both; the third to join votes too; from 10 members on, five vote.
        var two = ClusterState.Initial(MemberList.Parse("127.0.0.1:7000,127.0.0.1:7001"));
        Assert.Equal([0, 1], two.Voters);
        var three = FastDht.Engine.Mesh.Internal.Membership.WithMember(two, ClusterMember.Parse("127.0.0.1:7002", 2))!;
        Assert.Equal([0, 1, 2], three.Voters);
        var nine = ClusterState.Initial(MemberList.Parse(string.Join(",", Enumerable.Range(0, 9).Select(i => $"127.0.0.1:{7000 + i}"))));
        Assert.Equal([0, 1, 2], nine.Voters);
        var ten = FastDht.Engine.Mesh.Internal.Membership.WithMember(nine, ClusterMember.Parse("127.0.0.1:7009", 9))!;
        Assert.Equal([0, 1, 2, 3, 4], ten.Voters);
    }

    [Fact]
    public void The_voters_follow_the_member_count_one_voter_per_change()
    {
        static ClusterState Members(int count, ushort[] voters)
        {
            var members = MemberList.Parse(string.Join(",", Enumerable.Range(0, count).Select(i => $"127.0.0.1:{7000 + i}")));
            return new ClusterState(ClusterState.InitialEpoch, members, SlotTable.CreateDefault(members), voters);
        }

        // A voter of ten leaves: nine members keep three voters, so its vote goes to nobody.
        var ten = Members(10, [0, 1, 2, 3, 4]);
        var range4 = ten.Slots.Ranges[4];
        var moved = ten.Next(slots: ten.Slots.Assign(range4.FirstSlot, range4.LastSlot, new SlotAssignment(0)));
        Assert.Equal([0, 1, 2, 3], FastDht.Engine.Mesh.Internal.Membership.WithoutMember(moved, 4, forget: false, _ => true)!.Voters);

        // Above the target: one voter fewer per change, a down one first, never the leader that proposes it.
        var nine = Members(9, [0, 1, 2, 3, 4]);
        Assert.Equal([0, 1, 2, 3], VoterSets.Resized(nine, _ => true, keep: 0));
        Assert.Equal([0, 2, 3, 4], VoterSets.Resized(nine, id => id != 1, keep: 0));
        Assert.Equal([0, 1, 2, 4], VoterSets.Resized(nine, _ => true, keep: 4));
        Assert.Equal([0, 1, 2], VoterSets.Resized(Members(9, [0, 1, 2, 3]), _ => true, keep: 0));
        Assert.Null(VoterSets.Resized(Members(9, [0, 1, 2]), _ => true, keep: 0));

        // Below it (a voter left when no learner was up): the first live learner, once one is.
        var four = Members(4, [0, 1]);
        Assert.Equal([0, 1, 2], VoterSets.Resized(four, _ => true, keep: 0));
        Assert.Equal([0, 1, 3], VoterSets.Resized(four, id => id != 2, keep: 0));
        Assert.Null(VoterSets.Resized(four, id => id < 2, keep: 0));
    }

    private static Task WaitForMembersAsync(TestCluster cluster, int count, int skip = -1) =>
        Bounded.UntilAsync(
            () => cluster.RunningNodes.Where(n => n.NodeId != skip).All(n => n.ClusterState.Members.Count == count && n.IsMeshComplete),
            $"every node to see {count} members and link to each");

    private static async Task<DhtClient> ConnectAsync(TestCluster cluster)
    {
        var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName };
        options.Seeds.Add(cluster.EndPointOf(0).ToString());
        return await DhtClient.ConnectAsync(options);
    }

    /// <summary>A node started outside the test cluster, stopped at the end.</summary>
    private sealed class NodeHandle(DhtNode node) : IAsyncDisposable
    {
        public DhtNode Node => node;

        public async ValueTask DisposeAsync() => await node.StopAsync().WithinAsync("the node to stop");
    }
}
