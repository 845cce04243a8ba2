using FastDht.Engine.Client;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// Keyspace notifications (notify-keyspace-events) on a 3-node cluster: the classes, the event names each command sends
/// as redis-server 7.0.15 sends them, and where they are published (the node where the key lives) for every path that
/// changes a key.
/// </summary>
/// <remarks>
/// The cluster is this class's own: its tests change the nodes' notify-keyspace-events. Each test reads the messages in
/// order, so a missing or extra one fails the next comparison; "nothing was sent" is shown by the next message being
/// the one of a later write.
/// </remarks>
public sealed class RespKeyspaceNotificationTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private async Task<RespTestClient> ConnectAsync(int node) => await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, node));

    private static string Bulk(string value) => $"${value.Length}\r\n{value}\r\n";

    private static string PMessage(string pattern, string channel, string payload) => $"*4\r\n$8\r\npmessage\r\n{Bulk(pattern)}{Bulk(channel)}{Bulk(payload)}";

    /// <summary>The keyspace message of <paramref name="key"/>'s <paramref name="name"/> event, as a psubscriber of '*' gets it.</summary>
    private static string Space(string key, string name) => PMessage("*", $"__keyspace@0__:{key}", name);

    /// <summary>The keyevent message.</summary>
    private static string Event(string name, string key) => PMessage("*", $"__keyevent@0__:{name}", key);

    /// <summary>Sets <paramref name="classes"/> on every node.</summary>
    private async Task ConfigureAllAsync(string classes)
    {
        for (var node = 0; node < 3; node++)
        {
            await using var admin = await ConnectAsync(node);
            Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "notify-keyspace-events", classes));
        }
    }

    private static async Task<RespTestClient> SubscribeAsync(RespTestClient client)
    {
        Assert.Equal("*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:1\r\n", await client.CallAsync("PSUBSCRIBE", "*"));
        return client;
    }

    private static async Task ExpectAsync(RespTestClient subscriber, params string[] messages)
    {
        foreach (var message in messages)
            Assert.Equal(message, await subscriber.ReadReplyAsync().WithinAsync($"the message {message.Replace("\r\n", " ")}"));
    }

    [Fact]
    public async Task Config_get_and_set_read_and_write_the_classes_as_redis_does()
    {
        await using var admin = await ConnectAsync(0);
        try
        {
            // Redis's pubsub.tcl "test CONFIG GET/SET of event flags", and its error for a bad letter.
            Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "notify-keyspace-events", "gKE"));
            Assert.Equal("*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\ngKE\r\n", await admin.CallAsync("CONFIG", "GET", "notify-keyspace-events"));
            Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "notify-keyspace-events", "$lshzxeKE"));
            Assert.Equal("*2\r\n$22\r\nnotify-keyspace-events\r\n$9\r\n$lshzxeKE\r\n", await admin.CallAsync("CONFIG", "GET", "notify-keyspace-events"));
            Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "notify-keyspace-events", "KA"));
            Assert.Equal("*2\r\n$22\r\nnotify-keyspace-events\r\n$2\r\nAK\r\n", await admin.CallAsync("CONFIG", "GET", "notify-keyspace-events"));
            // A hides n (Redis prints n only without A), K/E/m follow: redis-server 7.0.15 answers "AEm" here too.
            Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "notify-keyspace-events", "EAnm"));
            Assert.Equal("*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\nAEm\r\n", await admin.CallAsync("CONFIG", "GET", "notify-keyspace-events"));
            Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "notify-keyspace-events", "gnK"));
            Assert.Equal("*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\ngnK\r\n", await admin.CallAsync("CONFIG", "GET", "notify-keyspace-events"));
            Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.\r\n",
                await admin.CallAsync("CONFIG", "SET", "notify-keyspace-events", "KEq"));
            Assert.Equal("*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\ngnK\r\n", await admin.CallAsync("CONFIG", "GET", "notify-keyspace-events")); // unchanged
            Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "notify-keyspace-events", ""));
            Assert.Equal("*2\r\n$22\r\nnotify-keyspace-events\r\n$0\r\n\r\n", await admin.CallAsync("CONFIG", "GET", "notify-keyspace-events"));
        }
        finally
        {
            await admin.CallAsync("CONFIG", "SET", "notify-keyspace-events", "");
        }
    }

    [Fact]
    public async Task Each_command_sends_the_events_redis_sends_at_the_keys_node()
    {
        var tag = "{" + RespCluster.KeyOwnedBy(Cluster, 0, "ntf") + "}";
        string K(string name) => tag + name;
        await ConfigureAllAsync("KEA");
        try
        {
            await using var subscriber = await SubscribeAsync(await ConnectAsync(0));
            await using var client = await ConnectAsync(0);
            await client.CallAsync("DEL", K("s"), K("l"), K("l2"), K("h"), K("z"), K("set"), K("dst"), K("n"));

            Assert.Equal("+OK\r\n", await client.CallAsync("SET", K("s"), "v", "EX", "100"));
            await ExpectAsync(subscriber, Space(K("s"), "set"), Event("set", K("s")), Space(K("s"), "expire"), Event("expire", K("s")));
            Assert.Equal(":1\r\n", await client.CallAsync("PERSIST", K("s")));
            await ExpectAsync(subscriber, Space(K("s"), "persist"), Event("persist", K("s")));
            Assert.Equal(":2\r\n", await client.CallAsync("APPEND", K("s"), "w"));
            await ExpectAsync(subscriber, Space(K("s"), "append"), Event("append", K("s")));
            Assert.Equal("$2\r\nvw\r\n", await client.CallAsync("GETDEL", K("s")));
            await ExpectAsync(subscriber, Space(K("s"), "del"), Event("del", K("s")));
            Assert.Equal(":1\r\n", await client.CallAsync("INCR", K("n")));
            await ExpectAsync(subscriber, Space(K("n"), "incrby"), Event("incrby", K("n")));
            Assert.Equal(":1\r\n", await client.CallAsync("EXPIRE", K("n"), "-1")); // a time past removes the key: "del"
            await ExpectAsync(subscriber, Space(K("n"), "del"), Event("del", K("n")));

            // Lists: LMOVE sends the push, then the pop, then the source's removal (Redis's order).
            Assert.Equal(":1\r\n", await client.CallAsync("RPUSH", K("l"), "a"));
            await ExpectAsync(subscriber, Space(K("l"), "rpush"), Event("rpush", K("l")));
            Assert.Equal("$1\r\na\r\n", await client.CallAsync("LMOVE", K("l"), K("l2"), "LEFT", "RIGHT"));
            await ExpectAsync(subscriber, Space(K("l2"), "rpush"), Event("rpush", K("l2")), Space(K("l"), "lpop"), Event("lpop", K("l")),
                Space(K("l"), "del"), Event("del", K("l")));
            Assert.Equal("+OK\r\n", await client.CallAsync("LTRIM", K("l2"), "0", "-1")); // nothing trimmed: still sent
            await ExpectAsync(subscriber, Space(K("l2"), "ltrim"), Event("ltrim", K("l2")));
            Assert.Equal("$1\r\na\r\n", await client.CallAsync("LMOVE", K("l2"), K("l2"), "LEFT", "RIGHT")); // onto itself: never emptied
            await ExpectAsync(subscriber, Space(K("l2"), "rpush"), Event("rpush", K("l2")), Space(K("l2"), "lpop"), Event("lpop", K("l2")));

            // Hashes, sets, sorted sets: a command that changes nothing sends nothing.
            Assert.Equal("+OK\r\n", await client.CallAsync("HMSET", K("h"), "f", "1"));
            Assert.Equal(":0\r\n", await client.CallAsync("HDEL", K("h"), "nope"));
            Assert.Equal(":11\r\n", await client.CallAsync("HINCRBY", K("h"), "f", "10"));
            await ExpectAsync(subscriber, Space(K("h"), "hset"), Event("hset", K("h")), Space(K("h"), "hincrby"), Event("hincrby", K("h")));
            Assert.Equal(":1\r\n", await client.CallAsync("SADD", K("set"), "a"));
            Assert.Equal(":0\r\n", await client.CallAsync("SADD", K("set"), "a"));
            Assert.Equal(":1\r\n", await client.CallAsync("SREM", K("set"), "a"));
            await ExpectAsync(subscriber, Space(K("set"), "sadd"), Event("sadd", K("set")), Space(K("set"), "srem"), Event("srem", K("set")),
                Space(K("set"), "del"), Event("del", K("set")));
            Assert.Equal(":1\r\n", await client.CallAsync("ZADD", K("z"), "1", "a"));
            Assert.Equal("$1\r\n3\r\n", await client.CallAsync("ZINCRBY", K("z"), "2", "a"));
            Assert.Equal(":1\r\n", await client.CallAsync("ZREMRANGEBYSCORE", K("z"), "0", "10"));
            await ExpectAsync(subscriber, Space(K("z"), "zadd"), Event("zadd", K("z")), Space(K("z"), "zincr"), Event("zincr", K("z")),
                Space(K("z"), "zremrangebyscore"), Event("zremrangebyscore", K("z")), Space(K("z"), "del"), Event("del", K("z")));

            // A *STORE with an empty result: "del" only when it removed a destination.
            Assert.Equal(":0\r\n", await client.CallAsync("SINTERSTORE", K("dst"), K("set"), K("nothing")));
            Assert.Equal("+OK\r\n", await client.CallAsync("SET", K("dst"), "x"));
            Assert.Equal(":0\r\n", await client.CallAsync("SINTERSTORE", K("dst"), K("set"), K("nothing")));
            await ExpectAsync(subscriber, Space(K("dst"), "set"), Event("set", K("dst")), Space(K("dst"), "del"), Event("del", K("dst")));

            // RENAME (a one-command transaction): rename_from, then rename_to, published once it has committed.
            Assert.Equal("+OK\r\n", await client.CallAsync("SET", K("s"), "1"));
            Assert.Equal("+OK\r\n", await client.CallAsync("RENAME", K("s"), K("s2")));
            await ExpectAsync(subscriber, Space(K("s"), "set"), Event("set", K("s")), Space(K("s"), "rename_from"), Event("rename_from", K("s")),
                Space(K("s2"), "rename_to"), Event("rename_to", K("s2")));
        }
        finally
        {
            await ConfigureAllAsync("");
        }
    }

    [Fact]
    public async Task Events_are_published_where_the_key_lives_whatever_the_path_that_changed_it()
    {
        var key = RespCluster.KeyOwnedBy(Cluster, 0, "ntp");
        var elsewhereKey = RespCluster.KeyOwnedBy(Cluster, 1, "ntp");
        await ConfigureAllAsync("E$g");
        try
        {
            await using var owner = await SubscribeAsync(await ConnectAsync(0));
            await using var other = await SubscribeAsync(await ConnectAsync(1));
            await using var remote = await ConnectAsync(1);
            await using var local = await ConnectAsync(0);

            // A command sent to another node is forwarded to the owner, which publishes; the node it was sent to does
            // not: the first message node 1's subscriber gets is the one of node 1's own key, written after.
            Assert.Equal("+OK\r\n", await remote.CallAsync("SET", key, "1"));
            await ExpectAsync(owner, Event("set", key));
            Assert.Equal("+OK\r\n", await remote.CallAsync("SET", elsewhereKey, "1"));
            await ExpectAsync(other, Event("set", elsewhereKey));

            // MULTI/EXEC and a script: their commands' events, in order, once the transaction has committed.
            Assert.Equal("+OK\r\n", await local.CallAsync("MULTI"));
            Assert.Equal("+QUEUED\r\n", await local.CallAsync("INCRBY", key, "2"));
            Assert.Equal("+QUEUED\r\n", await local.CallAsync("DEL", key));
            Assert.Equal("*2\r\n:3\r\n:1\r\n", await local.CallAsync("EXEC"));
            await ExpectAsync(owner, Event("incrby", key), Event("del", key));
            Assert.Equal(":5\r\n", await local.CallAsync("EVAL", "redis.call('set', KEYS[1], '4') return redis.call('incr', KEYS[1])", "1", key));
            await ExpectAsync(owner, Event("set", key), Event("incrby", key));

            // The native protocol: a put is "set", a delete "del", at the owner, whatever node the client reached.
            var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName };
            options.Seeds.Add(Cluster.EndPointOf(1).ToString());
            await using (var native = await DhtClient.ConnectAsync(options))
            {
                await native.PutAsync(key, "6");
                Assert.True(await native.DeleteAsync(key));
            }
            await ExpectAsync(owner, Event("set", key), Event("del", key));

            // Expiry: the key goes by itself (the active pass), "expired" at its node.
            await ConfigureAllAsync("Ex");
            Assert.Equal("+OK\r\n", await local.CallAsync("PSETEX", key, "1", "v"));
            await ExpectAsync(owner, Event("expired", key));

            // Off: nothing is sent; the next message is the one of a write after notifications are on again.
            await ConfigureAllAsync("");
            Assert.Equal("+OK\r\n", await local.CallAsync("SET", key, "off"));
            Assert.Equal(":1\r\n", await local.CallAsync("DEL", key));
            await ConfigureAllAsync("En");
            Assert.Equal("+OK\r\n", await local.CallAsync("SET", key, "new"));
            Assert.Equal("+OK\r\n", await local.CallAsync("SET", key, "not new"));
            Assert.Equal(":1\r\n", await local.CallAsync("DEL", key));
            Assert.Equal(":1\r\n", await local.CallAsync("LPUSH", key, "new again"));
            await ExpectAsync(owner, Event("new", key), Event("new", key));
        }
        finally
        {
            await ConfigureAllAsync("");
        }
    }
}
