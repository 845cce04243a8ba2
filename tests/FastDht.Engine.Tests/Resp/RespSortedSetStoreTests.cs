using System.Text;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and ZRANGESTORE through a 3-node cluster, sources and destination on different nodes; the set-algebra key-count and LIMIT errors.</summary>
public sealed class RespSortedSetStoreTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private static string Array(params string[] items)
    {
        var text = new StringBuilder().Append('*').Append(items.Length).Append("\r\n");
        foreach (var item in items)
            text.Append($"${Encoding.Latin1.GetByteCount(item)}\r\n{item}\r\n");
        return text.ToString();
    }

    [Fact]
    public async Task Union_inter_and_diff_store_across_nodes_replace_the_destination()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "zs-a");
        var b = RespCluster.KeyOwnedBy(Cluster, 1, "zs-b");
        var dest = RespCluster.KeyOwnedBy(Cluster, 2, "zs-dest");
        Assert.Equal(":3\r\n", await c.CallAsync("ZADD", a, "1", "x", "2", "y", "3", "z"));
        Assert.Equal(":2\r\n", await c.CallAsync("SADD", b, "y", "w")); // a plain set: every member scores 1
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", dest, "old", "EX", "100"));

        Assert.Equal(":4\r\n", await c.CallAsync("ZUNIONSTORE", dest, "2", a, b, "WEIGHTS", "10", "1"));
        Assert.Equal("+zset\r\n", await c.CallAsync("TYPE", dest));
        Assert.Equal(":-1\r\n", await c.CallAsync("TTL", dest));
        Assert.Equal(Array("w", "1", "x", "10", "y", "21", "z", "30"), await c.CallAsync("ZRANGE", dest, "0", "-1", "WITHSCORES"));
        Assert.Equal(":1\r\n", await c.CallAsync("ZINTERSTORE", dest, "2", a, b, "AGGREGATE", "MAX"));
        Assert.Equal(Array("y", "2"), await c.CallAsync("ZRANGE", dest, "0", "-1", "WITHSCORES"));
        Assert.Equal(":2\r\n", await c.CallAsync("ZDIFFSTORE", dest, "2", a, b));
        Assert.Equal(Array("x", "z"), await c.CallAsync("ZRANGE", dest, "0", "-1"));
        // The destination may be a source; an empty result deletes the destination.
        Assert.Equal(":3\r\n", await c.CallAsync("ZUNIONSTORE", a, "1", a, "WEIGHTS", "2"));
        Assert.Equal(Array("x", "2", "y", "4", "z", "6"), await c.CallAsync("ZRANGE", a, "0", "-1", "WITHSCORES"));
        Assert.Equal(":0\r\n", await c.CallAsync("ZINTERSTORE", dest, "2", a, "zs-absent"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", dest));
        Assert.Equal(Array(dest, a, b), await c.CallAsync("COMMAND", "GETKEYS", "ZUNIONSTORE", dest, "2", a, b, "WEIGHTS", "1", "2"));
    }

    [Fact]
    public async Task Store_forms_answer_Redis_errors_and_change_nothing()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        var a = RespCluster.KeyOwnedBy(Cluster, 1, "zse-a");
        var dest = RespCluster.KeyOwnedBy(Cluster, 2, "zse-dest");
        var text = RespCluster.KeyOwnedBy(Cluster, 0, "zse-text");
        Assert.Equal(":1\r\n", await c.CallAsync("ZADD", a, "1", "x"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", dest, "kept"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", text, "t"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("ZUNIONSTORE", dest, "1", a, "WITHSCORES"));
        Assert.Equal("-ERR at least 1 input key is needed for 'zinterstore' command\r\n", await c.CallAsync("ZINTERSTORE", dest, "0", a));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("ZDIFFSTORE", dest, "x", a));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("ZUNIONSTORE", dest, "3", a));
        Assert.Equal("-ERR weight value is not a float\r\n", await c.CallAsync("ZUNIONSTORE", dest, "1", a, "WEIGHTS", "nope"));
        Assert.StartsWith("-WRONGTYPE", await c.CallAsync("ZUNIONSTORE", dest, "2", a, text));
        Assert.StartsWith("-WRONGTYPE", await c.CallAsync("ZRANGESTORE", dest, text, "0", "-1"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("ZRANGESTORE", dest, a, "0", "-1", "WITHSCORES"));
        Assert.Equal("-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n",
            await c.CallAsync("ZRANGESTORE", dest, a, "0", "-1", "LIMIT", "0", "1"));
        Assert.Equal("$4\r\nkept\r\n", await c.CallAsync("GET", dest));
    }

    [Fact]
    public async Task Intercard_limit_errors_are_Redis_words()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        foreach (var command in new[] { "SINTERCARD", "ZINTERCARD" })
        {
            Assert.Equal("-ERR LIMIT can't be negative\r\n", await c.CallAsync(command, "1", "ic-absent", "LIMIT", "a"));
            Assert.Equal("-ERR LIMIT can't be negative\r\n", await c.CallAsync(command, "1", "ic-absent", "LIMIT", "-1"));
            Assert.Equal("-ERR syntax error\r\n", await c.CallAsync(command, "1", "ic-absent", "ic-other"));
        }
        Assert.Equal("-ERR at least 1 input key is needed for 'zintercard' command\r\n", await c.CallAsync("ZINTERCARD", "0", "ic-absent"));
    }

    [Fact]
    public async Task Scores_print_as_redis_7_0_prints_them()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        var key = RespCluster.KeyOwnedBy(Cluster, 2, "zscore-format");
        Assert.Equal(":4\r\n", await c.CallAsync("ZADD", key, "0.1", "a", "3", "b", "1e20", "c", "-inf", "d"));
        // C's %.17g, as Redis 7.0's addReplyDouble (7.2 prints the shortest form, 0.1).
        Assert.Equal("$19\r\n0.10000000000000001\r\n", await c.CallAsync("ZSCORE", key, "a"));
        Assert.Equal("$1\r\n3\r\n", await c.CallAsync("ZSCORE", key, "b"));
        Assert.Equal("$5\r\n1e+20\r\n", await c.CallAsync("ZSCORE", key, "c"));
        Assert.Equal("$4\r\n-inf\r\n", await c.CallAsync("ZSCORE", key, "d"));
        Assert.Equal("$18\r\n1.1000000000000001\r\n", await c.CallAsync("ZINCRBY", key, "1", "a"));
    }

    [Fact]
    public async Task Rangestore_keeps_score_order_for_every_range_kind_across_nodes()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 2));
        var src = RespCluster.KeyOwnedBy(Cluster, 0, "zr-src");
        var dst = RespCluster.KeyOwnedBy(Cluster, 1, "zr-dst");
        Assert.Equal(":5\r\n", await c.CallAsync("ZADD", src, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"));
        Assert.Equal(":2\r\n", await c.CallAsync("ZRANGESTORE", dst, src, "1", "2"));
        Assert.Equal(Array("b", "2", "c", "3"), await c.CallAsync("ZRANGE", dst, "0", "-1", "WITHSCORES"));
        Assert.Equal(":2\r\n", await c.CallAsync("ZRANGESTORE", dst, src, "(5", "2", "BYSCORE", "REV", "LIMIT", "1", "2"));
        Assert.Equal(Array("b", "c"), await c.CallAsync("ZRANGE", dst, "0", "-1"));
        Assert.Equal(":3\r\n", await c.CallAsync("ZRANGESTORE", dst, src, "[c", "+", "BYLEX"));
        Assert.Equal(Array("c", "d", "e"), await c.CallAsync("ZRANGE", dst, "0", "-1"));
        Assert.Equal(":0\r\n", await c.CallAsync("ZRANGESTORE", dst, "zr-absent", "0", "-1"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", dst));

        // Inside MULTI, with the source written earlier in the same transaction.
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("ZADD", src, "0", "first"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("ZRANGESTORE", dst, src, "0", "0"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("ZUNIONSTORE", dst, "2", dst, src, "AGGREGATE", "MIN"));
        Assert.Equal("*3\r\n:1\r\n:1\r\n:6\r\n", await c.CallAsync("EXEC"));
    }
}
