using System.Globalization;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>SCAN, RANDOMKEY and DBSIZE over the whole cluster through any node.</summary>
public sealed class RespScanTests
{
    [Fact]
    public async Task Scan_through_a_non_owner_returns_every_key_of_every_node_exactly_once()
    {
        await using var cluster = await RespCluster.StartAsync();
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1));
        var expected = await WriteKeysOnEveryNodeAsync(cluster, c, "stable", 100);
        var seen = await ScanAllAsync(c, "SCAN", "{0}", "COUNT", "7");
        Assert.Equal(expected.Count, seen.Count);
        Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.Equal($":{expected.Count}\r\n", await c.CallAsync("DBSIZE"));
    }

    [Fact]
    public async Task Scan_returns_every_key_present_throughout_exactly_once_while_other_keys_come_and_go()
    {
        await using var cluster = await RespCluster.StartAsync();
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        await using var writer = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 2));
        var expected = await WriteKeysOnEveryNodeAsync(cluster, c, "stable", 150);
        // Between every two batches of the walk, 40 keys are added and 20 of the earlier ones removed, on every node:
        // the stores grow and rehash under the cursor.
        var next = 0;
        var seen = await ScanAllAsync(c, async () =>
        {
            for (var i = 0; i < 40; i++)
                Assert.Equal("+OK\r\n", await writer.CallAsync("SET", $"churn:{next + i}", "x"));
            for (var i = 0; i < 20 && next >= 40; i++)
                await writer.CallAsync("DEL", $"churn:{next - 40 + i}");
            next += 40;
        }, "SCAN", "{0}", "COUNT", "5");
        var stable = seen.Where(k => k.StartsWith("stable", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), stable.Order(StringComparer.Ordinal));
        Assert.True(next > 400, $"the writer ran between batches ({next} keys written)");
    }

    [Fact]
    public async Task Scan_options_filter_and_bad_arguments_get_Redis_errors()
    {
        await using var cluster = await RespCluster.StartAsync();
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        var users = await WriteKeysOnEveryNodeAsync(cluster, c, "user", 10);
        await WriteKeysOnEveryNodeAsync(cluster, c, "item", 10);
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", "user:gone", "v", "PX", "1"));
        await Bounded.UntilAsync(async () => await c.CallAsync("EXISTS", "user:gone") == ":0\r\n", "the key to expire");
        var matched = await ScanAllAsync(c, "SCAN", "{0}", "MATCH", "user*", "COUNT", "3");
        Assert.Equal(users.Order(StringComparer.Ordinal), matched.Order(StringComparer.Ordinal));
        Assert.Equal(60, (await ScanAllAsync(c, "SCAN", "{0}", "TYPE", "string")).Count);
        Assert.Empty(await ScanAllAsync(c, "SCAN", "{0}", "TYPE", "list", "COUNT", "100"));
        Assert.Equal("-ERR invalid cursor\r\n", await c.CallAsync("SCAN", "abc"));
        Assert.Equal("-ERR invalid cursor\r\n", await c.CallAsync("SCAN", "-1"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("SCAN", "0", "COUNT", "0"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("SCAN", "0", "COUNT", "x"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("SCAN", "0", "MATCH"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("SCAN", "0", "BOGUS", "1"));
        Assert.Equal("-ERR wrong number of arguments for 'scan' command\r\n", await c.CallAsync("SCAN"));
        // A cursor no node handed out: its store position is beyond every store.
        Assert.Equal("-ERR invalid cursor\r\n", await c.CallAsync("SCAN", (0x7FFF_0000_0000UL).ToString(CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Randomkey_and_dbsize_answer_for_the_whole_cluster()
    {
        await using var cluster = await RespCluster.StartAsync();
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("$-1\r\n", await c.CallAsync("RANDOMKEY"));
        Assert.Equal(":0\r\n", await c.CallAsync("DBSIZE"));
        var keys = await WriteKeysOnEveryNodeAsync(cluster, c, "r", 2);
        Assert.Equal(":6\r\n", await c.CallAsync("DBSIZE"));
        // Every node's keys come up: bounded at 300 draws (each node's are first with probability 1/3 a draw).
        var owners = new HashSet<int>();
        for (var i = 0; i < 300 && owners.Count < 3; i++)
        {
            var reply = await c.CallAsync("RANDOMKEY");
            var key = reply.Split("\r\n")[1];
            Assert.Contains(key, keys);
            owners.Add(cluster.OwnerOf(System.Text.Encoding.UTF8.GetBytes(key)));
        }
        Assert.Equal(3, owners.Count);
    }

    /// <summary>Writes <paramref name="perNode"/> keys owned by each of the 3 nodes.</summary>
    private static async Task<List<string>> WriteKeysOnEveryNodeAsync(TestCluster cluster, RespTestClient c, string prefix, int perNode)
    {
        var keys = new List<string>();
        for (var i = 0; keys.Count < perNode * 3; i++)
        {
            var key = $"{prefix}:{i}";
            var owner = cluster.OwnerOf(System.Text.Encoding.UTF8.GetBytes(key));
            if (keys.Count(k => cluster.OwnerOf(System.Text.Encoding.UTF8.GetBytes(k)) == owner) >= perNode)
                continue;
            Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "v"));
            keys.Add(key);
        }
        return keys;
    }

    private static Task<List<string>> ScanAllAsync(RespTestClient c, params string[] command) => ScanAllAsync(c, null, command);

    /// <summary>Walks SCAN from cursor 0 to the end ({0} in the command is the cursor); bounded at 10000 batches.</summary>
    private static async Task<List<string>> ScanAllAsync(RespTestClient c, Func<Task>? between, params string[] command)
    {
        var keys = new List<string>();
        var cursor = "0";
        for (var batch = 0; batch < 10_000; batch++)
        {
            var args = command.Select(a => a == "{0}" ? cursor : a).ToArray();
            var reply = await c.CallAsync(args);
            (cursor, var found) = ParseScanReply(reply);
            keys.AddRange(found);
            if (cursor == "0")
                return keys;
            if (between is not null)
                await between();
        }
        throw new InvalidOperationException("SCAN did not finish within 10000 batches");
    }

    private static (string Cursor, List<string> Keys) ParseScanReply(string reply)
    {
        Assert.StartsWith("*2\r\n$", reply, StringComparison.Ordinal);
        var lines = reply.Split("\r\n");
        var cursor = lines[2];
        var count = int.Parse(lines[3][1..], CultureInfo.InvariantCulture);
        var keys = new List<string>();
        for (var i = 0; i < count; i++)
            keys.Add(lines[5 + (2 * i)]);
        return (cursor, keys);
    }
}
