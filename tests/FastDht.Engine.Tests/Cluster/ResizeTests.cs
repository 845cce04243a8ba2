using System.Collections.Concurrent;
using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Cluster;

/// <summary>A cluster grows from 3 to 5 nodes and shrinks back while clients use it (docs/elasticity.md).</summary>
public sealed class ResizeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Growing_3_to_5_and_shrinking_back_under_load_loses_no_acknowledged_write_and_never_shows_a_MultiPut_half_applied(bool consensus)
    {
        // 256 KiB/s: each step's copy takes a few tens of milliseconds, so the load meets copies and handovers.
        await using var cluster = await TestCluster.StartAsync(3, o =>
        {
            o.Consensus = consensus;
            o.SlotMoveRate = 256 * 1024;
        }, spareNodes: 2);
        await using var client = await ConnectAsync(cluster);
        for (var i = 0; i < 2000; i++)
            await client.PutAsync($"pre{i}", $"p{i}");
        // A client that keeps no slot table at all: every request goes to node 0, which forwards it to the owner.
        using var tableless = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));

        var acknowledged = new ConcurrentDictionary<string, string>();
        var halfApplied = new ConcurrentQueue<string>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            for (var i = w; !stop.IsCancellationRequested; i += 3)
            {
                try
                {
                    await client.PutAsync($"w{i}", $"v{i}");
                    acknowledged[$"w{i}"] = $"v{i}";
                    if (i % 3 == 0)
                    {
                        var g = Encoding.UTF8.GetBytes($"g{i}");
                        await client.MultiPutAsync(
                        [
                            new(Encoding.UTF8.GetBytes("group-a"), g),
                            new(Encoding.UTF8.GetBytes("group-b"), g),
                            new(Encoding.UTF8.GetBytes("group-c"), g),
                            new(Encoding.UTF8.GetBytes("group-d"), g),
                        ]);
                    }
                }
                catch (DhtException e)
                {
                    failures.Enqueue($"write {i}: {e.Message}");
                }
            }
        })).ToArray();
        var reader = Task.Run(async () =>
        {
            ReadOnlyMemory<byte>[] group = [Encoding.UTF8.GetBytes("group-a"), Encoding.UTF8.GetBytes("group-b"), Encoding.UTF8.GetBytes("group-c"), Encoding.UTF8.GetBytes("group-d")];
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var values = await client.MultiGetAsync(group);
                    if (values[0] is not null && !values.All(v => v is not null && v.AsSpan().SequenceEqual(values[0])))
                        halfApplied.Enqueue(string.Join(",", values.Select(v => v is null ? "-" : Encoding.UTF8.GetString(v))));
                }
                catch (DhtException e)
                {
                    failures.Enqueue($"multiget: {e.Message}");
                }
            }
        });
        var tablelessAcknowledged = new ConcurrentDictionary<string, string>();
        var tablelessLoad = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = Encoding.UTF8.GetBytes($"t{i % 500}");
                var put = await tableless.PutAsync(key, Encoding.UTF8.GetBytes($"x{i}"));
                if (put.Status == StatusCode.Ok)
                    tablelessAcknowledged[$"t{i % 500}"] = $"x{i}";
                else
                    failures.Enqueue($"tableless put t{i % 500}: {put.Status} {put.ErrorMessage}");
                var get = await tableless.GetAsync(Encoding.UTF8.GetBytes($"pre{i % 2000}"));
                if (get.Status != StatusCode.Ok || Encoding.UTF8.GetString(get.Value) != $"p{i % 2000}")
                    failures.Enqueue($"tableless get pre{i % 2000}: {get.Status} {get.ErrorMessage}");
            }
        });
        await Bounded.UntilAsync(() => acknowledged.Count >= 100, "the load to start");

        // Grow: two nodes join (one after the other), then the slots spread over five.
        for (var n = 3; n <= 4; n++)
        {
            await cluster.StartNodeAsync(n);
            var count = n + 1;
            await Bounded.UntilAsync(() => cluster.RunningNodes.All(x => x.ClusterState.Members.Count == count && x.IsMeshComplete), $"node {n} to join");
        }
        await RunAsync(cluster, SlotPlans.Rebalance(cluster[0].ClusterState.Slots.Ranges, [0, 1, 2, 3, 4]));
        var grown = acknowledged.Count;
        await Bounded.UntilAsync(() => acknowledged.Count >= grown + 100, "the load to go on on five nodes");

        // Shrink: the slots of nodes 3 and 4 go back, then both leave.
        await RunAsync(cluster, SlotPlans.Rebalance(cluster[0].ClusterState.Slots.Ranges, [0, 1, 2]));
        await client.RemoveNodeAsync(0, 3, forget: false).AsTask().WithinAsync("node 3 to leave");
        await client.RemoveNodeAsync(0, 4, forget: false).AsTask().WithinAsync("node 4 to leave");
        await Bounded.UntilAsync(() => Enumerable.Range(0, 3).All(n => cluster[n].ClusterState.Members.Count == 3), "nodes 3 and 4 to be gone everywhere");
        var shrunk = acknowledged.Count;
        await Bounded.UntilAsync(() => acknowledged.Count >= shrunk + 100, "the load to go on on three nodes");
        stop.Cancel();
        await Task.WhenAll([.. writers, reader, tablelessLoad]).WithinAsync("the load to stop");
        await cluster.StopNodeAsync(3);
        await cluster.StopNodeAsync(4);

        Assert.Empty(failures);
        Assert.Empty(halfApplied);
        await using var fresh = await ConnectAsync(cluster);
        foreach (var (key, value) in acknowledged)
            Assert.Equal(value, await fresh.GetStringAsync(key));
        foreach (var (key, value) in tablelessAcknowledged)
            Assert.Equal(value, await fresh.GetStringAsync(key));
        for (var i = 0; i < 2000; i++)
            Assert.Equal($"p{i}", await fresh.GetStringAsync($"pre{i}"));
    }

    private static async Task RunAsync(TestCluster cluster, IReadOnlyList<SlotMovePlan> plan)
    {
        Assert.NotEmpty(plan);
        foreach (var step in plan)
            await cluster[step.From].MoveSlotsAsync(step.FirstSlot, step.LastSlot, step.To).WithinAsync($"{step}");
    }

    private static async Task<DhtClient> ConnectAsync(TestCluster cluster)
    {
        var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName };
        options.Seeds.Add(cluster.EndPointOf(0).ToString());
        return await DhtClient.ConnectAsync(options);
    }
}
