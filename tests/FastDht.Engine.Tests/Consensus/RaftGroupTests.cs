using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Consensus;

/// <summary>
/// The Raft group that decides the cluster state, on loopback with in-process nodes: a change proposed at any node
/// (voter or learner) is committed once and installed everywhere; concurrent changes both land, one epoch apart; a
/// voter that restarts with its data directory comes back with the committed state; nobody without the cluster secret
/// gets a consensus connection.
/// </summary>
public sealed class RaftGroupTests
{
    private static Task<TestCluster> StartAsync(int nodes, Action<NodeOptions>? more = null) =>
        TestCluster.StartAsync(nodes, o =>
        {
            o.Consensus = true;
            more?.Invoke(o);
        });

    private static Task AllAtEpochAsync(TestCluster cluster, ulong epoch) =>
        Bounded.UntilAsync(() => cluster.RunningNodes.All(n => n.ClusterState.Epoch >= epoch), $"every node to install epoch {epoch}");

    /// <summary>A change that gives one slot to another primary: visible in the state, distinct per test.</summary>
    private static Func<ClusterState, ClusterState?> Give(int slot, ushort primary) =>
        s => s.Slots.OwnerOf(slot) == primary ? null : s.Next(slots: s.Slots.Assign(slot, slot, new SlotAssignment(primary)));

    /// <summary>
    /// Every voter draws its election timeout from the slot of its rank (its place among the voters in id order), so no
    /// two voters time out together (docs/replication.md, "Election timeouts by rank"); the group still elects.
    /// </summary>
    [Fact]
    public async Task Each_voter_s_election_timeout_is_drawn_from_the_slot_of_its_rank()
    {
        await using var cluster = await StartAsync(3);
        await Bounded.UntilAsync(() => cluster.RunningNodes.Any(n => n.RaftLeader == n.NodeId), "a Raft leader");
        var timeouts = new List<TimeSpan>();
        foreach (var node in cluster.RunningNodes)
        {
            var group = node.Core.Consensus!;
            var (lower, upper) = group.Settings.RankedElectionTimeout(FastDht.Engine.Consensus.Internal.RaftGroup.RankOf(group.Voters, node.NodeId));
            Assert.InRange(group.ElectionTimeout, lower, upper);
            timeouts.Add(group.ElectionTimeout);
        }
        Assert.Equal(3, timeouts.Distinct().Count());
    }

    [Fact]
    public async Task A_change_proposed_at_a_learner_or_a_voter_is_committed_once_and_installed_everywhere()
    {
        await using var cluster = await StartAsync(4);
        Assert.Equal(3, cluster[0].Core.Consensus!.Voters.Count);
        Assert.False(cluster[3].Core.Consensus!.IsVoter);

        // Node 3 does not vote: its proposal goes to the leader over a peer link.
        var committed = await cluster[3].Core.ClusterChanges!.ProposeAsync(Give(0, 2)).AsTask().WithinAsync("the learner's change to commit");
        Assert.Equal(ClusterState.InitialEpoch + 1, committed!.Epoch);
        await AllAtEpochAsync(cluster, 2);
        Assert.All(cluster.RunningNodes, n => Assert.Equal((ushort)2, n.ClusterState.Slots.OwnerOf(0)));

        committed = await cluster[1].Core.ClusterChanges!.ProposeAsync(Give(16383, 1)).AsTask().WithinAsync("the voter's change to commit");
        Assert.Equal(3UL, committed!.Epoch);
        await AllAtEpochAsync(cluster, 3);
        Assert.All(cluster.RunningNodes, n =>
        {
            Assert.Equal((ushort)2, n.ClusterState.Slots.OwnerOf(0));
            Assert.Equal((ushort)1, n.ClusterState.Slots.OwnerOf(16383));
        });

        // A change no longer needed is not proposed.
        Assert.Null(await cluster[0].Core.ClusterChanges!.ProposeAsync(Give(0, 2)).AsTask().WithinAsync("a no-op"));
        Assert.Equal(3UL, cluster[0].ClusterState.Epoch);
    }

