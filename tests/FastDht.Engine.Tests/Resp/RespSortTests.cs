using System.Text;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>SORT and SORT_RO through a 3-node cluster: Redis's options and errors, and patterns naming keys on every node.</summary>
public sealed class RespSortTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    /// <summary>A RESP array of bulk strings (null: a nil bulk).</summary>
    private static string Array(params string?[] items)
    {
        var text = new StringBuilder().Append('*').Append(items.Length).Append("\r\n");
        foreach (var item in items)
            text.Append(item is null ? "$-1\r\n" : $"${Encoding.Latin1.GetByteCount(item)}\r\n{item}\r\n");
        return text.ToString();
    }

    /// <summary>An element <c>e</c> such that <c>prefix + e</c> is a key of <paramref name="owner"/>.</summary>
    private string ElementAt(int owner, string prefix, string name)
    {
        for (var i = 0; ; i++)
        {
            var element = $"{name}{i}";
            if (Cluster.OwnerOf(Encoding.UTF8.GetBytes(prefix + element)) == owner)
                return element;
        }
    }

    [Fact]
    public async Task Lists_sets_and_sorted_sets_sort_numerically_alphabetically_reversed_and_limited()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        var list = RespCluster.KeyOwnedBy(Cluster, 1, "sort-list");
        Assert.Equal(":5\r\n", await c.CallAsync("RPUSH", list, "3", "10", "-2.5", "1e1", "7"));
        // Equal weights (10 and 1e1) are ordered by their bytes: the result does not depend on the sort's pivots.
        Assert.Equal(Array("-2.5", "3", "7", "10", "1e1"), await c.CallAsync("SORT", list));
        Assert.Equal(Array("1e1", "10", "7", "3", "-2.5"), await c.CallAsync("SORT", list, "DESC"));
        Assert.Equal(Array("-2.5", "10", "1e1", "3", "7"), await c.CallAsync("SORT", list, "ALPHA"));
        Assert.Equal(Array("3", "7"), await c.CallAsync("SORT_RO", list, "LIMIT", "1", "2"));
        Assert.Equal(Array("7", "10", "1e1"), await c.CallAsync("SORT", list, "LIMIT", "2", "-1"));
        Assert.Equal(Array(), await c.CallAsync("SORT", list, "LIMIT", "9", "3"));
        Assert.Equal(Array("-2.5"), await c.CallAsync("SORT", list, "limit", "-5", "1", "asc"));

        var set = RespCluster.KeyOwnedBy(Cluster, 2, "sort-set");
        Assert.Equal(":4\r\n", await c.CallAsync("SADD", set, "b", "a", "d", "c"));
        Assert.Equal(Array("d", "c", "b", "a"), await c.CallAsync("SORT", set, "ALPHA", "DESC"));
        var zset = RespCluster.KeyOwnedBy(Cluster, 0, "sort-zset");
        Assert.Equal(":3\r\n", await c.CallAsync("ZADD", zset, "1", "30", "2", "20", "3", "10"));
        Assert.Equal(Array("10", "20", "30"), await c.CallAsync("SORT", zset));
        Assert.Equal(Array(), await c.CallAsync("SORT", "sort-absent"));
    }

    [Fact]
    public async Task Errors_are_Redis_words_and_change_nothing()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        var list = RespCluster.KeyOwnedBy(Cluster, 0, "sort-err");
        var dest = RespCluster.KeyOwnedBy(Cluster, 2, "sort-err-dest");
        Assert.Equal(":2\r\n", await c.CallAsync("RPUSH", list, "1", "x"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", dest, "kept"));
        Assert.Equal("-ERR One or more scores can't be converted into double\r\n", await c.CallAsync("SORT", list));
        Assert.Equal("-ERR One or more scores can't be converted into double\r\n", await c.CallAsync("SORT", list, "STORE", dest));
        Assert.Equal("$4\r\nkept\r\n", await c.CallAsync("GET", dest)); // a failed SORT ... STORE stores nothing
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("SORT", list, "BOGUS"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("SORT", list, "LIMIT", "1"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("SORT_RO", list, "STORE", dest));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("SORT", list, "LIMIT", "a", "1"));
        Assert.StartsWith("-WRONGTYPE", await c.CallAsync("SORT", dest));
        Assert.Equal("-ERR wrong number of arguments for 'sort' command\r\n", await c.CallAsync("SORT"));
        // Numbers as strtod reads them: leading blanks and an empty string (0) pass, trailing text and overflow do not.
        var odd = RespCluster.KeyOwnedBy(Cluster, 0, "sort-strtod");
        Assert.Equal(":3\r\n", await c.CallAsync("RPUSH", odd, " 2", "", "-inf"));
        Assert.Equal(Array("-inf", "", " 2"), await c.CallAsync("SORT", odd));
        Assert.Equal(":4\r\n", await c.CallAsync("RPUSH", odd, "1e400"));
        Assert.Equal("-ERR One or more scores can't be converted into double\r\n", await c.CallAsync("SORT", odd));
    }

    [Fact]
    public async Task By_and_get_patterns_read_strings_and_hash_fields_on_every_node()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        // Three elements whose weight keys live on nodes 0, 1 and 2, and whose hashes live on nodes 2, 0 and 1.
        var e0 = ElementAt(0, "sw_", "a");
        var e1 = ElementAt(1, "sw_", "b");
        var e2 = ElementAt(2, "sw_", "c");
        var list = RespCluster.KeyOwnedBy(Cluster, 1, "sort-by");
        Assert.Equal(":3\r\n", await c.CallAsync("RPUSH", list, e0, e1, e2));
        Assert.Equal("+OK\r\n", await c.CallAsync("MSET", "sw_" + e0, "30", "sw_" + e1, "10", "sw_" + e2, "20"));
        Assert.Equal(":2\r\n", await c.CallAsync("HSET", "sh_" + e0, "name", "zero", "rank", "3"));
        Assert.Equal(":2\r\n", await c.CallAsync("HSET", "sh_" + e2, "name", "two", "rank", "1"));

        Assert.Equal(Array(e1, e2, e0), await c.CallAsync("SORT", list, "BY", "sw_*"));
        Assert.Equal(Array(e0, e2, e1), await c.CallAsync("SORT", list, "BY", "sw_*", "DESC"));
        Assert.Equal(Array(e1, "10", null, e2, "20", "two", e0, "30", "zero"),
            await c.CallAsync("SORT", list, "BY", "sw_*", "GET", "#", "GET", "sw_*", "GET", "sh_*->name"));
        Assert.Equal(Array("20", "30"), await c.CallAsync("SORT_RO", list, "BY", "sw_*", "LIMIT", "1", "5", "GET", "sw_*"));
        // BY a hash field; a missing weight sorts as 0 (ALPHA: first).
        Assert.Equal(Array(e1, e2, e0), await c.CallAsync("SORT", list, "BY", "sh_*->rank"));
        Assert.Equal(Array(e1, e2, e0), await c.CallAsync("SORT", list, "BY", "sh_*->name", "ALPHA"));
        // A pattern ending in "->" names a string key; a pattern without '*' reads nothing.
        Assert.Equal(Array(null, null, null), await c.CallAsync("SORT", list, "ALPHA", "GET", "sw_*->"));
        Assert.Equal(Array(null, null, null), await c.CallAsync("SORT", list, "BY", "nosort", "GET", "fixed"));
        // A weight of the wrong type is no weight.
        Assert.Equal(":1\r\n", await c.CallAsync("DEL", "sw_" + e0));
        Assert.Equal(":1\r\n", await c.CallAsync("LPUSH", "sw_" + e0, "1"));
        Assert.Equal(Array(e0, e1, e2), await c.CallAsync("SORT", list, "BY", "sw_*"));
    }

    [Fact]
    public async Task By_without_a_star_keeps_the_native_order_except_for_a_set_stored()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 2));
        var list = RespCluster.KeyOwnedBy(Cluster, 0, "sort-nosort");
        Assert.Equal(":4\r\n", await c.CallAsync("RPUSH", list, "c", "a", "d", "b"));
        Assert.Equal(Array("c", "a", "d", "b"), await c.CallAsync("SORT", list, "BY", "nosort"));
        Assert.Equal(Array("d", "a"), await c.CallAsync("SORT", list, "BY", "nosort", "DESC", "LIMIT", "1", "2"));
        var zset = RespCluster.KeyOwnedBy(Cluster, 1, "sort-nosort-z");
        Assert.Equal(":3\r\n", await c.CallAsync("ZADD", zset, "1", "z", "2", "y", "3", "x"));
        Assert.Equal(Array("x", "y", "z"), await c.CallAsync("SORT", zset, "BY", "nosort", "DESC"));
        var set = RespCluster.KeyOwnedBy(Cluster, 2, "sort-nosort-s");
        var dest = RespCluster.KeyOwnedBy(Cluster, 0, "sort-nosort-dest");
        Assert.Equal(":3\r\n", await c.CallAsync("SADD", set, "q", "p", "r"));
        Assert.Equal(":3\r\n", await c.CallAsync("SORT", set, "BY", "nosort", "STORE", dest));
        Assert.Equal(Array("p", "q", "r"), await c.CallAsync("LRANGE", dest, "0", "-1"));
    }

    [Fact]
    public async Task Store_replaces_a_key_on_another_node_with_a_list_without_expiry_and_an_empty_result_deletes_it()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        var e0 = ElementAt(0, "st_", "x");
        var e2 = ElementAt(2, "st_", "y");
        var list = RespCluster.KeyOwnedBy(Cluster, 0, "sort-store");
        var dest = RespCluster.KeyOwnedBy(Cluster, 2, "sort-store-dest");
        Assert.Equal(":2\r\n", await c.CallAsync("RPUSH", list, e0, e2));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", "st_" + e2, "v2"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", dest, "old", "EX", "100"));
        // A missing GET value is stored as an empty string; the reply counts the stored elements.
        Assert.Equal(":4\r\n", await c.CallAsync("SORT", list, "ALPHA", "GET", "#", "GET", "st_*", "STORE", dest));
        Assert.Equal("+list\r\n", await c.CallAsync("TYPE", dest));
        Assert.Equal(":-1\r\n", await c.CallAsync("TTL", dest));
        Assert.Equal(Array(e0, "", e2, "v2"), await c.CallAsync("LRANGE", dest, "0", "-1"));
        // The source itself as destination, and the last STORE wins.
        Assert.Equal(":2\r\n", await c.CallAsync("SORT", list, "ALPHA", "DESC", "STORE", "sort-ignored", "STORE", list));
        Assert.Equal(Array(e2, e0), await c.CallAsync("LRANGE", list, "0", "-1"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", "sort-ignored"));
        Assert.Equal(":0\r\n", await c.CallAsync("SORT", "sort-store-absent", "STORE", dest));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", dest));
        Assert.Equal(Array("sort-store-absent", dest), await c.CallAsync("COMMAND", "GETKEYS", "SORT", "sort-store-absent", "LIMIT", "0", "1", "STORE", dest));
    }

    [Fact]
    public async Task Inside_multi_patterns_are_read_and_a_store_breaks_a_watch()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        var e1 = ElementAt(1, "mw_", "m");
        var e2 = ElementAt(2, "mw_", "n");
        var list = RespCluster.KeyOwnedBy(Cluster, 2, "sort-multi");
        var dest = RespCluster.KeyOwnedBy(Cluster, 1, "sort-multi-dest");
        Assert.Equal(":2\r\n", await c.CallAsync("RPUSH", list, e1, e2));
        Assert.Equal("+OK\r\n", await c.CallAsync("MSET", "mw_" + e1, "2", "mw_" + e2, "1"));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", "mw_" + e1, "0"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SORT", list, "BY", "mw_*", "GET", "mw_*"));
        // The SORT sees the SET queued before it.
        Assert.Equal("*2\r\n+OK\r\n" + Array("0", "1"), await c.CallAsync("EXEC"));

        // Redis's test: a SORT ... STORE that deletes a WATCHed key (empty result) fails the EXEC.
        Assert.Equal(":1\r\n", await c.CallAsync("LPUSH", dest, "bar"));
        Assert.Equal("+OK\r\n", await c.CallAsync("WATCH", dest));
        Assert.Equal(":0\r\n", await c.CallAsync("SORT", "sort-multi-empty", "STORE", dest));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("PING"));
        Assert.Equal("*-1\r\n", await c.CallAsync("EXEC"));
    }

    [Fact]
    public async Task A_sort_never_reads_part_of_a_concurrent_mset_of_its_weights()
    {
        // Two weights on different nodes, rewritten together by MSET so that they always sum to 0; a SORT reading one
        // before and the other after an MSET would see a sum other than 0.
        var a = ElementAt(1, "tw_", "p");
        var b = ElementAt(2, "tw_", "q");
        var list = RespCluster.KeyOwnedBy(Cluster, 0, "sort-torn");
        await using var reader = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        await using var writer = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        Assert.Equal(":2\r\n", await reader.CallAsync("RPUSH", list, a, b));
        Assert.Equal("+OK\r\n", await writer.CallAsync("MSET", "tw_" + a, "0", "tw_" + b, "0"));
        using var stop = new CancellationTokenSource();
        var writes = Task.Run(async () =>
        {
            for (var i = 1; !stop.IsCancellationRequested; i++)
                Assert.Equal("+OK\r\n", await writer.CallAsync("MSET", "tw_" + a, $"{i}", "tw_" + b, $"{-i}"));
        });
        try
        {
            for (var round = 0; round < 200; round++)
            {
                var reply = await reader.CallAsync("SORT", list, "BY", "nosort", "GET", "tw_*");
                var lines = reply.Split("\r\n");
                Assert.Equal("*2", lines[0]);
                Assert.Equal(0, long.Parse(lines[2]) + long.Parse(lines[4]));
            }
        }
        finally
        {
            await stop.CancelAsync();
        }
        await writes.WithinAsync("the MSET loop to stop");
    }
}
