using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Consensus;

/// <summary>
/// Voting group changes (docs/replication.md, "Voting group changes"), on loopback with in-process nodes: a voter
/// silent for the voter timeout is replaced by a learner, so the group then survives losing a second original voter;
/// forgetting a voter goes through the same change; a replaced voter that comes back is a learner and the group's
/// configuration does not take it back; members leaving shrink the voters to the target and a learner that comes back
/// grows a group left below it; a leader lost as soon as it reports a configuration change leaves a group that elects.
/// </summary>
public sealed class VotingGroupTests
{
    private static Task<TestCluster> StartAsync(int nodes, Action<NodeOptions>? more = null) =>
        TestCluster.StartAsync(nodes, o =>
        {
            o.Consensus = true;
            more?.Invoke(o);
        });

    /// <summary>A change that gives one slot to another primary: visible in the state, distinct per call.</summary>
    private static Func<ClusterState, ClusterState?> Give(int slot, ushort primary) =>
        s => s.Slots.OwnerOf(slot) == primary ? null : s.Next(slots: s.Slots.Assign(slot, slot, new SlotAssignment(primary)));

    /// <summary>Commits <paramref name="change"/> proposed at <paramref name="node"/>, asking again while no leader is elected (an election after a stop).</summary>
    private static async Task<ClusterState> CommitAsync(DhtNode node, Func<ClusterState, ClusterState?> change, string what)
    {
        ClusterState? committed = null;
        await Bounded.UntilAsync(async () =>
        {
            try
            {
                committed = await node.Core.ClusterChanges!.ProposeAsync(change);
                return true;
            }
            catch (ClusterChangeException)
            {
                return false;
            }
        }, what);
        return committed ?? node.ClusterState;
    }

    /// <summary>Moves every slot range node <paramref name="from"/> owns to node <paramref name="to"/> (so that it can leave gracefully).</summary>
    private static async Task MoveAwayAsync(TestCluster cluster, ushort from, ushort to)
    {
        var table = cluster[from].ClusterState.Slots;
        for (var i = 0; i < table.Ranges.Count; i++)
        {
            if (table.RangeAssignments[i].Primary == from)
                await cluster[from].MoveSlotsAsync(table.Ranges[i].FirstSlot, table.Ranges[i].LastSlot, to).WithinAsync($"node {from}'s slots to move to node {to}");
        }
    }

    /// <summary>
    /// Waits until every node's state names <paramref name="voters"/> and every one of them runs a Raft member whose
    /// configuration is exactly those (the leader commits a configuration before its followers apply it: a test that
    /// stopped the leader right after its commit could leave them on the previous one).
    /// </summary>
    private static Task VotersAreAsync(TestCluster cluster, ushort[] voters) =>
        Bounded.UntilAsync(
            () => cluster.RunningNodes.All(n => n.ClusterState.Voters.SequenceEqual(voters)
                && (voters.Contains(n.NodeId)
                    ? n.Core.Consensus!.ConfiguredVoters.SequenceEqual(voters)
                    : !n.Core.Consensus!.IsVoter)),
            $"every node's state and every voter's Raft configuration to name the voters {string.Join(",", voters)}");

    [Fact]
    public async Task A_voter_stopped_for_good_is_replaced_by_a_learner_and_the_group_then_survives_losing_a_second_original_voter()
    {
        await using var cluster = await Resp.RespCluster.StartAsync(4, o =>
        {
            o.Consensus = true;
            o.VoterTimeout = TimeSpan.FromSeconds(1);
        });
        Assert.Equal([0, 1, 2], cluster[0].ClusterState.Voters);
        await CommitAsync(cluster[3], Give(0, 3), "a first change");

        await cluster.StopNodeAsync(2);
        await VotersAreAsync(cluster, [0, 1, 3]);
        Assert.True(cluster[3].Core.Consensus!.IsVoter);
        // What an operator sees (docs/running.md): CLUSTER INFO names the voters and whether the node is one.
        await using (var resp = await Resp.RespTestClient.ConnectAsync(Resp.RespCluster.RespOf(cluster, 3)))
        {
            var info = await resp.CallAsync("CLUSTER", "INFO");
            Assert.Contains("fastdht_raft_voters:0,1,3\r\n", info, StringComparison.Ordinal);
            Assert.Contains("fastdht_raft_voter:1\r\n", info, StringComparison.Ordinal);
        }

        // Voters 0 and 3 are a majority of {0, 1, 3}: changes still commit without a second original voter. With the
        // voters fixed at {0, 1, 2}, node 0 alone would be left and nothing would commit.
        await cluster.StopNodeAsync(1);
        var committed = await CommitAsync(cluster[0], Give(1, 3), "a change with only voters 0 and 3 up");
        Assert.Equal((ushort)3, committed.Slots.OwnerOf(1));
        await Bounded.UntilAsync(() => cluster[3].ClusterState.Epoch >= committed.Epoch, "node 3 to install the change");
    }

