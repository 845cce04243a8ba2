using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>Every command over raw RESP bytes, through node 0, for keys node 0 owns and keys other nodes own.</summary>
public sealed class RespCommandTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private async Task<RespTestClient> ConnectAsync(int node = 0) => await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, node));

    public static TheoryData<int> Owners => new() { 0, 1, 2 };

    [Theory]
    [MemberData(nameof(Owners))]
    public async Task String_commands_behave_as_in_Redis_whichever_node_owns_the_key(int owner)
    {
        await using var c = await ConnectAsync();
        var key = RespCluster.KeyOwnedBy(Cluster, owner, $"str{owner}");
        Assert.Equal("$-1\r\n", await c.CallAsync("GET", key));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "hello"));
        Assert.Equal("$5\r\nhello\r\n", await c.CallAsync("GET", key));
        Assert.Equal("$-1\r\n", await c.CallAsync("SET", key, "x", "NX"));
        Assert.Equal("$5\r\nhello\r\n", await c.CallAsync("SET", key, "world", "XX", "GET"));
        Assert.Equal("$5\r\nworld\r\n", await c.CallAsync("GETSET", key, "again"));
        Assert.Equal(":5\r\n", await c.CallAsync("STRLEN", key));
        Assert.Equal(":8\r\n", await c.CallAsync("APPEND", key, "!!!"));
        Assert.Equal("$8\r\nagain!!!\r\n", await c.CallAsync("GET", key));
        Assert.Equal(":0\r\n", await c.CallAsync("SETNX", key, "no"));
        Assert.Equal(":1\r\n", await c.CallAsync("EXISTS", key));
        Assert.Equal("+string\r\n", await c.CallAsync("TYPE", key));
        Assert.Equal(":-1\r\n", await c.CallAsync("TTL", key));
        Assert.Equal(":1\r\n", await c.CallAsync("DEL", key));
        Assert.Equal(":0\r\n", await c.CallAsync("DEL", key));
        Assert.Equal(":-2\r\n", await c.CallAsync("TTL", key));
        Assert.Equal("$-1\r\n", await c.CallAsync("SET", key, "v", "XX"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "v", "NX"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("SET", key, "v", "NX", "XX"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "v", "EX", "10"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "v", "KEEPTTL"));
        Assert.Equal(":10\r\n", await c.CallAsync("TTL", key));
        Assert.Equal(":1\r\n", await c.CallAsync("SETNX", key + "new", "n"));
    }

    [Theory]
    [MemberData(nameof(Owners))]
    public async Task Counters_follow_Redis_rules(int owner)
    {
        await using var c = await ConnectAsync();
        var key = RespCluster.KeyOwnedBy(Cluster, owner, $"ctr{owner}");
        Assert.Equal(":1\r\n", await c.CallAsync("INCR", key));
        Assert.Equal(":11\r\n", await c.CallAsync("INCRBY", key, "10"));
        Assert.Equal(":10\r\n", await c.CallAsync("DECR", key));
        Assert.Equal(":-5\r\n", await c.CallAsync("DECRBY", key, "15"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("INCRBY", key, "x"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "9223372036854775807"));
        Assert.Equal("-ERR increment or decrement would overflow\r\n", await c.CallAsync("INCR", key));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "abc"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("INCR", key));
    }

    [Fact]
    public async Task Multi_key_DEL_and_EXISTS_run_at_one_owner_and_fan_out_over_nodes()
    {
        await using var c = await ConnectAsync();
        // A hash tag puts keys in one slot, hence on one node.
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", "{tag}a", "1"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", "{tag}b", "2"));
        Assert.Equal(":3\r\n", await c.CallAsync("EXISTS", "{tag}a", "{tag}b", "{tag}a"));
        Assert.Equal(":2\r\n", await c.CallAsync("DEL", "{tag}a", "{tag}b", "{tag}c"));
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "spread");
        var b = RespCluster.KeyOwnedBy(Cluster, 1, "spread");
        var d = RespCluster.KeyOwnedBy(Cluster, 2, "spread");
        Assert.Equal("+OK\r\n", await c.CallAsync("MSET", a, "1", b, "2", d, "3"));
        Assert.Equal(":4\r\n", await c.CallAsync("EXISTS", a, b, d, a, "spread:absent"));
        Assert.Equal(":3\r\n", await c.CallAsync("TOUCH", a, b, d));
        Assert.Equal(":2\r\n", await c.CallAsync("DEL", a, d, "spread:absent"));
        Assert.Equal(":1\r\n", await c.CallAsync("UNLINK", a, b, d));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", a, b, d));
        // Still not a multi-key command in general: other commands with keys on several nodes are refused.
        Assert.StartsWith("-CROSSSLOT", await c.CallAsync("LCS", a, d));
    }

    [Fact]
    public async Task Flushall_clears_every_node_and_nothing_pipelined_behind_it_overtakes_it()
    {
        // Its own cluster: FLUSHALL would clear the keys of the other tests of this class.
        await using var cluster = await RespCluster.StartAsync();
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1));
        var keys = new[] { RespCluster.KeyOwnedBy(cluster, 0, "fl"), RespCluster.KeyOwnedBy(cluster, 1, "fl"), RespCluster.KeyOwnedBy(cluster, 2, "fl") };
        Assert.Equal("+OK\r\n", await c.CallAsync("MSET", keys[0], "1", keys[1], "2", keys[2], "3"));
        Assert.Equal("+OK\r\n", await c.CallAsync("FLUSHALL"));
        for (var node = 0; node < 3; node++)
            Assert.Equal(0, cluster[node].Store.Count);
        await c.SendAsync(RespTestClient.Encode("SET", keys[2], "after") + RespTestClient.Encode("FLUSHDB", "ASYNC") + RespTestClient.Encode("SET", keys[0], "later") + RespTestClient.Encode("MGET", keys[0], keys[2]));
        Assert.Equal("+OK\r\n", await c.ReadReplyAsync());
        Assert.Equal("+OK\r\n", await c.ReadReplyAsync());
        Assert.Equal("+OK\r\n", await c.ReadReplyAsync());
        Assert.Equal("*2\r\n$5\r\nlater\r\n$-1\r\n", await c.ReadReplyAsync());
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("FLUSHALL", "NOW"));
        Assert.Equal("+OK\r\n", await c.CallAsync("FUNCTION", "FLUSH"));
        Assert.Equal("*0\r\n", await c.CallAsync("FUNCTION", "LIST"));
    }

    [Fact]
    public async Task A_fanned_out_del_meeting_a_locked_key_says_so_and_deletes_the_rest()
    {
        await using var c = await ConnectAsync();
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "fanlock");
        var b = RespCluster.KeyOwnedBy(Cluster, 2, "fanlock");
        Assert.Equal("+OK\r\n", await c.CallAsync("MSET", a, "1", b, "2"));
        using var native = await NativeTestClient.ConnectAsync(Cluster.EndPointOf(2));
        var txn = Transactions.TxnRequests.NewTxn(2);
        Transactions.TxnRequests.Tokens(await Transactions.TxnRequests.LockAsync(native, txn, [System.Text.Encoding.UTF8.GetBytes(b)], 30_000));
        Assert.StartsWith("-TRYAGAIN", await c.CallAsync("DEL", a, b));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", a));
        Assert.Equal(":1\r\n", await c.CallAsync("EXISTS", b));
    }

    [Fact]
    public async Task Server_commands_answer_what_clients_probe()
    {
        await using var c = await ConnectAsync();
        Assert.Equal("+PONG\r\n", await c.CallAsync("PING"));
        Assert.Equal("$2\r\nhi\r\n", await c.CallAsync("PING", "hi"));
        Assert.Equal("$3\r\nabc\r\n", await c.CallAsync("ECHO", "abc"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SELECT", "0"));
        Assert.Equal("-ERR DB index is out of range\r\n", await c.CallAsync("SELECT", "1"));
        Assert.Equal("+OK\r\n", await c.CallAsync("CLIENT", "SETNAME", "tester"));
        Assert.Equal("$6\r\ntester\r\n", await c.CallAsync("CLIENT", "GETNAME"));
        Assert.StartsWith(":", await c.CallAsync("CLIENT", "ID"));
        Assert.Equal(":12182\r\n", await c.CallAsync("CLUSTER", "KEYSLOT", "foo")); // Redis's own answer for "foo"
        var count = await c.CallAsync("COMMAND", "COUNT");
        Assert.Matches(@"^:\d+\r\n$", count);
        Assert.StartsWith("*", await c.CallAsync("COMMAND"));
        Assert.StartsWith("*", await c.CallAsync("COMMAND", "DOCS"));
        var info = await c.CallAsync("INFO");
        Assert.Contains("redis_version:", info);
        Assert.Contains("connected_clients:", info);
        Assert.Contains("total_commands_processed:", info);
        Assert.Contains("# Keyspace", info);
        Assert.Contains("cluster_state:ok", await c.CallAsync("CLUSTER", "INFO"));
        Assert.Matches(@"^:\d+\r\n$", await c.CallAsync("DBSIZE"));
    }

    [Fact]
    public async Task Cluster_countkeysinslot_and_getkeysinslot_list_the_keys_a_node_holds_in_a_slot()
    {
        // {keys-in-slot} puts all three in one slot, owned by one node; the owner lists them, another node holds none.
        await using var any = await ConnectAsync();
        foreach (var k in (string[])["{kis}a", "{kis}b", "{kis}c"])
            Assert.Equal("+OK\r\n", await any.CallAsync("SET", k, "v"));
        var slot = Protocol.KeySlot.Of("{kis}a"u8);
        var owner = Cluster[0].ClusterState.Slots.OwnerOf(slot);
        await using var c = await ConnectAsync(owner);
        var text = slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(":3\r\n", await c.CallAsync("CLUSTER", "COUNTKEYSINSLOT", text));
        var keys = await c.CallAsync("CLUSTER", "GETKEYSINSLOT", text, "10");
        Assert.StartsWith("*3\r\n", keys);
        Assert.Contains("{kis}b", keys);
        Assert.StartsWith("*2\r\n", await c.CallAsync("CLUSTER", "GETKEYSINSLOT", text, "2"));
        await using var other = await ConnectAsync((owner + 1) % Cluster.Count);
        Assert.Equal(":0\r\n", await other.CallAsync("CLUSTER", "COUNTKEYSINSLOT", text));
        Assert.Equal("-ERR Invalid slot\r\n", await c.CallAsync("CLUSTER", "COUNTKEYSINSLOT", "16384"));
        Assert.Equal("-ERR Invalid slot or number of keys\r\n", await c.CallAsync("CLUSTER", "GETKEYSINSLOT", text, "-1"));
    }

    [Fact]
    public async Task Errors_have_Redis_shapes()
    {
        await using var c = await ConnectAsync();
        Assert.Equal("-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n", await c.CallAsync("FOO", "a", "b"));
        Assert.Equal("-ERR unknown command 'nope', with args beginning with: \r\n", await c.CallAsync("nope"));
        Assert.Equal("-ERR wrong number of arguments for 'get' command\r\n", await c.CallAsync("GET"));
        Assert.Equal("-ERR wrong number of arguments for 'set' command\r\n", await c.CallAsync("SET", "k"));
        Assert.Equal("-ERR wrong number of arguments for 'mset' command\r\n", await c.CallAsync("MSET", "a", "1", "b"));
        Assert.Equal("-ERR unknown subcommand 'bogus'. Try CLUSTER HELP.\r\n", await c.CallAsync("CLUSTER", "bogus"));
        Assert.Equal("-ERR wrong number of arguments for 'cluster|keyslot' command\r\n", await c.CallAsync("CLUSTER", "KEYSLOT"));
        Assert.Equal("-NOPROTO unsupported protocol version\r\n", await c.CallAsync("HELLO", "4"));
        // The connection is still usable after every one of them.
        Assert.Equal("+PONG\r\n", await c.CallAsync("PING"));
    }

    [Fact]
    public async Task Cluster_slots_cover_every_slot_with_each_owners_resp_address()
    {
        await using var c = await ConnectAsync(1);
        var slots = await c.CallAsync("CLUSTER", "SLOTS");
        Assert.StartsWith("*3\r\n", slots);
        for (var i = 0; i < 3; i++)
        {
            var ep = RespCluster.RespOf(Cluster, i);
            Assert.Contains($"$9\r\n127.0.0.1\r\n:{ep.Port}\r\n", slots);
        }
        Assert.Contains(":0\r\n", slots);
        Assert.Contains(":16383\r\n", slots);
        var nodes = await c.CallAsync("CLUSTER", "NODES");
        Assert.Contains("myself,master", nodes);
        Assert.Equal(3, nodes.Split('\n').Count(line => line.Contains(" master", StringComparison.Ordinal) || line.Contains("myself,master", StringComparison.Ordinal)));
        Assert.StartsWith("*3\r\n", await c.CallAsync("CLUSTER", "SHARDS"));
    }

    [Fact]
    public async Task Hello_3_switches_to_RESP3()
    {
        await using var c = await ConnectAsync();
        var hello = await c.CallAsync("HELLO", "3");
        Assert.StartsWith("%7\r\n", hello);
        Assert.Contains(":3\r\n", hello);
        Assert.Equal("_\r\n", await c.CallAsync("GET", RespCluster.KeyOwnedBy(Cluster, 0, "r3missing")));
        Assert.Equal("_\r\n", await c.CallAsync("GET", RespCluster.KeyOwnedBy(Cluster, 2, "r3missing")));
    }

    [Fact]
    public async Task Inline_commands_are_served()
    {
        await using var c = await ConnectAsync();
        await c.SendAsync("PING\r\n");
        Assert.Equal("+PONG\r\n", await c.ReadReplyAsync());
        var key = RespCluster.KeyOwnedBy(Cluster, 2, "inline");
        await c.SendAsync($"SET {key} \"two words\"\r\nGET {key}\r\n");
        Assert.Equal("+OK\r\n", await c.ReadReplyAsync());
        Assert.Equal("$9\r\ntwo words\r\n", await c.ReadReplyAsync());
    }

    [Fact]
    public async Task A_pipeline_mixing_local_and_remote_keys_gets_its_replies_in_order()
    {
        await using var c = await ConnectAsync();
        const int n = 300;
        var batch = new System.Text.StringBuilder();
        for (var i = 0; i < n; i++)
            batch.Append(RespTestClient.Encode("SET", $"pipe:{i}", $"v{i}"));
        for (var i = 0; i < n; i++)
        {
            batch.Append(RespTestClient.Encode("GET", $"pipe:{i}"));
            batch.Append(RespTestClient.Encode("PING"));
        }
        await c.SendAsync(batch.ToString());
        for (var i = 0; i < n; i++)
            Assert.Equal("+OK\r\n", await c.ReadReplyAsync());
        for (var i = 0; i < n; i++)
        {
            var v = $"v{i}";
            Assert.Equal($"${v.Length}\r\n{v}\r\n", await c.ReadReplyAsync());
            Assert.Equal("+PONG\r\n", await c.ReadReplyAsync());
        }
    }

    [Fact]
    public async Task Quit_answers_OK_after_earlier_replies_and_closes()
    {
        await using var c = await ConnectAsync();
        var key = RespCluster.KeyOwnedBy(Cluster, 1, "quit");
        await c.SendAsync(RespTestClient.Encode("SET", key, "1") + RespTestClient.Encode("GET", key) + RespTestClient.Encode("QUIT"));
        Assert.Equal("+OK\r\n", await c.ReadReplyAsync());
        Assert.Equal("$1\r\n1\r\n", await c.ReadReplyAsync());
        Assert.Equal("+OK\r\n", await c.ReadReplyAsync());
        Assert.True(await c.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Subscribe_is_acknowledged_so_clients_can_open_their_subscription_connection()
    {
        await using var c = await ConnectAsync();
        Assert.Equal("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", await c.CallAsync("SUBSCRIBE", "ch"));
        Assert.Equal("*2\r\n$4\r\npong\r\n$0\r\n\r\n", await c.CallAsync("PING"));
        Assert.StartsWith("-ERR Can't execute 'get'", await c.CallAsync("GET", "x"));
        Assert.Equal("*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n", await c.CallAsync("UNSUBSCRIBE"));
    }

    /// <summary>
    /// HSET, HMGET, HDEL, ZADD, ZMSCORE and ZREM naming 100,000 fields or members in one command finish (each is looked
    /// up in an index the command builds: a scan of the collection each took minutes here, and a 500,000-pair HSET or
    /// ZADD held a core for hours) and count as in Redis, a field or member named twice included.
    /// </summary>
    [Fact]
    public async Task Commands_naming_100000_fields_or_members_finish_and_count_as_in_Redis()
    {
        const int Count = 100_000;
        await using var c = await ConnectAsync();
        var hash = RespCluster.KeyOwnedBy(Cluster, 0, "manyfields");
        var zset = RespCluster.KeyOwnedBy(Cluster, 0, "manymembers");

        var args = new List<string> { "HSET", hash };
        for (var i = 0; i < Count; i++)
            args.AddRange([$"f{i}", $"v{i}"]);
        args.AddRange(["f0", "again"]);
        Assert.Equal($":{Count}\r\n", await c.CallAsync([.. args]));
        Assert.Equal($":{Count}\r\n", await c.CallAsync("HLEN", hash));
        Assert.Equal("$5\r\nagain\r\n", await c.CallAsync("HGET", hash, "f0"));
        Assert.Equal("*9\r\n$2\r\nv1\r\n$-1\r\n$6\r\nv99999\r\n$2\r\nv2\r\n$2\r\nv3\r\n$2\r\nv4\r\n$2\r\nv5\r\n$2\r\nv6\r\n$2\r\nv1\r\n",
            await c.CallAsync("HMGET", hash, "f1", "nope", "f99999", "f2", "f3", "f4", "f5", "f6", "f1"));
        args = ["HDEL", hash];
        for (var i = 0; i < Count / 2; i++)
            args.Add($"f{i}");
        args.AddRange(["f0", "nope"]);
        Assert.Equal($":{Count / 2}\r\n", await c.CallAsync([.. args]));
        Assert.Equal($":{Count / 2}\r\n", await c.CallAsync("HLEN", hash));
        Assert.Equal("$-1\r\n", await c.CallAsync("HGET", hash, "f49999"));
        Assert.Equal("$6\r\nv50000\r\n", await c.CallAsync("HGET", hash, "f50000"));

        args = ["ZADD", zset];
        for (var i = 0; i < Count; i++)
            args.AddRange([$"{i}", $"m{i}"]);
        args.AddRange(["-1", "m0"]);
        Assert.Equal($":{Count}\r\n", await c.CallAsync([.. args]));
        Assert.Equal($":{Count}\r\n", await c.CallAsync("ZCARD", zset));
        Assert.Equal("$2\r\n-1\r\n", await c.CallAsync("ZSCORE", zset, "m0"));
        Assert.Equal("*9\r\n$1\r\n1\r\n$-1\r\n$5\r\n99999\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n$1\r\n6\r\n$1\r\n1\r\n",
            await c.CallAsync("ZMSCORE", zset, "m1", "nope", "m99999", "m2", "m3", "m4", "m5", "m6", "m1"));
        args = ["ZREM", zset];
        for (var i = 0; i < Count / 2; i++)
            args.Add($"m{i}");
        args.AddRange(["m0", "nope"]);
        Assert.Equal($":{Count / 2}\r\n", await c.CallAsync([.. args]));
        Assert.Equal($":{Count / 2}\r\n", await c.CallAsync("ZCARD", zset));
        Assert.Equal("*1\r\n$6\r\nm50000\r\n", await c.CallAsync("ZRANGE", zset, "0", "0"));
        Assert.Equal(":1\r\n", await c.CallAsync("DEL", hash));
        Assert.Equal(":1\r\n", await c.CallAsync("DEL", zset));
    }
}
