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
            AllowAdmin = true, // CLIENT LIST, CONFIG GET, INFO, TIME
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

    [Fact]
    public async Task Expiry_scan_through_one_server_and_a_delete_over_every_node_work_from_StackExchange_Redis()
    {
        await using var redis = await ConnectAsync(2);
        var db = redis.GetDatabase();
        var cluster = fixture.Cluster;

        // Expiry: SET with a TTL, TTL, EXPIRE, PERSIST, and the key gone once its time is up.
        Assert.True(await db.StringSetAsync("se:ttl", "v", TimeSpan.FromMinutes(5)));
        Assert.InRange((await db.KeyTimeToLiveAsync("se:ttl"))!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
        Assert.True(await db.KeyPersistAsync("se:ttl"));
        Assert.Null(await db.KeyTimeToLiveAsync("se:ttl"));
        Assert.True(await db.KeyExpireAsync("se:ttl", TimeSpan.FromMilliseconds(200)));
        await Bounded.UntilAsync(async () => !(await db.StringGetAsync("se:ttl")).HasValue, "the key to expire");
        Assert.True(await db.StringSetAsync("se:brief", "v", TimeSpan.FromMilliseconds(200)));
        await Bounded.UntilAsync(async () => !await db.KeyExistsAsync("se:brief"), "the key set with a TTL to expire");

        // server.Keys pages with SCAN; any one server walks the whole cluster (FastDht's SCAN covers every node).
        var written = new List<string>();
        for (var i = 0; written.Select(k => cluster.OwnerOf(System.Text.Encoding.UTF8.GetBytes(k))).Distinct().Count() < 3 || written.Count < 30; i++)
        {
            var key = $"se:scan:{i}";
            Assert.True(await db.StringSetAsync(key, "x"));
            written.Add(key);
        }
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var listed = server.Keys(pattern: "se:scan:*", pageSize: 7).Select(k => (string)k!).ToList();
        Assert.Equal(written.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.True(await server.DatabaseSizeAsync() >= written.Count);

        // DEL of keys on every node in one command: sent as plain arguments so the client does not split it by slot;
        // the node fans it out and answers the sum.
        var doomed = written.Take(10).Append("se:scan:none").Cast<object>().ToArray();
        Assert.Equal(10, (long)await db.ExecuteAsync("DEL", doomed));
        foreach (var key in written.Take(10))
            Assert.False(await db.KeyExistsAsync(key));
        Assert.Equal(written.Count - 10, server.Keys(pattern: "se:scan:*").Count());

        // What the client reads about the server: CLIENT LIST (parsed), CONFIG GET, INFO, TIME.
        var clients = await server.ClientListAsync();
        Assert.Contains(clients, c => c.Address is not null && c.Id > 0);
        var config = await server.ConfigGetAsync("maxmemory");
        Assert.Equal("0", config.Single().Value);
        var info = await server.InfoAsync("cpu");
        Assert.Contains(info.SelectMany(g => g), pair => pair.Key == "used_cpu_user");
        Assert.InRange(await server.TimeAsync(), DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Lists_hashes_sets_and_sorted_sets_work_through_a_cluster_aware_client_on_every_node()
    {
        await using var redis = await ConnectAsync(2);
        var db = redis.GetDatabase();
        var owners = new HashSet<ushort>();
        for (var i = 0; i < 12; i++)
        {
            var k = $"sec:{i}";
            owners.Add(fixture.Cluster.OwnerOf(System.Text.Encoding.UTF8.GetBytes(k)));
            foreach (var suffix in new[] { ":l", ":h", ":s", ":z" })
                await db.KeyDeleteAsync(k + suffix); // one at a time: the client refuses a multi-slot DEL in cluster mode

            Assert.Equal(3, await db.ListRightPushAsync(k + ":l", ["a", "b", "c"]));
            Assert.Equal(4, await db.ListLeftPushAsync(k + ":l", "z"));
            Assert.Equal(["z", "a", "b", "c"], (await db.ListRangeAsync(k + ":l")).Select(v => (string)v!));
            Assert.Equal("c", (string?)await db.ListRightPopAsync(k + ":l"));
            Assert.Equal(3, await db.ListLengthAsync(k + ":l"));
            Assert.Equal(RedisType.List, await db.KeyTypeAsync(k + ":l"));

            await db.HashSetAsync(k + ":h", [new("f1", "v1"), new("f2", "v2")]);
            Assert.Equal("v2", (string?)await db.HashGetAsync(k + ":h", "f2"));
            Assert.Equal(7, await db.HashIncrementAsync(k + ":h", "n", 7));
            Assert.Equal(3, (await db.HashGetAllAsync(k + ":h")).Length);
            Assert.True(await db.HashDeleteAsync(k + ":h", "f1"));
            Assert.Equal(RedisType.Hash, await db.KeyTypeAsync(k + ":h"));

            Assert.Equal(3, await db.SetAddAsync(k + ":s", ["x", "y", "z"]));
            Assert.True(await db.SetContainsAsync(k + ":s", "y"));
            Assert.True(await db.SetRemoveAsync(k + ":s", "y"));
            Assert.Equal(2, await db.SetLengthAsync(k + ":s"));
            Assert.Equal(RedisType.Set, await db.KeyTypeAsync(k + ":s"));

            Assert.Equal(3, await db.SortedSetAddAsync(k + ":z", [new("m1", 1), new("m2", 2), new("m3", 3)]));
            Assert.Equal(2.5, await db.SortedSetIncrementAsync(k + ":z", "m1", 1.5));
            Assert.Equal(["m2", "m1", "m3"], (await db.SortedSetRangeByRankAsync(k + ":z")).Select(v => (string)v!));
            Assert.Equal(2, await db.SortedSetLengthAsync(k + ":z", 2.5, 3));
            Assert.Equal(1, await db.SortedSetRankAsync(k + ":z", "m1"));
            Assert.Equal(RedisType.SortedSet, await db.KeyTypeAsync(k + ":z"));

            // Redis's exact error for a command against the wrong type.
            var wrong = await Assert.ThrowsAsync<RedisServerException>(() => db.StringGetAsync(k + ":z"));
            Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", wrong.Message);
        }
        Assert.Equal(3, owners.Count);

        // A transaction with a condition on a list (the client insists on one slot, hence the hash tag).
        await db.KeyDeleteAsync(["{sect}l", "{sect}s"]);
        await db.ListRightPushAsync("{sect}l", ["1", "2", "3"]);
        var tran = db.CreateTransaction();
        tran.AddCondition(Condition.ListLengthEqual("{sect}l", 3));
        var push = tran.ListRightPushAsync("{sect}l", "tail");
        var add = tran.SetAddAsync("{sect}s", "w");
        Assert.True(await tran.ExecuteAsync());
        Assert.Equal(4, await push);
        Assert.True(await add);
        var refused = db.CreateTransaction();
        refused.AddCondition(Condition.ListLengthEqual("{sect}l", 3));
        _ = refused.ListRightPushAsync("{sect}l", "never");
        Assert.False(await refused.ExecuteAsync());
        Assert.Equal(4, await db.ListLengthAsync("{sect}l"));
    }

    [Fact]
    public async Task Sort_and_sort_and_store_with_by_and_get_patterns_work_from_StackExchange_Redis()
    {
        // SORT's patterns are not keys to the client: it sends the command to the source's owner, and the weights and
        // names live on every node. SortAndStore's two keys must share a slot for the client, hence the hash tag.
        await using var redis = await ConnectAsync(1);
        var db = redis.GetDatabase();
        var source = "{sesort}items";
        await db.KeyDeleteAsync(source);
        var owners = new HashSet<ushort>();
        for (var i = 0; i < 6; i++)
        {
            Assert.True(await db.StringSetAsync($"seweight:{i}", 60 - (i * 10)));
            await db.HashSetAsync($"seitem:{i}", "name", $"item {i}");
            owners.Add(fixture.Cluster.OwnerOf(System.Text.Encoding.UTF8.GetBytes($"seweight:{i}")));
            await db.ListRightPushAsync(source, i);
        }
        Assert.Equal(3, owners.Count);
        Assert.Equal(["5", "4", "3", "2", "1", "0"], (await db.SortAsync(source, by: "seweight:*")).Select(v => (string)v!));
        Assert.Equal(["4", "item 4", "3", "item 3"],
            (await db.SortAsync(source, skip: 1, take: 2, by: "seweight:*", get: ["#", "seitem:*->name"])).Select(v => (string)v!));
        Assert.Equal(["5", "4", "3"], (await db.SortAsync(source, take: 3, order: Order.Descending, sortType: SortType.Alphabetic)).Select(v => (string)v!));
        Assert.Equal(6, await db.SortAndStoreAsync("{sesort}sorted", source, by: "seweight:*", get: ["seitem:*->name"]));
        Assert.Equal("item 5", (string?)await db.ListGetByIndexAsync("{sesort}sorted", 0));
        Assert.Equal(RedisType.List, await db.KeyTypeAsync("{sesort}sorted"));
        var error = await Assert.ThrowsAsync<RedisServerException>(() => db.SortAsync("{sesort}sorted"));
        Assert.Equal("ERR One or more scores can't be converted into double", error.Message);
    }

    [Fact]
    public async Task Transactions_with_conditions_commit_or_abort_as_a_whole()
    {
        // StackExchange.Redis refuses a transaction over several slots itself (Redis Cluster's rule), so its keys share
        // a hash tag; the tag's slot is owned by node 2 and the client connected through node 0.
        await using var redis = await ConnectAsync(0);
        var db = redis.GetDatabase();
        var tag = "{" + RespCluster.KeyOwnedBy(fixture.Cluster, 2, "setx") + "}";
        var counter = tag + "counter";
        var flag = tag + "flag";
        Assert.True(await db.StringSetAsync(counter, "10"));

        var tran = db.CreateTransaction();
        tran.AddCondition(Condition.StringEqual(counter, "10"));
        tran.AddCondition(Condition.KeyNotExists(flag));
        var incremented = tran.StringIncrementAsync(counter, 5);
        var set = tran.StringSetAsync(flag, "done", TimeSpan.FromSeconds(100));
        Assert.True(await tran.ExecuteAsync().WithinAsync("the transaction"));
        Assert.Equal(15, await incremented);
        Assert.True(await set);
        Assert.InRange((await db.KeyTimeToLiveAsync(flag))!.Value.TotalSeconds, 90, 100);

        // A condition that no longer holds: nothing of the transaction is applied.
        var failing = db.CreateTransaction();
        failing.AddCondition(Condition.StringEqual(counter, "10"));
        _ = failing.StringSetAsync(flag, "again");
        _ = failing.StringIncrementAsync(counter, 100);
        Assert.False(await failing.ExecuteAsync().WithinAsync("the refused transaction"));
        Assert.Equal("done", (string?)await db.StringGetAsync(flag));
        Assert.Equal(15, (long)await db.StringGetAsync(counter));
    }
    [Fact]
    public async Task Scripts_from_ScriptEvaluate_and_prepared_LuaScripts_run_at_their_keys_owner()
    {
        // The client routes a script by its first key (Redis Cluster's rule): the keys share a hash tag owned by node 1.
        await using var redis = await ConnectAsync(0);
        var db = redis.GetDatabase();
        var tag = "{" + RespCluster.KeyOwnedBy(fixture.Cluster, 1, "sescript") + "}";
        RedisKey counter = tag + "n";
        RedisKey label = tag + "label";
        Assert.Equal(15, (long)await db.ScriptEvaluateAsync(
            "redis.call('set', KEYS[1], ARGV[1]) return redis.call('incrby', KEYS[1], ARGV[2])", [counter], [10, 5]));
        var many = (RedisResult[])(await db.ScriptEvaluateAsync(
            "redis.call('set', KEYS[2], 'x') return {KEYS[1], tonumber(redis.call('get', KEYS[1])), redis.call('get', KEYS[2])}", [counter, label]))!;
        Assert.Equal([counter.ToString(), "15", "x"], many.Select(r => r.ToString()).ToArray());

        // A prepared script with named parameters, loaded on every server (SCRIPT LOAD), then run by its SHA-1 (EVALSHA).
        var prepared = LuaScript.Prepare("return redis.call('incrby', @key, @by)");
        LoadedLuaScript? loaded = null;
        foreach (var endpoint in redis.GetEndPoints())
            loaded = await prepared.LoadAsync(redis.GetServer(endpoint));
        Assert.Equal(18, (long)await loaded!.EvaluateAsync(db, new { key = counter, by = 3 }));
        Assert.True(await redis.GetServer(redis.GetEndPoints()[0]).ScriptExistsAsync(loaded.Hash));

        // A command's error inside the script reaches the caller as Redis's error.
        var error = await Assert.ThrowsAsync<RedisServerException>(() => db.ScriptEvaluateAsync("return redis.call('incr', KEYS[1])", [label]));
        Assert.Contains("not an integer", error.Message, StringComparison.Ordinal);
        Assert.Equal("18", (string?)await db.StringGetAsync(counter));
    }
}
