using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Cluster;

/// <summary>A node dies in the middle of a slot move, or the move goes to a replica of the slots (docs/elasticity.md, "What a slot move promises", "A node that dies mid-move" and "A move to a replica").</summary>
public sealed class MoveFailureTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fastdht-movefailure-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_move_whose_target_stops_midway_is_undone_and_every_acknowledged_write_stays_at_the_source(int replicas)
    {
        // 32 KiB/s: the copy of the range's keys takes seconds, so the target stops while it runs.
        await using var cluster = await TestCluster.StartAsync(3, o =>
        {
            o.SlotMoveRate = 32 * 1024;
            o.Replicas = replicas;
        });
        await using var client = await ConnectAsync(cluster);
        var range = cluster[0].ClusterState.Slots.Ranges[0];
        Assert.Equal((ushort)0, range.NodeId);
        // Keys of node 0's range only: node 2's own keys are unavailable while it is down (without replicas), by design.
        var keys = Enumerable.Range(0, 200_000).Select(i => $"k{i}").Where(k => KeySlot.Of(Encoding.UTF8.GetBytes(k)) <= range.LastSlot).Take(3000).ToArray();
        foreach (var key in keys)
            await RetryingCalls.PutAsync(client, key, "v0", RetryingCalls.LeaseLapsed);

        var acknowledged = new ConcurrentDictionary<string, string>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = keys[i % keys.Length];
                try
                {
                    await client.PutAsync(key, $"v{i}");
                    acknowledged[key] = $"v{i}";
                }
                catch (DhtException e) when (replicas > 0 && e.Message.Contains(FastDht.Engine.Keyspace.ServingLease.Message, StringComparison.Ordinal))
                {
                    // With a Raft group, stopping node 2 may stop the Raft leader: until a new one is elected no node
                    // holds a serving lease, and writes are refused, nothing applied (docs/replication.md). Not the move's doing.
                }
                catch (DhtException e)
                {
                    failures.Enqueue($"{key}: {e.Message}");
                }
                // A few hundred writes a second: fewer bytes than the copy sends, so the throttle holds and the copy
                // is still running when the target stops (faster writes lift the throttle: docs/elasticity.md).
                await Task.Delay(5);
            }
        });
        var move = await MoveAndStopMidwayAsync(cluster, range, stopped: 2);

        await Assert.ThrowsAsync<SlotMoveException>(() => move.WithinAsync("the move to fail"));
        await Bounded.UntilAsync(() => Enumerable.Range(0, 2).All(n => !cluster[n].ClusterState.Slots.AssignmentOf(range.FirstSlot).IsMoving), "the move to be undone everywhere");
        var after = acknowledged.Count;
        await Bounded.UntilAsync(() => acknowledged.Count >= after + 100, "writes to go on at the source");
        stop.Cancel();
        await writer.WithinAsync("the writer to stop");

        Assert.Empty(failures);
        Assert.Equal((ushort)0, cluster[0].ClusterState.Slots.OwnerOf(range.FirstSlot));
        await using var fresh = await ConnectAsync(cluster);
        foreach (var key in keys)
            Assert.Equal(acknowledged.TryGetValue(key, out var value) ? value : "v0", await RetryingCalls.GetAsync(fresh, key, RetryingCalls.LeaseLapsed));
    }

    /// <summary>
    /// The source stops while the copy runs (its undo cannot reach anyone: the links and the Raft member go first).
    /// With replicas its in-sync replica is promoted; without, it comes back from its data directory. Either way no
    /// slot stays marked moving, the target keeps none of the keys it received, the slots can move again (to another
    /// node too), and every acknowledged write is read back.
    /// </summary>
    [Theory]
    [InlineData(1, null)]
    [InlineData(0, false)]
    [InlineData(0, true)]
    public async Task A_move_whose_source_stops_midway_leaves_no_slot_moving_and_loses_no_acknowledged_write(int replicas, bool? consensus)
    {
        // 8 KiB/s: after the first 64 KiB batch the copy waits 8 s for the throttle, so the source stops with the move
        // under way (3000 keys of 80-byte values are about 300 KB of records: five batches).
        await using var cluster = await TestCluster.StartAsync(3, o =>
        {
            o.SlotMoveRate = 8 * 1024;
            o.Replicas = replicas;
            o.Consensus = consensus;
            if (replicas > 0)
            {
                o.ReplicaTimeout = Bounded.Timeout; // no replica dropped by accident on a loaded machine
                o.FailoverTimeout = TimeSpan.FromMilliseconds(1500);
            }
            else
            {
                o.DataDir = Path.Combine(_root, $"node{o.NodeId}"); // without replicas the source's keys live on only on its disk
            }
        });
        if (replicas > 0)
        {
            await Bounded.UntilAsync(
                () => cluster.RunningNodes.All(n => n.ClusterState.Slots.RangeAssignments.All(a => a.InSync.Length == a.Replicas.Length)),
                "every replica to be in sync (only an in-sync replica is promoted)");
        }
        await using var client = await ConnectAsync(cluster, all: true);
        var range = cluster[0].ClusterState.Slots.Ranges[0];
        Assert.Equal((ushort)0, range.NodeId);
        var keys = KeysOf(range, 3000);
        var initial = new string('i', 80);
        foreach (var key in keys)
            await RetryingCalls.PutAsync(client, key, initial, RetryingCalls.LeaseLapsed);

        var possible = PossibleValues(keys, initial);
        var acknowledged = new StrongBox<int>();
        using var stop = new CancellationTokenSource();
        var writer = WriteAsync(client, keys, possible, acknowledged, stop.Token);

        // With replicas, the replica that takes over (the range's only one; the target is not it).
        var replica = replicas > 0 ? cluster[0].ClusterState.Slots.AssignmentOf(range.FirstSlot).Replicas[0] : (ushort)0;
        Assert.NotEqual((ushort)2, replica);
        // The stopped source's mover would sleep out its throttle before it noticed; cancelled, it ends at once (its undo
        // reaches nobody: the node's links and Raft member are gone), as the killed process's would have.
        using var abandon = new CancellationTokenSource();
        var move = await MoveAndStopMidwayAsync(cluster, range, stopped: 0, abandon.Token);
        await abandon.CancelAsync();
        var ended = await Record.ExceptionAsync(() => move.WithinAsync("the stopped source's move to end"));
        Assert.True(ended is SlotMoveException or OperationCanceledException, $"the stopped source's move ended with {ended}");

        ushort owner = 0;
        if (replicas > 0)
        {
            owner = replica;
            await Bounded.UntilAsync(() => cluster[1].ClusterState.Slots.OwnerOf(range.FirstSlot) == owner && cluster[2].ClusterState.Slots.OwnerOf(range.FirstSlot) == owner, $"the source's replica to be promoted");
            await cluster.WaitForLeasesAsync();
        }
        else
        {
            await cluster.StartNodeAsync(0);
        }
        await Bounded.UntilAsync(
            () => cluster.RunningNodes.All(n => !n.ClusterState.Slots.AssignmentOf(range.FirstSlot).IsMoving && !n.ClusterState.Slots.AssignmentOf(range.LastSlot).IsMoving),
            "no node to see the slots moving");
        await Bounded.UntilAsync(() => keys.All(k => !cluster[2].Store.TryGet(Encoding.UTF8.GetBytes(k), out _)), "the target to drop the keys of the abandoned move");
        await WritesGoOnAsync(acknowledged, 100, "writes to the slots to go on");

        // A slot moves again: to node 1 when node 0 kept them (the abandoned move was to node 2), else to node 2. One
        // slot, so the throttled copy takes no time.
        var next = owner == 0 ? (ushort)1 : (ushort)2;
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(keys[0]));
        // A refused move changes nothing and may be tried again (with a Raft group the target may refuse it while its
        // serving lease is being renewed on a loaded machine).
        await Bounded.UntilAsync(
            async () =>
            {
                try
                {
                    await cluster[owner].MoveSlotsAsync(slot, slot, next);
                    return true;
                }
                catch (SlotMoveException)
                {
                    return false;
                }
            },
            "a slot to move again");
        Assert.Equal(next, cluster[owner].ClusterState.Slots.OwnerOf(slot));
        stop.Cancel();
        await writer.WithinAsync("the writer to stop");

        await ReadBackAsync(cluster, keys, possible, leases: replicas > 0);
    }

    /// <summary>
    /// A move to the node that already replicates the slots (as remove-node with replicas makes) ends before its
    /// handover: the source stops, or the move is undone and then the source stops. The replica is promoted, and every
    /// write acknowledged before, during and after the move is read back from it. Before the fix the move reset the
    /// replica's copy and sent the keys again while the in-sync set still listed it: the promoted replica lost them.
    /// A lock on a key of the slots that no writer touches keeps the move from handing over (it waits for the slots'
    /// locks), so the move is still between its announcement and its handover when it ends.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_move_to_the_slots_replica_that_ends_midway_loses_no_acknowledged_write_when_the_replica_takes_over(bool sourceStops)
    {
        // 8 KiB/s: a copy (the old way of such a move) is still running when the move ends.
        await using var cluster = await StartReplicatedAsync(slotMoveRate: 8 * 1024);
        await using var client = await ConnectAsync(cluster, all: true);
        var range = cluster[0].ClusterState.Slots.Ranges[0];
        var replica = cluster[0].ClusterState.Slots.AssignmentOf(range.FirstSlot).Replicas[0];
        var keys = KeysOf(range, 3001);
        var locked = Encoding.UTF8.GetBytes(keys[^1]);
        keys = keys[..^1];
        var initial = new string('i', 80);
        foreach (var key in keys)
            await RetryingCalls.PutAsync(client, key, initial, RetryingCalls.LeaseLapsed);
        var possible = PossibleValues(keys, initial);
        var acknowledged = new StrongBox<int>();
        using var stop = new CancellationTokenSource();
        var writer = WriteAsync(client, keys, possible, acknowledged, stop.Token);

        var locker = await ConnectAsync(cluster);
        await locker.LockAsync([locked], TimeSpan.FromMinutes(5)); // goes with node 0
        using var abandon = new CancellationTokenSource();
        var move = cluster[0].MoveSlotsAsync(range.FirstSlot, range.LastSlot, replica, abandon.Token);
        await Bounded.UntilAsync(() => cluster.RunningNodes.All(n => n.ClusterState.Slots.AssignmentOf(range.FirstSlot).Importing == replica), "the move to be announced everywhere");
        await WritesGoOnAsync(acknowledged, 20, "writes to go on while the slots move");
        if (!sourceStops)
        {
            await abandon.CancelAsync();
            var undone = await Record.ExceptionAsync(() => move.WithinAsync("the move to be undone"));
            Assert.True(undone is SlotMoveException or OperationCanceledException, $"the cancelled move ended with {undone}");
            await Bounded.UntilAsync(() => cluster.RunningNodes.All(n => !n.ClusterState.Slots.AssignmentOf(range.FirstSlot).IsMoving), "the move to be undone everywhere");
            await WritesGoOnAsync(acknowledged, 20, "writes to go on at the source after the undo");
        }
        await cluster.StopNodeAsync(0);
        await abandon.CancelAsync(); // the stopped source's mover, as the killed process's, ends at once
        var ended = await Record.ExceptionAsync(() => move.WithinAsync("the stopped source's move to end"));
        Assert.True(ended is SlotMoveException or OperationCanceledException, $"the move ended with {ended}");
        await locker.DisposeAsync();

        var others = cluster.RunningNodes.ToArray();
        await Bounded.UntilAsync(() => others.All(n => n.ClusterState.Slots.OwnerOf(range.FirstSlot) == replica), "the replica to be promoted");
        await cluster.WaitForLeasesAsync();
        await Bounded.UntilAsync(() => others.All(n => !n.ClusterState.Slots.AssignmentOf(range.FirstSlot).IsMoving), "no node to see the slots moving");
        await WritesGoOnAsync(acknowledged, 100, "writes to the slots to go on at the promoted replica");
        await stop.CancelAsync();
        await writer.WithinAsync("the writer to stop");
        await ReadBackAsync(cluster, keys, possible, leases: true);
    }

    /// <summary>
    /// A move to the node that replicates the slots copies nothing (the replica holds them already), and the old owner
    /// takes its place among the replicas: when the new owner then stops, the old one is promoted back and serves the
    /// slots again, with every acknowledged write. Before, the move copied every key again, and the promoted old owner
    /// refused every request for the slots with Moving for good (its handed-away mark stayed).
    /// </summary>
    [Fact]
    public async Task A_move_to_the_slots_replica_copies_nothing_and_the_old_owner_takes_the_slots_back_when_the_new_one_stops()
    {
        await using var cluster = await StartReplicatedAsync(slotMoveRate: null);
        await using var client = await ConnectAsync(cluster, all: true);
        var range = cluster[0].ClusterState.Slots.Ranges[0];
        var replica = cluster[0].ClusterState.Slots.AssignmentOf(range.FirstSlot).Replicas[0];
        var keys = KeysOf(range, 3000);
        var initial = new string('i', 80);
        foreach (var key in keys)
            await RetryingCalls.PutAsync(client, key, initial, RetryingCalls.LeaseLapsed);
        var possible = PossibleValues(keys, initial);
        var acknowledged = new StrongBox<int>();
        using var stop = new CancellationTokenSource();
        var writer = WriteAsync(client, keys, possible, acknowledged, stop.Token);

        var report = await cluster[0].MoveSlotsAsync(range.FirstSlot, range.LastSlot, replica).WithinAsync("the move");
        Assert.Equal(0, report.KeysCopied);
        Assert.Equal(0, report.KeysRemoved); // node 0 keeps them as the slots' replica now
        var moved = cluster[0].ClusterState.Slots.AssignmentOf(range.FirstSlot);
        Assert.Equal(replica, moved.Primary);
        Assert.True(moved.HasReplica(0), $"node 0 replicates the slots it handed over ({moved})");
        await Bounded.UntilAsync(() => cluster.RunningNodes.All(n => n.ClusterState.Slots.AssignmentOf(range.FirstSlot).IsInSync(0)), "node 0 to be in sync as the slots' replica");
        await WritesGoOnAsync(acknowledged, 50, "writes to go on at the new owner");

        await cluster.StopNodeAsync(replica);
        var others = cluster.RunningNodes.ToArray();
        await Bounded.UntilAsync(() => others.All(n => n.ClusterState.Slots.OwnerOf(range.FirstSlot) == 0), "node 0 to be promoted back");
        await cluster.WaitForLeasesAsync();
        await WritesGoOnAsync(acknowledged, 100, "writes to the slots to go on at node 0 again");
        await stop.CancelAsync();
        await writer.WithinAsync("the writer to stop");
        await ReadBackAsync(cluster, keys, possible, leases: true);
    }

    /// <summary>
    /// A range of which the target replicates only some slots moves in runs: the replicated run without a copy, the
    /// other with one; every key is read back, and each run's replicas are as the handover leaves them.
    /// </summary>
    [Fact]
    public async Task A_move_over_slots_the_target_replicates_in_part_moves_each_run_its_way()
    {
        await using var cluster = await StartReplicatedAsync(slotMoveRate: null);
        await using var client = await ConnectAsync(cluster, all: true);
        var ranges = cluster[0].ClusterState.Slots.Ranges;
        var (own, next) = (ranges[0], ranges[1]);
        var nextReplica = cluster[0].ClusterState.Slots.AssignmentOf(next.FirstSlot).Replicas[0];
        Assert.False(cluster[0].ClusterState.Slots.AssignmentOf(own.LastSlot).HasReplica(nextReplica));
        // Node 0 takes ten slots of the next range (keeping their replica): now the target replicates only those of its run.
        await cluster[next.NodeId].MoveSlotsAsync(next.FirstSlot, next.FirstSlot + 9, 0).WithinAsync("the first move");
        var slots = new SlotRange((ushort)(own.LastSlot - 9), (ushort)(next.FirstSlot + 9), 0);
        var keys = KeysOf(slots, 400);
        foreach (var key in keys)
            await RetryingCalls.PutAsync(client, key, "v" + key, RetryingCalls.LeaseLapsed);

        var report = await cluster[0].MoveSlotsAsync(slots.FirstSlot, slots.LastSlot, nextReplica).WithinAsync("the move in runs");
        Assert.Equal(((int)slots.FirstSlot, (int)slots.LastSlot), (report.FirstSlot, report.LastSlot));
        var state = cluster[0].ClusterState.Slots;
        Assert.All(Enumerable.Range(slots.FirstSlot, slots.Count), s => Assert.Equal(nextReplica, state.OwnerOf(s)));
        Assert.True(state.AssignmentOf(own.LastSlot).HasReplica(cluster[0].ClusterState.Slots.AssignmentOf(own.FirstSlot).Replicas[0]), "the copied run keeps its replica");
        Assert.True(state.AssignmentOf(next.FirstSlot).HasReplica(0), "node 0 takes the target's place among the replicated run's replicas");
        await using var fresh = await ConnectAsync(cluster, all: true);
        foreach (var key in keys)
            Assert.Equal("v" + key, await RetryingCalls.GetAsync(fresh, key, RetryingCalls.LeaseLapsed));
    }

    /// <summary>
    /// The target of a move dies right after the handover, before it sent its replicas anything: with replicas, no
    /// acknowledged write may be lost to one node's death (docs/replication.md, "What is promised"). The handover lists
    /// in sync the slots' replicas that acknowledged the source's stream past the mark (and the source itself for a move
    /// to a replica), so the leader promotes one of them while the target is silent, and the restarted (memory-only)
    /// target only copies the slots back. Before that fix the handover listed no replica in sync: nobody was promoted,
    /// and the restarted target served the slots empty (SlotMoveKillTests(1, 2) hit it once, when its kill came after
    /// the shell's first step had handed over).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_target_that_dies_right_after_the_handover_loses_no_acknowledged_write(bool toReplica)
    {
        await using var cluster = await TestCluster.StartAsync(3, o =>
        {
            o.Replicas = 1;
            o.ReplicaTimeout = Bounded.Timeout;
            o.FailoverTimeout = TimeSpan.FromMilliseconds(1500);
        }, proxied: true);
        await Bounded.UntilAsync(
            () => cluster.RunningNodes.All(n => n.ClusterState.Slots.RangeAssignments.All(a => a.InSync.Length == a.Replicas.Length)),
            "every replica to be in sync (only an in-sync replica is promoted)");
        await Bounded.UntilAsync(() => cluster.RunningNodes.Any(n => n.RaftLeader == n.NodeId), "a Raft leader");
        // The target is not the Raft leader (its freeze then costs no election); it is the slots' replica (no copy) or
        // not (a copied move).
        var leader = cluster.RunningNodes.First(n => n.RaftLeader == n.NodeId).NodeId;
        var target = (ushort)((leader + 1) % 3);
        // Chosen from the state as it is (a loaded start can already have failed a range over to its replica): a range
        // of another node whose replica is the target (a move to a replica) or is not (a copied move).
        var table = cluster[0].ClusterState.Slots;
        var range = table.Ranges.First(r => r.NodeId != target && r.Count >= 1024 && table.AssignmentOf(r.FirstSlot).HasReplica(target) == toReplica);
        var source = range.NodeId;
        var slots = new SlotRange(range.FirstSlot, (ushort)(range.FirstSlot + 1023), source);
        await using var client = await ConnectAsync(cluster, all: true);
        var keys = KeysOf(slots, 300);
        foreach (var key in keys)
            await RetryingCalls.PutAsync(client, key, "v" + key, RetryingCalls.LeaseLapsed);

        // The moment the target installs the handover it is frozen (every byte to and from it held): it cannot
        // resynchronize the slots' replica; then it is stopped (memory only: its keys are gone) and started again.
        using var handedOver = cluster[target].Core.Cluster.Subscribe((_, current) =>
        {
            if (current.Slots.OwnerOf(slots.FirstSlot) == target)
                cluster.FreezeNode(target, true);
        });
        var move = cluster[source].MoveSlotsAsync(slots.FirstSlot, slots.LastSlot, target);
        var others = cluster.RunningNodes.Where(n => n.NodeId != target).ToArray();
        await Bounded.UntilAsync(() => others.All(n => n.ClusterState.Slots.OwnerOf(slots.FirstSlot) == target), "the handover to be committed");
        await Record.ExceptionAsync(() => move.WithinAsync("the move to end")); // its last answer may have been held
        // Silent (frozen) longer than the failover timeout: an in-sync replica of the slots takes them over.
        await Bounded.UntilAsync(() => others.All(n => n.ClusterState.Slots.OwnerOf(slots.FirstSlot) != target),
            $"an in-sync replica of the slots to be promoted (the slots: {cluster[source].ClusterState.Slots.AssignmentOf(slots.FirstSlot)})");
        await RestartFrozenAsKilledAsync(cluster, target);

        await using var fresh = await ConnectAsync(cluster, all: true);
        foreach (var key in keys)
        {
            var read = await RetryingCalls.GetAsync(fresh, key, RetryingCalls.LeaseLapsed);
            Assert.True(read == "v" + key, $"{key} reads {read ?? "nothing"} (the slots: {cluster[source].ClusterState.Slots.AssignmentOf(slots.FirstSlot)})");
        }
    }

    /// <summary>
    /// With two replicas a copied move lists both of the slots' replicas in sync at the handover (each acknowledged the
    /// source's stream past the mark), and a promotion after it loses nothing: the new owner is frozen until one of
    /// them takes the slots over, comes back empty (memory only), and once every replica is in sync again the promoted
    /// node is stopped too, so the other replica (kept in sync by the promoted node, never reset while counted in sync)
    /// takes them over in turn. Every acknowledged write reads back after each promotion.
    /// </summary>
    [Fact]
    public async Task With_two_replicas_the_slots_moved_keep_both_in_sync_and_two_promotions_after_the_move_lose_no_acknowledged_write()
    {
        await using var cluster = await TestCluster.StartAsync(4, o =>
        {
            o.Replicas = 2;
            o.ReplicaTimeout = Bounded.Timeout;
            o.FailoverTimeout = TimeSpan.FromMilliseconds(1500);
        }, proxied: true);
        await WaitAllInSyncAsync(cluster, "every replica to be in sync (only an in-sync replica is promoted)");
        await Bounded.UntilAsync(() => cluster.RunningNodes.Any(n => n.RaftLeader == n.NodeId), "a Raft leader");
        var leader = cluster.RunningNodes.First(n => n.RaftLeader == n.NodeId).NodeId;
        // A copied move: the target neither owns nor replicates the range, and is not the Raft leader (its freeze then
        // costs no election). With four nodes and two replicas, the fourth node of a range's three.
        var table = cluster[0].ClusterState.Slots;
        var (range, target) = table.Ranges
            .Where(r => r.Count >= 1024)
            .Select(r => (Range: r, Others: Enumerable.Range(0, 4).Select(i => (ushort)i).Where(n => n != r.NodeId && !table.AssignmentOf(r.FirstSlot).HasReplica(n) && n != leader).ToArray()))
            .Where(c => c.Others.Length > 0)
            .Select(c => (c.Range, c.Others[0]))
            .First();
        var source = range.NodeId;
        var slots = new SlotRange(range.FirstSlot, (ushort)(range.FirstSlot + 1023), source);
        var replicas = table.AssignmentOf(slots.FirstSlot).Replicas.ToArray();
        Assert.Equal(2, replicas.Length);
        await using var client = await ConnectAsync(cluster, all: true);
        var keys = KeysOf(slots, 300);
        foreach (var key in keys)
            await RetryingCalls.PutAsync(client, key, "v" + key, RetryingCalls.LeaseLapsed);

        await cluster[source].MoveSlotsAsync(slots.FirstSlot, slots.LastSlot, target).WithinAsync("the move");
        var moved = cluster[source].ClusterState.Slots.AssignmentOf(slots.FirstSlot);
        Assert.Equal(target, moved.Primary);
        Assert.True(replicas.All(moved.IsInSync), $"the handover lists both replicas in sync ({moved})");
        foreach (var key in keys)
            await RetryingCalls.PutAsync(client, key, "w" + key, RetryingCalls.LeaseLapsed); // at the new owner, streamed to both

        // The new owner goes silent: one of the two replicas is promoted.
        cluster.FreezeNode(target, true);
        var others = cluster.RunningNodes.Where(n => n.NodeId != target).ToArray();
        await Bounded.UntilAsync(() => others.All(n => n.ClusterState.Slots.OwnerOf(slots.FirstSlot) is var o && o != target && replicas.Contains(o)),
            $"a replica of the slots to be promoted (the slots: {cluster[source].ClusterState.Slots.AssignmentOf(slots.FirstSlot)})");
        var promoted = cluster[source].ClusterState.Slots.OwnerOf(slots.FirstSlot);
        await RestartFrozenAsKilledAsync(cluster, target);
        await ReadBackAsync(cluster, keys, "w", $"after node {promoted} took the slots over");

        // Once the promoted node's replicas are in sync again, it stops too: the other replica takes the slots over.
        await WaitAllInSyncAsync(cluster, "every replica to be in sync again after the promotion");
        await cluster.StopNodeAsync(promoted);
        var rest = cluster.RunningNodes.ToArray();
        await Bounded.UntilAsync(() => rest.All(n => n.ClusterState.Slots.OwnerOf(slots.FirstSlot) != promoted),
            $"another in-sync replica to take the slots over from node {promoted}");
        await cluster.WaitForLeasesAsync();
        await ReadBackAsync(cluster, keys, "w", $"after node {promoted} stopped");
    }

    private static Task WaitAllInSyncAsync(TestCluster cluster, string what) =>
        Bounded.UntilAsync(() => cluster.RunningNodes.All(n => n.ClusterState.Slots.RangeAssignments.All(a => a.InSync.Length == a.Replicas.Length)), what);

    /// <summary>Reads every key through a fresh client: each must hold <paramref name="prefix"/> and its name.</summary>
    /// <summary>Restarts a frozen node as if it had been killed: every connection reset while it stays frozen (a frozen
    /// link would hold its graceful stop), so it dies with nothing more sent; then it starts empty and the cluster settles.</summary>
    private static async Task RestartFrozenAsKilledAsync(TestCluster cluster, int node)
    {
        for (var i = 0; i < cluster.Count; i++)
            cluster.ProxyOf(i).CutAll();
        await cluster.StopNodeAsync(node);
        cluster.FreezeNode(node, false);
        await cluster.StartNodeAsync(node);
        await cluster.WaitForMeshAsync();
        await cluster.WaitForLeasesAsync();
    }

    private static async Task ReadBackAsync(TestCluster cluster, string[] keys, string prefix, string when)
    {
        await using var fresh = await ConnectAsync(cluster, all: true);
        foreach (var key in keys)
        {
            var read = await RetryingCalls.GetAsync(fresh, key, RetryingCalls.LeaseLapsed);
            Assert.True(read == prefix + key, $"{key} reads {read ?? "nothing"} {when} (the slots: {cluster.RunningNodes.First().ClusterState.Slots.AssignmentOf(KeySlot.Of(Encoding.UTF8.GetBytes(key)))})");
        }
    }

    /// <summary>Three nodes, one replica per range (a Raft group, failover after 1.5 s), every replica in sync.</summary>
    private static async Task<TestCluster> StartReplicatedAsync(long? slotMoveRate)
    {
        var cluster = await TestCluster.StartAsync(3, o =>
        {
            if (slotMoveRate is { } rate)
                o.SlotMoveRate = rate;
            o.Replicas = 1;
            o.ReplicaTimeout = Bounded.Timeout; // no replica dropped by accident on a loaded machine
            o.FailoverTimeout = TimeSpan.FromMilliseconds(1500);
        });
        await Bounded.UntilAsync(
            () => cluster.RunningNodes.All(n => n.ClusterState.Slots.RangeAssignments.All(a => a.InSync.Length == a.Replicas.Length)),
            "every replica to be in sync (only an in-sync replica is promoted)");
        Assert.Equal((ushort)0, cluster[0].ClusterState.Slots.Ranges[0].NodeId);
        return cluster;
    }

    /// <summary>The first <paramref name="count"/> keys <c>k0, k1, ...</c> whose slot is in <paramref name="range"/>.</summary>
    private static string[] KeysOf(SlotRange range, int count) =>
        Enumerable.Range(0, 1_000_000).Select(i => $"k{i}").Where(k => KeySlot.Of(Encoding.UTF8.GetBytes(k)) is var s && s >= range.FirstSlot && s <= range.LastSlot).Take(count).ToArray();

    /// <summary>What each key may hold at the end, starting from <paramref name="initial"/>: see <see cref="WriteAsync"/>.</summary>
    private static Dictionary<string, List<string>> PossibleValues(string[] keys, string initial) => keys.ToDictionary(k => k, _ => new List<string> { initial });

    /// <summary>
    /// One writer over <paramref name="keys"/> until <paramref name="stop"/>, a few hundred writes a second, keeping in
    /// <paramref name="possible"/> what a key may hold at the end: its last acknowledged value, or one written after it
    /// that failed (it may have been applied before the failure). One writer, so no locking.
    /// </summary>
    private static Task WriteAsync(DhtClient client, string[] keys, Dictionary<string, List<string>> possible, StrongBox<int> acknowledged, CancellationToken stop) =>
        Task.Run(async () =>
        {
            for (var i = 1; !stop.IsCancellationRequested; i++)
            {
                var key = keys[i % keys.Length];
                var value = $"v{i}";
                possible[key].Add(value);
                try
                {
                    await client.PutAsync(key, value);
                    possible[key].Clear();
                    possible[key].Add(value);
                    Interlocked.Increment(ref acknowledged.Value);
                }
                catch (DhtException)
                {
                    // The slots are unavailable while their owner is down, until its replica is promoted (or it comes
                    // back): the write may or may not have been applied, and is kept as possible.
                }
                await Task.Delay(5);
            }
        });

    /// <summary>Waits until the writer has <paramref name="count"/> more acknowledged writes.</summary>
    private static Task WritesGoOnAsync(StrongBox<int> acknowledged, int count, string what)
    {
        var after = Volatile.Read(ref acknowledged.Value) + count;
        return Bounded.UntilAsync(() => Volatile.Read(ref acknowledged.Value) >= after, what);
    }

    /// <summary>Reads every key through a fresh client and checks it holds one of its possible values.</summary>
    private static async Task ReadBackAsync(TestCluster cluster, string[] keys, Dictionary<string, List<string>> possible, bool leases)
    {
        await using var fresh = await ConnectAsync(cluster, all: true);
        foreach (var key in keys)
        {
            string? read = null;
            // With a Raft group a node whose serving lease lapsed on a loaded machine refuses reads until it is renewed.
            await Bounded.UntilAsync(
                async () =>
                {
                    try
                    {
                        read = await fresh.GetStringAsync(key);
                        return true;
                    }
                    catch (DhtNodeUnavailableException) when (leases)
                    {
                        return false;
                    }
                },
                $"{key} to be readable");
            Assert.True(possible[key].Contains(read!), $"{key} reads {read ?? "nothing"}, not one of {string.Join(",", possible[key])}");
        }
    }

    /// <summary>Starts moving <paramref name="range"/> from node 0 to node 2 and stops node <paramref name="stopped"/> once the target received keys; returns the move.</summary>
    private static async Task<Task<SlotMoveReport>> MoveAndStopMidwayAsync(TestCluster cluster, SlotRange range, int stopped, CancellationToken cancellationToken = default)
    {
        var move = cluster[0].MoveSlotsAsync(range.FirstSlot, range.LastSlot, 2, cancellationToken);
        await Bounded.UntilAsync(() => cluster[2].Store.Count > 0 && cluster[2].ClusterState.Slots.AssignmentOf(range.FirstSlot).IsMoving, "the target to receive keys");
        await cluster.StopNodeAsync(stopped);
        return move;
    }

    private static async Task<DhtClient> ConnectAsync(TestCluster cluster, bool all = false)
    {
        var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName };
        foreach (var node in cluster.RunningNodes)
        {
            if (all || node.NodeId == 0)
                options.Seeds.Add(cluster.EndPointOf(node.NodeId).ToString());
        }
        return await DhtClient.ConnectAsync(options);
    }
}
