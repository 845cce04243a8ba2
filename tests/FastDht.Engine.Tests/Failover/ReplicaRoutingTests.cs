using System.Text;
using FastDht.Engine.Node;
using FastDht.Engine.Resp.Internal;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;
using StackExchange.Redis;

namespace FastDht.Engine.Tests.Failover;

/// <summary>
/// What cluster-aware RESP clients see with <c>--replicas 1</c>: every range's replica in CLUSTER SLOTS, SHARDS and
/// NODES, MOVED to the new primary after a failover, the returned old primary listed as a replica (redis-cli --cluster
/// check, StackExchange.Redis), and READONLY reads served by an in-sync replica.
/// </summary>
public sealed class ReplicaRoutingTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static Task<TestCluster> StartAsync() =>
        RespCluster.StartAsync(3, o =>
        {
            o.Replicas = 1;
            o.ReplicaTimeout = Bounded.Timeout;
            o.FailoverTimeout = TimeSpan.FromMilliseconds(1500);
        });

    private static Task AllInSyncAsync(TestCluster cluster) =>
        Bounded.UntilAsync(
            () => cluster.RunningNodes.All(n => n.ClusterState.Slots.RangeAssignments.All(a => a.InSync.Length == a.Replicas.Length)),
            "every replica to be in sync in the Raft-decided state");

    private static string Id(int node) => RespClusterReplies.RedisNodeId((ushort)node);

    private static string SlotsNode(TestCluster cluster, int node) =>
        $"*3\r\n$9\r\n127.0.0.1\r\n:{RespCluster.RespOf(cluster, node).Port}\r\n$40\r\n{Id(node)}\r\n";

    private static string Moved(TestCluster cluster, string key, int node) =>
        $"-MOVED {KeySlot.Of(B(key))} 127.0.0.1:{RespCluster.RespOf(cluster, node).Port}\r\n";

    private static int Count(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
            n++;
        return n;
    }

    [Fact]
    public async Task Cluster_replies_list_every_replica_and_READONLY_reads_are_served_by_an_in_sync_replica()
    {
        await using var cluster = await StartAsync();
        await AllInSyncAsync(cluster);
        await using var client = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 2));

        // SLOTS: each range, its master, then its replica (default placement: node i's range is copied by node i+1).
        var slots = await client.CallAsync("CLUSTER", "SLOTS");
        foreach (var range in cluster[2].ClusterState.Slots.Ranges)
        {
            var replica = (range.NodeId + 1) % 3;
            Assert.Contains($"*4\r\n:{range.FirstSlot}\r\n:{range.LastSlot}\r\n{SlotsNode(cluster, range.NodeId)}{SlotsNode(cluster, replica)}", slots);
        }
        // SHARDS: three shards, each with its master and its replica.
        var shards = await client.CallAsync("CLUSTER", "SHARDS");
        Assert.Equal(3, Count(shards, "$6\r\nmaster\r\n"));
        Assert.Equal(3, Count(shards, "$7\r\nreplica\r\n"));
        // NODES: every node is the primary of a range (and a replica of another), which Redis's model shows as master.
        var nodes = await client.CallAsync("CLUSTER", "NODES");
        Assert.Equal(3, Count(nodes, "master -"));
        Assert.DoesNotContain("slave", nodes);

        // Node 2 copies node 1's range. Having read the layout, this connection is told MOVED, not forwarded.
        var key = RespCluster.KeyOwnedBy(cluster, 1, "ro");
        await using (var primary = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1)))
            Assert.Equal("+OK\r\n", await primary.CallAsync("SET", key, "copied"));
        Assert.Equal(Moved(cluster, key, 1), await client.CallAsync("GET", key));

        // READONLY: reads of the copied range are served here; writes still go to the primary.
        Assert.Equal("+OK\r\n", await client.CallAsync("READONLY"));
        Assert.Equal("$6\r\ncopied\r\n", await client.CallAsync("GET", key));
        Assert.Equal(":1\r\n", await client.CallAsync("EXISTS", key));
        Assert.Equal(Moved(cluster, key, 1), await client.CallAsync("SET", key, "no"));
        // A range node 2 does not copy (node 0's is copied by node 1) is still moved to its primary.
        var other = RespCluster.KeyOwnedBy(cluster, 0, "ro");
        Assert.Equal(Moved(cluster, other, 0), await client.CallAsync("GET", other));
        Assert.Equal("+OK\r\n", await client.CallAsync("READWRITE"));
        Assert.Equal(Moved(cluster, key, 1), await client.CallAsync("GET", key));

        // A connection that never read the layout is forwarded as before.
        await using var plain = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 2));
        Assert.Equal("$6\r\ncopied\r\n", await plain.CallAsync("GET", key));
    }

    [Fact]
    public async Task After_a_failover_cluster_clients_are_moved_to_the_new_primary_and_the_old_one_returns_as_a_replica()
    {
        await using var cluster = await StartAsync();
        await AllInSyncAsync(cluster);
        var key = RespCluster.KeyOwnedBy(cluster, 1, "fo");
        var resp0 = RespCluster.RespOf(cluster, 0);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { resp0.Address.ToString(), resp0.Port } },
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
            AbortOnConnectFail = true,
            AllowAdmin = true, // CLUSTER NODES
        }).WithinAsync("StackExchange.Redis to connect");
        var db = redis.GetDatabase();
        await SetWaitingOutLeaseAsync(db, key, "before");

        await cluster.StopNodeAsync(1);
        await Bounded.UntilAsync(
            () => cluster[0].ClusterState.OwnerOf(B(key)) == 2 && cluster[2].ClusterState.OwnerOf(B(key)) == 2,
            "node 2 to be promoted for node 1's range");
        await cluster.WaitForLeasesAsync();

        // A cluster-aware connection to a survivor is moved to the new primary.
        await using (var aware = await RespTestClient.ConnectAsync(resp0))
        {
            await aware.CallAsync("CLUSTER", "SLOTS");
            Assert.Equal(Moved(cluster, key, 2), await aware.CallAsync("GET", key));
        }

        // StackExchange.Redis follows (its connection to node 1 failed; it reloads the layout) and reads and writes there.
        await Bounded.UntilAsync(async () =>
        {
            try
            {
                return (string?)await db.StringGetAsync(key) == "before";
            }
            catch (RedisException)
            {
                return false;
            }
        }, "StackExchange.Redis to read node 1's key at the new primary");
        await SetWaitingOutLeaseAsync(db, key, "after");
        Assert.True(cluster[2].Store.TryGet(B(key), out _), "the write went to the new primary");

        // The old primary returns as a replica of what it served; once it is in sync the layout shows it as one.
        await cluster.StartNodeAsync(1);
        await cluster.WaitForLeasesAsync();
        await AllInSyncAsync(cluster);
        await Bounded.UntilAsync(() => cluster[0].Context.GetListenerAddress(1, FastDht.Engine.Plugins.ProtocolNames.Resp) is not null, "node 0 to learn node 1's new RESP address");
        await using (var aware = await RespTestClient.ConnectAsync(resp0))
        {
            var nodes = await aware.CallAsync("CLUSTER", "NODES");
            var line = nodes.Split('\n').Single(l => l.Contains(Id(1), StringComparison.Ordinal) && !l.StartsWith('$'));
            Assert.Contains($" slave {Id(0)} ", line); // node 1 copies node 0's range first in slot order
            Assert.EndsWith("connected", line.TrimEnd('\r'));
        }
        var layout = await redis.GetServer(resp0).ClusterNodesAsync();
        Assert.NotNull(layout);
        var replica = layout!.Nodes.Single(n => n.NodeId == Id(1));
        Assert.True(replica.IsReplica);
        Assert.Equal(Id(0), replica.ParentNodeId);
        Assert.Equal(2, layout.Nodes.Count(n => !n.IsReplica));

        if (RedisCliTests.RedisCli is not null)
        {
            var check = await RedisCliTests.RunAsync("--cluster", "check", $"127.0.0.1:{resp0.Port}");
            Assert.Contains($"S: {Id(1)} 127.0.0.1:{RespCluster.RespOf(cluster, 1).Port}", check);
            Assert.Contains($"replicates {Id(0)}", check);
            Assert.Equal(2, Count(check, "M: "));
            Assert.Contains("[OK] All nodes agree about slots configuration.", check);
            Assert.Contains("[OK] All 16384 slots covered.", check);
        }
    }

    /// <summary>
    /// A SET that waits out a serving lease lapsed on a loaded machine (the primary answers CLUSTERDOWN with the lease
    /// message until its next renewal, nothing applied): the event to wait for, not an error of the routing under test.
    /// </summary>
    private static Task SetWaitingOutLeaseAsync(IDatabase db, string key, string value) =>
        Bounded.UntilAsync(async () =>
        {
            try
            {
                return await db.StringSetAsync(key, value);
            }
            catch (RedisServerException e) when (e.Message.Contains("serving lease", StringComparison.Ordinal))
            {
                return false;
            }
        }, $"SET {key} {value} to be acknowledged");
}
