using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// SADD of a few members, SISMEMBER/SMISMEMBER and HGET/HEXISTS walk the stored bytes instead of decoding: members of
/// one- and multi-byte lengths, at the start, middle and end, repeated arguments, and what SMEMBERS shows after.
/// </summary>
public sealed class RespSetHashWalkTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private static readonly string Long = new('m', 200);

    [Fact]
    public async Task Sadd_of_a_few_members_adds_each_new_one_once_in_order()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        var key = RespCluster.KeyOwnedBy(Cluster, 2, "walkset");
        await c.CallAsync("DEL", key);
        Assert.Equal(":3\r\n", await c.CallAsync("SADD", key, "a", Long, "a", "", "a"));
        Assert.Equal(":0\r\n", await c.CallAsync("SADD", key, Long, "", "a"));
        Assert.Equal(":2\r\n", await c.CallAsync("SADD", key, "z", "a", "z", "y"));
        Assert.Equal(":5\r\n", await c.CallAsync("SCARD", key));
        Assert.Equal(":1\r\n", await c.CallAsync("SISMEMBER", key, Long));
        Assert.Equal(":1\r\n", await c.CallAsync("SISMEMBER", key, ""));
        Assert.Equal(":0\r\n", await c.CallAsync("SISMEMBER", key, "m"));
        Assert.Equal("*4\r\n:1\r\n:0\r\n:1\r\n:1\r\n", await c.CallAsync("SMISMEMBER", key, "y", "b", "z", "a"));
        Assert.Equal(":0\r\n", await c.CallAsync("SISMEMBER", key + "-absent", "a"));
        // The stored order is the order of first addition, as the indexed path stores it.
        Assert.Equal("*5\r\n$1\r\na\r\n$200\r\n" + Long + "\r\n$0\r\n\r\n$1\r\nz\r\n$1\r\ny\r\n", await c.CallAsync("SMEMBERS", key));
    }

    [Fact]
    public async Task Hget_finds_fields_and_never_a_value_that_looks_like_one()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        var key = RespCluster.KeyOwnedBy(Cluster, 1, "walkhash");
        await c.CallAsync("DEL", key);
        Assert.Equal(":3\r\n", await c.CallAsync("HSET", key, "f1", "f2", Long, "v", "f3", Long));
        Assert.Equal("$2\r\nf2\r\n", await c.CallAsync("HGET", key, "f1"));
        Assert.Equal("$1\r\nv\r\n", await c.CallAsync("HGET", key, Long));
        Assert.Equal("$200\r\n" + Long + "\r\n", await c.CallAsync("HGET", key, "f3"));
        // "f2" is a value, not a field.
        Assert.Equal("$-1\r\n", await c.CallAsync("HGET", key, "f2"));
        Assert.Equal(":0\r\n", await c.CallAsync("HEXISTS", key, "f2"));
        Assert.Equal(":1\r\n", await c.CallAsync("HEXISTS", key, "f3"));
        Assert.Equal("$-1\r\n", await c.CallAsync("HGET", key + "-absent", "f1"));
        Assert.StartsWith("-WRONGTYPE", await c.CallAsync("SISMEMBER", key, "f1"));
    }

    [Fact]
    public async Task Hset_of_one_field_replaces_its_value_in_place_or_appends_the_pair()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        var key = RespCluster.KeyOwnedBy(Cluster, 0, "walkhset");
        await c.CallAsync("DEL", key);
        Assert.Equal(":1\r\n", await c.CallAsync("HSET", key, "a", "1"));
        Assert.Equal(":1\r\n", await c.CallAsync("HSET", key, "b", "2"));
        Assert.Equal(":1\r\n", await c.CallAsync("HSETNX", key, "c", "3"));
        // Replaced values grow past a one-byte length and shrink back; the order of the fields stays.
        Assert.Equal(":0\r\n", await c.CallAsync("HSET", key, "b", Long));
        Assert.Equal("+OK\r\n", await c.CallAsync("HMSET", key, "a", "x"));
        Assert.Equal(":0\r\n", await c.CallAsync("HSETNX", key, "b", "no"));
        Assert.Equal("*6\r\n$1\r\na\r\n$1\r\nx\r\n$1\r\nb\r\n$200\r\n" + Long + "\r\n$1\r\nc\r\n$1\r\n3\r\n", await c.CallAsync("HGETALL", key));
        Assert.Equal(":0\r\n", await c.CallAsync("HSET", key, "b", ""));
        Assert.Equal("*6\r\n$1\r\na\r\n$1\r\nx\r\n$1\r\nb\r\n$0\r\n\r\n$1\r\nc\r\n$1\r\n3\r\n", await c.CallAsync("HGETALL", key));
        Assert.Equal(":3\r\n", await c.CallAsync("HLEN", key));
        var text = RespCluster.KeyOwnedBy(Cluster, 0, "walkhset-str");
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", text, "v"));
        Assert.StartsWith("-WRONGTYPE", await c.CallAsync("HSET", text, "f", "v"));
    }
}
