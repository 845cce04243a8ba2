using System.Text;
using FastDht.Engine.Client;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// CLIENT TRACKING (client-side caching) on a 3-node cluster: a reader is told of every change of a key it read,
/// whatever the path of the change; replies and errors as redis-server 7.0.15 gives them.
/// </summary>
public sealed class RespTrackingTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private async Task<RespTestClient> ConnectAsync(int node, bool resp3 = false)
    {
        var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, node));
        if (resp3)
            Assert.StartsWith("%", await c.CallAsync("HELLO", "3"), StringComparison.Ordinal);
        return c;
    }

    private static string Push(string key) => $">2\r\n$10\r\ninvalidate\r\n*1\r\n${key.Length}\r\n{key}\r\n";

    private static string Bulk(string value) => $"${value.Length}\r\n{value}\r\n";

    [Fact]
    public async Task A_reader_is_told_of_each_change_of_a_key_it_read_by_every_write_path()
    {
        var key = RespCluster.KeyOwnedBy(Cluster, 0, "trk:paths");
        await using var reader = await ConnectAsync(0, resp3: true);
        await using var local = await ConnectAsync(0);
        await using var remote = await ConnectAsync(1); // its writes are forwarded to node 0
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "TRACKING", "ON"));

        // Each round: read (remembered), change by one path, then the invalidation is the next thing the reader gets.
        async Task ChangedByAsync(string what, Func<Task> change)
        {
            await reader.CallAsync("GET", key);
            await change();
            Assert.True(Push(key) == await reader.ReadReplyAsync().WithinAsync(what), what);
        }

        await ChangedByAsync("a write at the owner", async () => Assert.Equal("+OK\r\n", await local.CallAsync("SET", key, "1")));
        await ChangedByAsync("a write forwarded from another node", async () => Assert.Equal("+OK\r\n", await remote.CallAsync("SET", key, "2")));
        await ChangedByAsync("a delete", async () => Assert.Equal(":1\r\n", await local.CallAsync("DEL", key)));
        await ChangedByAsync("an expiry set", async () =>
        {
            Assert.Equal("+OK\r\n", await remote.CallAsync("SET", key, "3"));
            Assert.Equal(Push(key), await reader.ReadReplyAsync());
            await reader.CallAsync("GET", key);
            Assert.Equal(":1\r\n", await remote.CallAsync("EXPIRE", key, "1000"));
        });
        await ChangedByAsync("MULTI/EXEC through another node", async () =>
        {
            Assert.Equal("+OK\r\n", await remote.CallAsync("MULTI"));
            Assert.Equal("+QUEUED\r\n", await remote.CallAsync("SET", key, "4"));
            Assert.Equal("*1\r\n+OK\r\n", await remote.CallAsync("EXEC"));
        });
        await ChangedByAsync("a script", async () =>
            Assert.Equal("+OK\r\n", await remote.CallAsync("EVAL", "return redis.call('set', KEYS[1], '5')", "1", key)));
        await ChangedByAsync("the native protocol", async () =>
        {
            var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName };
            options.Seeds.Add(Cluster.EndPointOf(1).ToString());
            await using var native = await DhtClient.ConnectAsync(options);
            await native.PutAsync(key, "6");
        });
        // Expiry: the key goes by itself, and its removal is a change like any other. A read that still saw the value
        // was remembered before the removal, so the removal must reach the reader; a read that came too late (the key
        // already gone: nothing left to invalidate) is tried again with a new key value.
        var sawValue = false;
        for (var round = 0; round < 10 && !sawValue; round++)
        {
            Assert.Equal("+OK\r\n", await local.CallAsync("SET", key, "7", "PX", "300"));
            if (round > 0)
            {
                // The last round's read was remembered: its key's removal or this write (whichever came after) was sent.
                Assert.Equal(Push(key), await reader.ReadReplyAsync().WithinAsync("the last round's invalidation"));
            }
            sawValue = await reader.CallAsync("GET", key) == Bulk("7");
            if (sawValue)
                Assert.Equal(Push(key), await reader.ReadReplyAsync().WithinAsync("the expiry's invalidation"));
        }
        Assert.True(sawValue, "no read saw the value before it expired in 10 rounds");
        // Nothing else was queued for the reader: its next reply is its own.
        Assert.Equal("+PONG\r\n", await reader.CallAsync("PING"));
    }

    [Fact]
    public async Task A_tracked_read_of_another_nodes_key_is_moved_there_and_tracked_at_its_owner()
    {
        var key = RespCluster.KeyOwnedBy(Cluster, 1, "trk:moved");
        await using var reader = await ConnectAsync(0, resp3: true);
        await using var writer = await ConnectAsync(2);
        Assert.Equal("+OK\r\n", await writer.CallAsync("SET", key, "v"));
        // Without tracking the read is forwarded, as for any client of a FastDht node.
        Assert.Equal(Bulk("v"), await reader.CallAsync("GET", key));
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "TRACKING", "ON"));
        var moved = await reader.CallAsync("GET", key);
        var owner = RespCluster.RespOf(Cluster, 1);
        Assert.EndsWith($" {owner.Address}:{owner.Port}\r\n", moved, StringComparison.Ordinal);
        Assert.StartsWith("-MOVED ", moved, StringComparison.Ordinal);
        // Keys of two nodes in one tracked read: CROSSSLOT, as Redis Cluster answers.
        var mine = RespCluster.KeyOwnedBy(Cluster, 0, "trk:moved");
        Assert.StartsWith("-CROSSSLOT ", await reader.CallAsync("MGET", mine, key), StringComparison.Ordinal);

        // At the owner the read is tracked, and a write through a third node reaches the reader.
        await using var atOwner = await ConnectAsync(1, resp3: true);
        Assert.Equal("+OK\r\n", await atOwner.CallAsync("CLIENT", "TRACKING", "ON"));
        Assert.Equal(Bulk("v"), await atOwner.CallAsync("GET", key));
        Assert.Equal("+OK\r\n", await writer.CallAsync("SET", key, "w"));
        Assert.Equal(Push(key), await atOwner.ReadReplyAsync());
    }

    [Fact]
    public async Task Broadcast_mode_sends_changes_of_keys_under_its_prefixes_only()
    {
        await using var reader = await ConnectAsync(0, resp3: true);
        await using var writer = await ConnectAsync(1);
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "bc:a", "PREFIX", "bc:b"));
        var other = RespCluster.KeyOwnedBy(Cluster, 0, "bc:c");
        var first = RespCluster.KeyOwnedBy(Cluster, 0, "bc:a");
        var second = RespCluster.KeyOwnedBy(Cluster, 0, "bc:b");
        Assert.Equal("+OK\r\n", await writer.CallAsync("SET", other, "x")); // no prefix of the reader: nothing
        Assert.Equal("+OK\r\n", await writer.CallAsync("SET", first, "x"));
        Assert.Equal("+OK\r\n", await writer.CallAsync("SET", second, "x"));
        Assert.Equal(Push(first), await reader.ReadReplyAsync());
        Assert.Equal(Push(second), await reader.ReadReplyAsync());
        Assert.Equal("%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*2\r\n$4\r\nbc:a\r\n$4\r\nbc:b\r\n",
            await reader.CallAsync("CLIENT", "TRACKINGINFO"));
        Assert.Equal("-ERR Prefix 'bc:ab' overlaps with an existing prefix 'bc:a'. Prefixes for a single client must not overlap.\r\n",
            await reader.CallAsync("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "bc:ab"));
        Assert.Equal("-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n",
            await reader.CallAsync("CLIENT", "TRACKING", "ON"));
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "TRACKING", "OFF"));
        Assert.Equal("+OK\r\n", await writer.CallAsync("SET", first, "y")); // tracking off: nothing
        Assert.Equal("+PONG\r\n", await reader.CallAsync("PING"));
    }

    [Fact]
    public async Task Broadcast_mode_gathers_the_keys_of_one_command_or_transaction_per_prefix()
    {
        // Keys of one slot (one hash tag) owned by node 0, where the broadcasting reader is; written through node 1.
        var tag = "{" + RespCluster.KeyOwnedBy(Cluster, 0, "grp") + "}";
        string Key(string name) => "gp:" + name + tag;
        static string Keys(params string[] keys) =>
            $">2\r\n$10\r\ninvalidate\r\n*{keys.Length}\r\n" + string.Concat(keys.Select(k => $"${k.Length}\r\n{k}\r\n"));
        await using var reader = await ConnectAsync(0, resp3: true);
        await using var writer = await ConnectAsync(1);
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "gp:a", "PREFIX", "gp:b"));

        // MSET of three keys under one prefix (one of them twice) and one under none: one message, each key once.
        Assert.Equal("+OK\r\n", await writer.CallAsync("MSET", Key("a1"), "1", Key("a2"), "2", Key("a1"), "3", Key("c1"), "4"));
        Assert.Equal(Keys(Key("a1"), Key("a2")), await reader.ReadReplyAsync().WithinAsync("the MSET's invalidation"));

        // A transaction over two prefixes: one message per prefix (as Redis: "two separated notifications").
        Assert.Equal("+OK\r\n", await writer.CallAsync("MULTI"));
        foreach (var name in new[] { "a1", "b1", "a3", "c1" })
            Assert.Equal("+QUEUED\r\n", await writer.CallAsync("INCR", Key(name)));
        Assert.Equal("*4\r\n:4\r\n:1\r\n:1\r\n:5\r\n", await writer.CallAsync("EXEC"));
        var messages = new List<string>
        {
            await reader.ReadReplyAsync().WithinAsync("the first prefix's invalidation"),
            await reader.ReadReplyAsync().WithinAsync("the second prefix's invalidation"),
        };
        Assert.Contains(Keys(Key("b1")), messages);
        Assert.True(messages.Contains(Keys(Key("a1"), Key("a3"))) || messages.Contains(Keys(Key("a3"), Key("a1"))), string.Join(" | ", messages));

        // Single writes stay one message each, and nothing else was sent.
        Assert.Equal("+OK\r\n", await writer.CallAsync("SET", Key("b2"), "x"));
        Assert.Equal(Keys(Key("b2")), await reader.ReadReplyAsync().WithinAsync("the SET's invalidation"));
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "TRACKING", "OFF"));
        Assert.Equal("+PONG\r\n", await reader.CallAsync("PING"));
    }

    [Fact]
    public async Task Optin_tracks_only_after_caching_yes_and_noloop_skips_the_readers_own_writes()
    {
        var untracked = RespCluster.KeyOwnedBy(Cluster, 0, "trk:optin:a");
        var tracked = RespCluster.KeyOwnedBy(Cluster, 0, "trk:optin:b");
        await using var reader = await ConnectAsync(0, resp3: true);
        await using var writer = await ConnectAsync(0);
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "TRACKING", "ON", "OPTIN", "NOLOOP"));
        await reader.CallAsync("GET", untracked);
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "CACHING", "YES"));
        Assert.Equal("%3\r\n$5\r\nflags\r\n~4\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n",
            await reader.CallAsync("CLIENT", "TRACKINGINFO"));
        await reader.CallAsync("GET", tracked);
        // CACHING applied to that one command only.
        Assert.Equal("~3\r\n$2\r\non\r\n$5\r\noptin\r\n$6\r\nnoloop\r\n", FlagsOf(await reader.CallAsync("CLIENT", "TRACKINGINFO")));
        // NOLOOP: the reader's own change is not sent back to it (else it would come before the GET's reply).
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "CACHING", "YES"));
        Assert.Equal("+OK\r\n", await reader.CallAsync("SET", tracked, "mine"));
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "CACHING", "YES"));
        Assert.Equal(Bulk("mine"), await reader.CallAsync("GET", tracked));
        Assert.Equal("+OK\r\n", await writer.CallAsync("SET", untracked, "x"));
        Assert.Equal("+OK\r\n", await writer.CallAsync("SET", tracked, "x"));
        Assert.Equal(Push(tracked), await reader.ReadReplyAsync());
    }

    [Fact]
    public async Task Optout_tracks_every_read_but_those_after_caching_no()
    {
        var skipped = RespCluster.KeyOwnedBy(Cluster, 0, "trk:optout:a");
        var tracked = RespCluster.KeyOwnedBy(Cluster, 0, "trk:optout:b");
        await using var reader = await ConnectAsync(0, resp3: true);
        await using var writer = await ConnectAsync(0);
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "TRACKING", "ON", "OPTOUT"));
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "CACHING", "NO"));
        await reader.CallAsync("GET", skipped);
        await reader.CallAsync("GET", tracked);
        Assert.Equal("+OK\r\n", await writer.CallAsync("SET", skipped, "x"));
        Assert.Equal("+OK\r\n", await writer.CallAsync("SET", tracked, "x"));
        Assert.Equal(Push(tracked), await reader.ReadReplyAsync());
        Assert.Equal("-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.\r\n", await reader.CallAsync("CLIENT", "CACHING", "YES"));
    }

    [Fact]
    public async Task A_resp2_reader_redirects_to_a_subscribed_connection_and_learns_when_it_is_gone()
    {
        var key = RespCluster.KeyOwnedBy(Cluster, 0, "trk:redirect");
        await using var reader = await ConnectAsync(0);
        await using var writer = await ConnectAsync(1);
        long listenerId;
        await using (var listener = await ConnectAsync(0))
        {
            listenerId = long.Parse((await listener.CallAsync("CLIENT", "ID")).AsSpan(1).TrimEnd("\r\n"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal("*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n", await listener.CallAsync("SUBSCRIBE", "__redis__:invalidate"));
            Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "TRACKING", "ON", "REDIRECT", listenerId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Equal($":{listenerId}\r\n", await reader.CallAsync("CLIENT", "GETREDIR"));
            Assert.Contains(" flags=t ", await reader.CallAsync("CLIENT", "INFO"), StringComparison.Ordinal);
            Assert.Contains($" redir={listenerId} ", await reader.CallAsync("CLIENT", "INFO"), StringComparison.Ordinal);
            await reader.CallAsync("GET", key);
            Assert.Equal("+OK\r\n", await writer.CallAsync("SET", key, "1"));
            Assert.Equal($"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n{Bulk(key)}", await listener.ReadReplyAsync());
            // FLUSHALL: one null for everything.
            Assert.Equal("+OK\r\n", await writer.CallAsync("FLUSHALL"));
            Assert.Equal("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n", await listener.ReadReplyAsync());
        }
        await Bounded.UntilAsync(async () => !(await reader.CallAsync("CLIENT", "LIST")).Contains($"id={listenerId} ", StringComparison.Ordinal), "the listener's close to be seen");
        await reader.CallAsync("GET", key);
        Assert.Equal("+OK\r\n", await writer.CallAsync("SET", key, "2"));
        Assert.Equal($"*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n$8\r\nredirect\r\n:{listenerId}\r\n$8\r\nprefixes\r\n*0\r\n",
            await reader.CallAsync("CLIENT", "TRACKINGINFO"));
        Assert.Contains(" flags=tR ", await reader.CallAsync("CLIENT", "INFO"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_and_reports_are_redis_7_0s()
    {
        await using var c = await ConnectAsync(0);
        Assert.Equal("-ERR wrong number of arguments for 'client|tracking' command\r\n", await c.CallAsync("CLIENT", "TRACKING"));
        Assert.Equal("-ERR wrong number of arguments for 'client|caching' command\r\n", await c.CallAsync("CLIENT", "CACHING"));
        Assert.Equal("-ERR wrong number of arguments for 'client|getredir' command\r\n", await c.CallAsync("CLIENT", "GETREDIR", "x"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("CLIENT", "TRACKING", "maybe"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("CLIENT", "TRACKING", "on", "redirect"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("CLIENT", "TRACKING", "on", "nosuch"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("CLIENT", "TRACKING", "on", "redirect", "x"));
        Assert.Equal("-ERR The client ID you want redirect to does not exist\r\n", await c.CallAsync("CLIENT", "TRACKING", "on", "redirect", "999999999"));
        Assert.Equal("-ERR PREFIX option requires BCAST mode to be enabled\r\n", await c.CallAsync("CLIENT", "TRACKING", "on", "prefix", "a"));
        Assert.Equal("-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n", await c.CallAsync("CLIENT", "TRACKING", "on", "bcast", "optin"));
        Assert.Equal("-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n", await c.CallAsync("CLIENT", "TRACKING", "on", "optin", "optout"));
        Assert.Equal("-ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap.\r\n",
            await c.CallAsync("CLIENT", "TRACKING", "on", "bcast", "prefix", "a", "prefix", "ab"));
        Assert.Equal("-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n", await c.CallAsync("CLIENT", "CACHING", "yes"));
        Assert.Equal(":-1\r\n", await c.CallAsync("CLIENT", "GETREDIR"));
        Assert.Equal("*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n", await c.CallAsync("CLIENT", "TRACKINGINFO"));
        Assert.Equal("+OK\r\n", await c.CallAsync("CLIENT", "TRACKING", "on", "optin"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("CLIENT", "CACHING", "maybe"));
        Assert.Equal("-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n", await c.CallAsync("CLIENT", "CACHING", "no"));
        Assert.Equal("-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.\r\n",
            await c.CallAsync("CLIENT", "TRACKING", "on", "optout"));
        Assert.Equal(":0\r\n", await c.CallAsync("CLIENT", "GETREDIR"));
        // RESET turns tracking off, as in Redis.
        Assert.Equal("+RESET\r\n", await c.CallAsync("RESET"));
        Assert.Equal(":-1\r\n", await c.CallAsync("CLIENT", "GETREDIR"));
        Assert.Contains("$15\r\nclient|tracking\r\n:-3\r\n*3\r\n+noscript\r\n+loading\r\n+stale\r\n", await c.CallAsync("COMMAND", "INFO", "client|tracking"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StackExchange_Redis_writes_through_any_node_invalidate_a_readers_cache()
    {
        var ep = RespCluster.RespOf(Cluster, 2);
        var options = new StackExchange.Redis.ConfigurationOptions
        {
            EndPoints = { { ep.Address.ToString(), ep.Port } },
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
            AbortOnConnectFail = true,
        };
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options).WithinAsync("StackExchange.Redis to connect");
        var db = redis.GetDatabase();
        var key = RespCluster.KeyOwnedBy(Cluster, 1, "trk:se");
        await using var reader = await ConnectAsync(1, resp3: true);
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "TRACKING", "ON"));

        await reader.CallAsync("GET", key);
        Assert.True(await db.StringSetAsync(key, "1"));
        Assert.Equal(Push(key), await reader.ReadReplyAsync());
        await reader.CallAsync("GET", key);
        var transaction = db.CreateTransaction();
        _ = transaction.StringIncrementAsync(key);
        Assert.True(await transaction.ExecuteAsync());
        Assert.Equal(Push(key), await reader.ReadReplyAsync());
        await reader.CallAsync("GET", key);
        Assert.True(await db.KeyDeleteAsync(key));
        Assert.Equal(Push(key), await reader.ReadReplyAsync());
        // A hash read with HGETALL is tracked the same way.
        Assert.Equal("%0\r\n", await reader.CallAsync("HGETALL", key));
        await db.HashSetAsync(key, "f", "v");
        Assert.Equal(Push(key), await reader.ReadReplyAsync());
    }

    [Fact]
    public async Task A_slot_moved_away_invalidates_its_tracked_keys_and_ends_its_shard_subscriptions()
    {
        await using var cluster = await RespCluster.StartAsync(2);
        var key = RespCluster.KeyOwnedBy(cluster, 0, "trk:move");
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(key));
        var channel = "{" + key + "}ch"; // the key's slot
        await using var reader = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.StartsWith("%", await reader.CallAsync("HELLO", "3"), StringComparison.Ordinal);
        Assert.Equal("+OK\r\n", await reader.CallAsync("SET", key, "v"));
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "TRACKING", "ON"));
        Assert.Equal(Bulk("v"), await reader.CallAsync("GET", key));
        await using var subscriber = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal($"*3\r\n$10\r\nssubscribe\r\n{Bulk(channel)}:1\r\n", await subscriber.CallAsync("SSUBSCRIBE", channel));

        await cluster[0].MoveSlotsAsync(slot, slot, 1).WithinAsync("the slot's move");

        // Its changes happen at node 1 from now on, where nobody remembered the key: invalidated at the handover.
        Assert.Equal(Push(key), await reader.ReadReplyAsync().WithinAsync("the handover's invalidation"));
        Assert.Equal($"*3\r\n$12\r\nsunsubscribe\r\n{Bulk(channel)}:0\r\n", await subscriber.ReadReplyAsync().WithinAsync("the shard channel's end"));
        // A read that met the end of the handover may have been remembered here once more before it was sent on, so
        // the drop of node 0's copy may still send one invalidation: the read's own reply is the first non-push.
        var reply = await reader.CallAsync("GET", key);
        if (reply.StartsWith('>'))
            reply = await reader.ReadReplyAsync();
        Assert.StartsWith("-MOVED ", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_table_keeps_to_tracking_table_max_keys_and_invalidates_what_it_evicts()
    {
        await using var cluster = await RespCluster.StartAsync(1);
        await using var reader = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        await using var admin = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.StartsWith("%", await reader.CallAsync("HELLO", "3"), StringComparison.Ordinal);
        Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "tracking-table-max-keys", "2"));
        Assert.Equal("*2\r\n$23\r\ntracking-table-max-keys\r\n$1\r\n2\r\n", await admin.CallAsync("CONFIG", "GET", "tracking-table-max-keys"));
        Assert.Equal("+OK\r\n", await reader.CallAsync("CLIENT", "TRACKING", "ON"));
        string[] keys = ["ev:1", "ev:2", "ev:3", "ev:4"];
        await reader.SendAsync(string.Concat(keys.Select(k => RespTestClient.Encode("GET", k))));
        // Four replies and, past the bound, one eviction each for the third and fourth key: two invalidations of two of
        // the keys read before (never the one being read), in any order among the replies.
        var invalidated = new HashSet<string>();
        var replies = 0;
        for (var i = 0; i < keys.Length + 2; i++)
        {
            var message = await reader.ReadReplyAsync();
            if (message.StartsWith('>'))
                Assert.True(invalidated.Add(message), $"twice: {message}");
            else
                replies++;
        }
        Assert.Equal(4, replies);
        Assert.Equal(2, invalidated.Count);
        Assert.DoesNotContain(Push("ev:4"), invalidated);
        Assert.Contains("tracking_total_keys:2\r\n", await admin.CallAsync("INFO", "stats"), StringComparison.Ordinal);
        Assert.Contains("tracking_clients:1\r\n", await admin.CallAsync("INFO", "clients"), StringComparison.Ordinal);
    }

    /// <summary>The flags set of a RESP3 TRACKINGINFO reply.</summary>
    private static string FlagsOf(string info)
    {
        var start = info.IndexOf('~', StringComparison.Ordinal);
        var end = info.IndexOf("$8\r\nredirect", StringComparison.Ordinal);
        return info[start..end];
    }
}