    [Fact]
    public async Task Forgetting_a_voter_gives_its_vote_to_a_learner()
    {
        await using var cluster = await StartAsync(4, o =>
        {
            o.Replicas = 1;
            o.FailoverTimeout = TimeSpan.FromMilliseconds(1500);
            o.VoterTimeout = TimeSpan.Zero; // only the forget changes the voters here
        });
        await cluster.WaitForLeasesAsync();
        await Bounded.UntilAsync(
            () => cluster[0].ClusterState.Slots.RangeAssignments.All(a => !a.InSync.IsEmpty),
            "every range to have an in-sync replica (forgetting a primary needs one)");

        await cluster.StopNodeAsync(2);
        var state = await cluster[3].Core.Membership.RemoveAsync(2, forget: true, CancellationToken.None).WithinAsync("voter 2 to be forgotten");
        Assert.False(state.Members.TryGet(2, out _));
        Assert.Equal([0, 1, 3], state.Voters);
        await VotersAreAsync(cluster, [0, 1, 3]);

        await cluster.StopNodeAsync(1);
        var committed = await CommitAsync(cluster[3], Give(2, 3), "a change with only voters 0 and 3 up");
        Assert.Equal((ushort)3, committed.Slots.OwnerOf(2));
    }

    [Fact]
    public async Task A_replaced_voter_that_comes_back_is_a_learner_and_the_group_keeps_its_replacement()
    {
        await using var cluster = await StartAsync(4, o => o.VoterTimeout = TimeSpan.FromSeconds(1));
        await CommitAsync(cluster[0], Give(0, 1), "a first change");
        await cluster.StopNodeAsync(2);
        await VotersAreAsync(cluster, [0, 1, 3]);

        // Without a data directory it starts from the initial state, which names it a voter: it starts a Raft member,
        // whose connections the voters refuse, until the pushed state tells it that it is a learner now.
        var returned = await cluster.StartNodeAsync(2);
        await Bounded.UntilAsync(
            () => returned.ClusterState.Voters.SequenceEqual(new ushort[] { 0, 1, 3 }) && !returned.Core.Consensus!.IsVoter,
            "the returned node to learn that it is a learner and stop its Raft member");
        var committed = await CommitAsync(returned, Give(3, 2), "a change proposed by the returned node");
        await Bounded.UntilAsync(() => cluster.RunningNodes.All(n => n.ClusterState.Epoch >= committed.Epoch), "every node to install it");
        await VotersAreAsync(cluster, [0, 1, 3]);
        Assert.Equal((ushort)2, cluster[0].ClusterState.Slots.OwnerOf(3));
    }

    [Fact]
    public async Task A_group_left_below_its_target_grows_back_when_a_learner_comes_back()
    {
        await using var cluster = await StartAsync(4, o => o.VoterTimeout = TimeSpan.Zero);
        Assert.Equal([0, 1, 2], cluster[0].ClusterState.Voters);
        await CommitAsync(cluster[0], Give(0, 1), "a first change");

        // Voter 2 leaves gracefully (its slots moved away) while the only learner, 3, is down: nobody takes its vote.
        await cluster.StopNodeAsync(3);
        await MoveAwayAsync(cluster, 2, 0);
        var state = await cluster[0].Core.Membership.RemoveAsync(2, forget: false, CancellationToken.None).WithinAsync("node 2 to leave");
        Assert.Equal([0, 1], state.Voters);
        await cluster.StopNodeAsync(2);
        await VotersAreAsync(cluster, [0, 1]);

        // The learner comes back: the leader gives it the vote the group lacks, and the configuration follows. Without
        // that the voters stay {0, 1}, and losing either of them stops every change.
        await cluster.StartNodeAsync(3);
        await VotersAreAsync(cluster, [0, 1, 3]);
        await cluster.StopNodeAsync(1);
        var committed = await CommitAsync(cluster[3], Give(1, 3), "a change with only voters 0 and 3 up");
        Assert.Equal((ushort)3, committed.Slots.OwnerOf(1));
    }

