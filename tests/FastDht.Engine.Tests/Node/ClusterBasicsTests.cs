using System.Text;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

public sealed class ClusterBasicsTests
{
    private static byte[] Key(int i) => Encoding.UTF8.GetBytes($"key:{i:D6}");

    [Fact]
    public async Task A_key_put_through_any_node_is_read_through_every_node()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var clients = new NativeTestClient[3];
        for (var i = 0; i < 3; i++)
            clients[i] = await NativeTestClient.ConnectAsync(cluster.EndPointOf(i));
        try
        {
            var owners = new HashSet<ushort>();
            for (var k = 0; k < 60; k++)
            {
                var key = Key(k);
                owners.Add(cluster.OwnerOf(key));
                var value = Encoding.UTF8.GetBytes($"value {k}");
                var put = await clients[k % 3].PutAsync(key, value);
                Assert.Equal(StatusCode.Ok, put.Status);
                foreach (var c in clients)
                {
                    var got = await c.GetAsync(key);
                    Assert.Equal(StatusCode.Ok, got.Status);
                    Assert.Equal(value, got.Value);
                }
            }
            Assert.Equal(3, owners.Count); // the keys really were spread over every node

            var missing = await clients[1].GetAsync(Key(999_999));
            Assert.Equal(StatusCode.NotFound, missing.Status);

            var deleted = await clients[2].DeleteAsync(Key(5));
            Assert.Equal(StatusCode.Ok, deleted.Status);
            foreach (var c in clients)
                Assert.Equal(StatusCode.NotFound, (await c.GetAsync(Key(5))).Status);
            Assert.Equal(StatusCode.NotFound, (await clients[0].DeleteAsync(Key(5))).Status);

            // Each key is stored on its owner only.
            var total = cluster.RunningNodes.Sum(n => n.Store.Count);
            Assert.Equal(59, total);
        }
        finally
        {
            foreach (var c in clients)
                c.Dispose();
        }
    }

    [Fact]
    public async Task PutIfAbsent_raced_through_different_nodes_stores_each_key_once()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        const int keys = 200;
        const int racers = 6;
        var wins = new int[keys];
        var tasks = Enumerable.Range(0, racers).Select(r => Task.Run(async () =>
        {
            using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(r % 3));
            for (var k = 0; k < keys; k++)
            {
                var key = Key((k * 7 + r) % keys); // each racer walks the keys in its own order
                var response = await client.PutIfAbsentAsync(key, Encoding.UTF8.GetBytes($"racer {r}"));
                if (response.Status == StatusCode.Ok)
                    Interlocked.Increment(ref wins[(k * 7 + r) % keys]);
                else
                    Assert.Equal(StatusCode.Exists, response.Status);
            }
        })).ToArray();
        await Task.WhenAll(tasks).WithinAsync("the racers");

        Assert.All(wins, w => Assert.Equal(1, w));
        Assert.Equal(keys, wins.Sum());
        Assert.Equal(keys, cluster.RunningNodes.Sum(n => n.Store.Count));
    }

    [Fact]
    public async Task Ping_and_cluster_info_describe_the_cluster()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        var pong = await client.RequestAsync((w, id) => FrameWriter.WritePing(w, id, "hi"u8));
        Assert.Equal(StatusCode.Ok, pong.Status);
        Assert.Equal("hi"u8.ToArray(), pong.Body);

        var info = await client.RequestAsync((w, id) => FrameWriter.WriteClusterInfo(w, id));
        Assert.Equal(StatusCode.Ok, info.Status);
        Assert.True(ResponseDecoder.TryReadClusterInfo(info.Body, out var version, out var members, out var ranges, out _));
        Assert.Equal(1UL, version);
        var seen = new List<(ushort, string, MemberState)>();
        foreach (var m in members)
            seen.Add((m.NodeId, m.GetAddress(), m.State));
        Assert.Equal(3, seen.Count);
        Assert.All(seen, m => Assert.Equal(MemberState.Up, m.Item3));
        Assert.Equal(cluster.Members.Get(2).Address, seen[2].Item2);
        Assert.Equal(3, ranges.Count);
        for (var i = 0; i < ranges.Count; i++)
            Assert.Equal((ushort)i, ranges[i].NodeId);
    }
}
