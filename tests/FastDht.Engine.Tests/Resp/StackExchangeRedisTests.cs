using FastDht.TestUtilities;
using StackExchange.Redis;

namespace FastDht.Engine.Tests.Resp;

/// <summary>StackExchange.Redis, a real cluster-aware client, against a 3-node FastDht cluster through any node.</summary>
public sealed class StackExchangeRedisTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private async Task<ConnectionMultiplexer> ConnectAsync(int node = 0)
    {
        var ep = RespCluster.RespOf(fixture.Cluster, node);
        var options = new ConfigurationOptions
        {
            EndPoints = { { ep.Address.ToString(), ep.Port } },
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
            AbortOnConnectFail = true,
        };
        return await ConnectionMultiplexer.ConnectAsync(options).WithinAsync("StackExchange.Redis to connect");
    }

    [Fact]
    public async Task It_discovers_the_cluster_and_reads_and_writes_keys_on_every_node()
    {
        await using var redis = await ConnectAsync(1);
        var endpoints = redis.GetEndPoints();
        Assert.Equal(3, endpoints.Length);
        var db = redis.GetDatabase();
        var owners = new HashSet<ushort>();
        for (var i = 0; i < 60; i++)
        {
            var key = $"se:{i}";
            owners.Add(fixture.Cluster.OwnerOf(System.Text.Encoding.UTF8.GetBytes(key)));
            Assert.True(await db.StringSetAsync(key, $"value {i}"));
            Assert.Equal($"value {i}", (string?)await db.StringGetAsync(key));
        }
        Assert.Equal(3, owners.Count);
        Assert.False((await db.StringGetAsync("se:missing")).HasValue);
        Assert.Equal(5, await db.StringIncrementAsync("se:counter", 5));
        Assert.Equal(4, await db.StringDecrementAsync("se:counter"));
        Assert.Equal(6, await db.StringAppendAsync("se:append", "abcdef"));
        Assert.Equal(6, await db.StringLengthAsync("se:append"));
        Assert.Equal("abcdef", (string?)await db.StringGetSetAsync("se:append", "x"));
        Assert.False(await db.StringSetAsync("se:append", "y", when: When.NotExists));
        Assert.True(await db.StringSetAsync("se:append", "z", when: When.Exists));
        Assert.True(await db.KeyExistsAsync("se:append"));
        Assert.True(await db.KeyDeleteAsync("se:append"));
        Assert.False(await db.KeyExistsAsync("se:append"));
        await db.PingAsync(); // throws on an error reply

        // Multi-key commands: StackExchange.Redis itself insists on one slot in cluster mode, hence the hash tag.
        Assert.True(await db.StringSetAsync([new("{se}a", "1"), new("{se}b", "2")]));
        var got = await db.StringGetAsync(["{se}a", "{se}b", "{se}c"]);
        Assert.Equal("1", (string?)got[0]);
        Assert.Equal("2", (string?)got[1]);
        Assert.False(got[2].HasValue);
        Assert.False(await db.StringSetAsync([new("{se}a", "x"), new("{se}c", "3")], When.NotExists));
        Assert.True(await db.StringSetAsync([new("{se}c", "3"), new("{se}d", "4")], When.NotExists));
    }

    [Fact]
    public async Task A_pipelined_batch_completes_with_every_reply_matched_to_its_command()
    {
        await using var redis = await ConnectAsync();
        var db = redis.GetDatabase();
        var batch = db.CreateBatch();
        var sets = new List<Task<bool>>();
        var gets = new List<Task<RedisValue>>();
        for (var i = 0; i < 500; i++)
            sets.Add(batch.StringSetAsync($"batch:{i}", i));
        for (var i = 0; i < 500; i++)
            gets.Add(batch.StringGetAsync($"batch:{i}"));
        batch.Execute();
        await Task.WhenAll(sets).WithinAsync("the batch's sets");
        var values = await Task.WhenAll(gets).WithinAsync("the batch's gets");
        for (var i = 0; i < values.Length; i++)
            Assert.Equal(i, (int)values[i]);
    }

    [Fact]
    public async Task Concurrent_clients_incrementing_one_key_lose_no_update()
    {
        var counterKey = RespCluster.KeyOwnedBy(fixture.Cluster, 2, "incr");
        const int clients = 4, perClient = 250;
        var muxers = new ConnectionMultiplexer[clients];
        for (var i = 0; i < clients; i++)
            muxers[i] = await ConnectAsync(i % 3);
        try
        {
            var work = new Task[clients];
            for (var i = 0; i < clients; i++)
            {
                var db = muxers[i].GetDatabase();
                work[i] = Task.Run(async () =>
                {
                    var pending = new Task<long>[perClient];
                    for (var n = 0; n < perClient; n++)
                        pending[n] = db.StringIncrementAsync(counterKey);
                    await Task.WhenAll(pending);
                });
            }
            await Task.WhenAll(work).WithinAsync("the concurrent increments");
            Assert.Equal(clients * perClient, (long)await muxers[0].GetDatabase().StringGetAsync(counterKey));
        }
        finally
        {
            foreach (var m in muxers)
                await m.DisposeAsync();
        }
    }
}
