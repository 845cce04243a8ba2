using System.Collections.Concurrent;
using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Cluster;

/// <summary>A node dies in the middle of a slot move (docs/elasticity.md, "What a slot move promises").</summary>
public sealed class MoveFailureTests
{
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
            await client.PutAsync(key, "v0");

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
        var move = cluster[0].MoveSlotsAsync(range.FirstSlot, range.LastSlot, 2);
        await Bounded.UntilAsync(() => cluster[2].Store.Count > 0 && cluster[2].ClusterState.Slots.AssignmentOf(range.FirstSlot).IsMoving, "the target to receive keys");
        await cluster.StopNodeAsync(2);

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
            Assert.Equal(acknowledged.TryGetValue(key, out var value) ? value : "v0", await fresh.GetStringAsync(key));
    }

    private static async Task<DhtClient> ConnectAsync(TestCluster cluster)
    {
        var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName };
        options.Seeds.Add(cluster.EndPointOf(0).ToString());
        return await DhtClient.ConnectAsync(options);
    }
}