    [Fact]
    public async Task Members_leaving_shrink_five_voters_to_three_one_at_a_time_a_stopped_one_first()
    {
        // Ten members keep five voters, nine keep three (ClusterState.VoterTarget).
        await using var cluster = await StartAsync(10, o => o.VoterTimeout = TimeSpan.Zero);
        Assert.Equal([0, 1, 2, 3, 4], cluster[0].ClusterState.Voters);
        await CommitAsync(cluster[0], Give(0, 1), "a first change");
        await cluster.StopNodeAsync(4);

        // Learner 9 leaves gracefully: the leader drops the stopped voter 4 first, then one more (the last in id order
        // that is not itself).
        await MoveAwayAsync(cluster, 9, 0);
        await cluster[0].Core.Membership.RemoveAsync(9, forget: false, CancellationToken.None).WithinAsync("node 9 to leave");
        await cluster.StopNodeAsync(9);
        await Bounded.UntilAsync(() => cluster[0].ClusterState.Voters.Count == 3, "the voters to shrink to three");
        var voters = cluster[0].ClusterState.Voters.ToArray();
        Assert.DoesNotContain((ushort)4, voters);
        await VotersAreAsync(cluster, voters);

        // Three voters: losing one (not the leader) still leaves a majority.
        ushort leader = 0;
        await Bounded.UntilAsync(() => voters.Contains(leader = cluster[voters[0]].Core.Consensus!.LeaderId), "a leader among the three voters");
        var other = voters.First(v => v != leader);
        await cluster.StopNodeAsync(other);
        var committed = await CommitAsync(cluster[leader], Give(1, 5), "a change with two of the three voters up");
        Assert.Equal((ushort)5, committed.Slots.OwnerOf(1));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_leader_lost_as_soon_as_it_reports_a_configuration_change_leaves_a_group_that_elects(bool removal)
    {
        // The leader is frozen (every byte to and from it held) from the thread that logs the change done: what it had
        // not sent by then, its followers never get. Removal: voter 2 stopped for good is replaced by learner 3, and
        // the leader is lost right after it removes 2 from {0, 1, 2, 3}. Addition: a third node joins a two-node
        // cluster, and the leader is lost right after it adds it to {0, 1}. Either way the two survivors are a
        // majority of the new configuration, but not of the previous one.
        TestCluster? cluster = null;
        var frozen = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var what = removal ? "(Raft leader): removing" : "(Raft leader): adding node";
        var fired = 0;
        using var loggers = new LogLineHook((_, line, values) =>
        {
            if (!line.Contains(what, StringComparison.Ordinal) || !line.EndsWith(": True", StringComparison.Ordinal) || Interlocked.Exchange(ref fired, 1) == 1)
                return;
            var node = (ushort)values.First(v => v.Key == "NodeId").Value!;
            cluster!.FreezeNode(node, true);
            frozen.TrySetResult(node);
        });
        cluster = await TestCluster.StartAsync(removal ? 4 : 2, o =>
        {
            o.Consensus = true;
            o.VoterTimeout = TimeSpan.FromSeconds(1);
        }, loggerFactory: loggers, proxied: true, spareNodes: removal ? 0 : 1);
        await using (cluster)
        {
            await CommitAsync(cluster[0], Give(0, 1), "a first change");
            if (removal)
                await cluster.StopNodeAsync(2);
            else
                await cluster.StartNodeAsync(2);
            var lost = await frozen.Task.WithinAsync("the leader to report the configuration change");

            var survivors = removal ? new[] { 0, 1, 3 }.Where(n => n != lost).ToArray() : new[] { 0, 1, 2 }.Where(n => n != lost).ToArray();
            var committed = await CommitAsync(cluster[survivors[0]], Give(1, (ushort)survivors[1]), "a change with the two survivors only");
            Assert.Equal((ushort)survivors[1], committed.Slots.OwnerOf(1));
            await Bounded.UntilAsync(() => cluster[survivors[1]].ClusterState.Epoch >= committed.Epoch, "the other survivor to install it");
            cluster.FreezeNode(lost, false);
        }
    }
}
