using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>MSET, MSETNX and MGET over keys on different nodes: atomic through the transaction layer.</summary>
public sealed class RespMultiKeyTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Mset_mget_and_msetnx_span_every_node()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "mk");
        var b = RespCluster.KeyOwnedBy(Cluster, 1, "mk");
        var d = RespCluster.KeyOwnedBy(Cluster, 2, "mk");
        Assert.Equal("+OK\r\n", await c.CallAsync("MSET", a, "1", b, "2", d, "3", a, "4"));
        Assert.Equal("*4\r\n$1\r\n4\r\n$1\r\n2\r\n$1\r\n3\r\n$-1\r\n", await c.CallAsync("MGET", a, b, d, "mk:absent"));
        Assert.Equal(":0\r\n", await c.CallAsync("MSETNX", "mk:fresh", "x", b, "y"));
        Assert.Equal("$-1\r\n", await c.CallAsync("GET", "mk:fresh")); // nothing of a refused MSETNX is written
        Assert.Equal("$1\r\n2\r\n", await c.CallAsync("GET", b));
        var e = RespCluster.KeyOwnedBy(Cluster, 0, "mk2");
        var f = RespCluster.KeyOwnedBy(Cluster, 2, "mk2");
        Assert.Equal(":1\r\n", await c.CallAsync("MSETNX", e, "5", f, "6"));
        Assert.Equal("*2\r\n$1\r\n5\r\n$1\r\n6\r\n", await c.CallAsync("MGET", e, f));
    }

    [Fact]
    public async Task Concurrent_msetnx_on_overlapping_keys_is_all_or_nothing()
    {
        // Writers i and i+1 share a key; keys alternate between nodes, so every MSETNX spans two owners.
        const int writers = 6;
        var keys = new string[writers + 1];
        for (var i = 0; i <= writers; i++)
            keys[i] = RespCluster.KeyOwnedBy(Cluster, i % 3, $"race{i}");
        var clients = new RespTestClient[writers];
        for (var i = 0; i < writers; i++)
            clients[i] = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, i % 3));
        try
        {
            var replies = await Task.WhenAll(Enumerable.Range(0, writers).Select(i =>
                clients[i].CallAsync("MSETNX", keys[i], $"w{i}", keys[i + 1], $"w{i}"))).WithinAsync("the concurrent MSETNX");
            var winners = new List<int>();
            for (var i = 0; i < writers; i++)
            {
                Assert.True(replies[i] is ":1\r\n" or ":0\r\n", replies[i]);
                if (replies[i] == ":1\r\n")
                    winners.Add(i);
            }
            Assert.NotEmpty(winners);
            // Every winner owns both of its keys; no key holds the value of a writer that was refused.
            foreach (var w in winners)
            {
                Assert.Equal($"$2\r\nw{w}\r\n", await clients[0].CallAsync("GET", keys[w]));
                Assert.Equal($"$2\r\nw{w}\r\n", await clients[0].CallAsync("GET", keys[w + 1]));
            }
            for (var k = 0; k <= writers; k++)
            {
                var value = await clients[0].CallAsync("GET", keys[k]);
                if (value != "$-1\r\n")
                    Assert.Contains(winners, w => value == $"$2\r\nw{w}\r\n");
            }
        }
        finally
        {
            foreach (var c in clients)
                await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task Mget_never_sees_part_of_an_mset()
    {
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "torn");
        var b = RespCluster.KeyOwnedBy(Cluster, 2, "torn");
        await using var writer = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        await using var reader = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        Assert.Equal("+OK\r\n", await writer.CallAsync("MSET", a, "0", b, "0"));
        var writes = Task.Run(async () =>
        {
            for (var i = 1; i <= 100; i++)
                Assert.Equal("+OK\r\n", await writer.CallAsync("MSET", a, $"{i}", b, $"{i}"));
        });
        for (var n = 0; n < 100 && !writes.IsCompleted; n++)
        {
            var reply = await reader.CallAsync("MGET", a, b);
            var lines = reply.Split("\r\n");
            Assert.Equal(lines[2], lines[4]); // both values from the same MSET
        }
        await writes.WithinAsync("the writer");
    }
}