    [Fact]
    public async Task Concurrent_changes_from_different_nodes_both_land_one_epoch_apart()
    {
        await using var cluster = await StartAsync(3);
        var changes = new List<Task<ClusterState?>>();
        for (var i = 0; i < 3; i++)
            changes.Add(cluster[i].Core.ClusterChanges!.ProposeAsync(Give(100 + i, (ushort)(1 + (i % 2)))).AsTask());
        var states = await Task.WhenAll(changes).WithinAsync("three concurrent changes to commit");
        // Each was committed at its own epoch: none overwrote another.
        Assert.Equal([2UL, 3UL, 4UL], states.Select(s => s!.Epoch).Order());
        await AllAtEpochAsync(cluster, 4);
        for (var i = 0; i < 3; i++)
            Assert.All(cluster.RunningNodes, n => Assert.Equal((ushort)(1 + (i % 2)), n.ClusterState.Slots.OwnerOf(100 + i)));
    }

    [Fact]
    public async Task A_voter_restarted_with_its_data_directory_comes_back_with_the_committed_state()
    {
        var root = Path.Combine(Path.GetTempPath(), $"failover-raft-{Guid.NewGuid():N}");
        try
        {
            await using var cluster = await StartAsync(3, o => o.DataDir = Path.Combine(root, o.NodeId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            await cluster[0].Core.ClusterChanges!.ProposeAsync(Give(7, 2)).AsTask().WithinAsync("the change to commit");
            await AllAtEpochAsync(cluster, 2);
            // Applied from its own log, not only pushed by the leader: only then does its log say the entry is committed
            // (a follower learns the commit index with the leader's next append; the push can be faster).
            await Bounded.UntilAsync(() => cluster[1].Core.Consensus!.AppliedEpoch >= 2, "node 1 to apply epoch 2 from its log");
            Assert.True(Directory.Exists(Path.Combine(root, "1", "raft")), "the Raft log lives in the data directory");

            // Every node stops; node 1 alone starts again: with no quorum and nobody to push, only its log can tell it.
            for (var i = 0; i < 3; i++)
                await cluster.StopNodeAsync(i);
            var node = await cluster.StartNodeAsync(1);
            await Bounded.UntilAsync(() => node.ClusterState.Epoch == 2, "node 1 to replay its Raft log");
            Assert.Equal((ushort)2, node.ClusterState.Slots.OwnerOf(7));
        }
        finally
        {
            if (Directory.Exists(root))
                Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>A raw connection claiming to be voter 1 opening a consensus connection.</summary>
    private static Task<RawResponse> HelloAsVoterAsync(NativeTestClient raw, NodeOptions options, TestCluster cluster, ulong incarnation) =>
        raw.RequestAsync((w, id) => FrameWriter.WriteHello(
            w, id, NodeRole.Consensus, 1, options.ClusterName, options.LockStrategy, 1 << 20, incarnation, cluster.Members.Digest));

    [Fact]
    public async Task A_consensus_connection_is_refused_without_the_cluster_secret()
    {
        await using var cluster = await StartAsync(3);
        await cluster.StopNodeAsync(1);
        var options = cluster.OptionsFor(1);
        using var raw = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null);
        Assert.Equal(StatusCode.Ok, (await HelloAsVoterAsync(raw, options, cluster, 42)).Status);
        // Raft bytes instead of the challenge: refused before anything reaches the Raft library.
        var skipped = await raw.RequestAsync((w, id) => FrameWriter.WriteClusterInfo(w, id));
        Assert.Equal(StatusCode.AuthRequired, skipped.Status);
        Assert.True(await raw.IsClosedByNodeAsync());

        // A wrong proof is refused too.
        using var guessing = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null);
        await HelloAsVoterAsync(guessing, options, cluster, 43);
        var answer = await guessing.RequestAsync((w, id) => AuthFrames.WritePeerStep(w, id, AuthMechanism.PeerChallenge, new byte[AuthFrames.NonceSize]));
        Assert.Equal(StatusCode.Ok, answer.Status);
        var refused = await guessing.RequestAsync((w, id) => AuthFrames.WritePeerStep(w, id, AuthMechanism.PeerProof, new byte[AuthFrames.ProofSize]));
        Assert.Equal(StatusCode.HandshakeRefused, refused.Status);
        Assert.True(await guessing.IsClosedByNodeAsync());
    }

    [Fact]
    public async Task A_node_without_a_Raft_group_refuses_consensus_connections()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        Assert.Null(cluster[0].Core.ClusterChanges);
        await cluster.StopNodeAsync(1);
        var options = cluster.OptionsFor(1);
        using var raw = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null);
        Assert.Equal(StatusCode.HandshakeRefused, (await HelloAsVoterAsync(raw, options, cluster, 42)).Status);
    }
}
