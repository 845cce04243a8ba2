using FastDht.TestUtilities;
using StackExchange.Redis;

namespace FastDht.Engine.Tests.Resp;

/// <summary>PUBSUB's reports and sharded pub/sub (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH) on a 3-node cluster, in redis-server 7.0.15's bytes.</summary>
public sealed class RespPubSubTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private async Task<RespTestClient> ConnectAsync(int node) => await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, node));

    private static string Bulk(string value) => $"${value.Length}\r\n{value}\r\n";

    [Fact]
    public async Task Pubsub_reports_the_subscriptions_of_the_node_asked()
    {
        await using var subscriber = await ConnectAsync(0);
        await using var asker = await ConnectAsync(0);
        await using var elsewhere = await ConnectAsync(1);
        Assert.Equal("*3\r\n$9\r\nsubscribe\r\n$5\r\nps:c1\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$5\r\nps:c2\r\n:2\r\n",
            await subscriber.CallAsync("SUBSCRIBE", "ps:c1", "ps:c2") + await subscriber.ReadReplyAsync());
        Assert.Equal("*3\r\n$10\r\npsubscribe\r\n$4\r\nps:*\r\n:3\r\n", await subscriber.CallAsync("PSUBSCRIBE", "ps:*"));
        Assert.Equal("*1\r\n$5\r\nps:c1\r\n", await asker.CallAsync("PUBSUB", "CHANNELS", "ps:c1"));
        Assert.Equal(2, CountOf(await asker.CallAsync("PUBSUB", "CHANNELS", "ps:*")));
        Assert.Equal("*4\r\n$5\r\nps:c1\r\n:1\r\n$4\r\nnope\r\n:0\r\n", await asker.CallAsync("PUBSUB", "NUMSUB", "ps:c1", "nope"));
        Assert.Equal(":1\r\n", await asker.CallAsync("PUBSUB", "NUMPAT"));
        Assert.Equal("*0\r\n", await elsewhere.CallAsync("PUBSUB", "CHANNELS", "ps:*")); // per node, as Redis Cluster
        // UNSUBSCRIBE with no channel leaves the channels only; the pattern stays (Redis's count: what is left).
        Assert.Equal("*3\r\n$11\r\nunsubscribe\r\n", (await subscriber.CallAsync("UNSUBSCRIBE"))[..22]);
        Assert.Equal("*3\r\n$11\r\nunsubscribe\r\n", (await subscriber.ReadReplyAsync())[..22]);
        Assert.Equal("*0\r\n", await asker.CallAsync("PUBSUB", "CHANNELS", "ps:*"));
        Assert.Equal(":1\r\n", await asker.CallAsync("PUBSUB", "NUMPAT"));
        Assert.Equal("+RESET\r\n", await subscriber.CallAsync("RESET"));
        Assert.Equal(":0\r\n", await asker.CallAsync("PUBSUB", "NUMPAT"));
        // Errors as Redis 7.0.15's.
        Assert.Equal("-ERR wrong number of arguments for 'pubsub' command\r\n", await asker.CallAsync("PUBSUB"));
        Assert.Equal("-ERR wrong number of arguments for 'pubsub|numpat' command\r\n", await asker.CallAsync("PUBSUB", "NUMPAT", "x"));
        Assert.Equal("-ERR unknown subcommand 'NOSUCH'. Try PUBSUB HELP.\r\n", await asker.CallAsync("PUBSUB", "NOSUCH"));
        Assert.Equal("-ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.\r\n", await asker.CallAsync("PUBSUB", "channels", "a", "b"));
    }

    [Fact]
    public async Task Shard_channels_live_at_their_slots_owner()
    {
        var channel = RespCluster.KeyOwnedBy(Cluster, 1, "sch");
        var other = RespCluster.KeyOwnedBy(Cluster, 1, "sch2");
        await using var subscriber = await ConnectAsync(1);
        await using var resp3 = await ConnectAsync(1);
        Assert.StartsWith("%", await resp3.CallAsync("HELLO", "3"), StringComparison.Ordinal);
        await using var publisher = await ConnectAsync(1);
        await using var elsewhere = await ConnectAsync(0);
        Assert.Equal($"*3\r\n$10\r\nssubscribe\r\n{Bulk(channel)}:1\r\n", await subscriber.CallAsync("SSUBSCRIBE", channel));
        Assert.Equal($">3\r\n$10\r\nssubscribe\r\n{Bulk(channel)}:1\r\n", await resp3.CallAsync("SSUBSCRIBE", channel));
        // Shard channels count apart from channels, as in Redis.
        Assert.Equal("*3\r\n$9\r\nsubscribe\r\n$5\r\nsch:x\r\n:1\r\n", await subscriber.CallAsync("SUBSCRIBE", "sch:x"));
        Assert.Equal(":2\r\n", await publisher.CallAsync("SPUBLISH", channel, "hello"));
        Assert.Equal($"*3\r\n$8\r\nsmessage\r\n{Bulk(channel)}$5\r\nhello\r\n", await subscriber.ReadReplyAsync());
        Assert.Equal($">3\r\n$8\r\nsmessage\r\n{Bulk(channel)}$5\r\nhello\r\n", await resp3.ReadReplyAsync());
        Assert.Equal(":0\r\n", await publisher.CallAsync("SPUBLISH", other, "nobody"));
        Assert.Equal($"*2\r\n{Bulk(channel)}:2\r\n", await publisher.CallAsync("PUBSUB", "SHARDNUMSUB", channel));
        Assert.Equal($"*1\r\n{Bulk(channel)}", await publisher.CallAsync("PUBSUB", "SHARDCHANNELS", channel));

        // Another node sends cluster clients to the owner; several slots at once is CROSSSLOT.
        var owner = RespCluster.RespOf(Cluster, 1);
        var moved = await elsewhere.CallAsync("SPUBLISH", channel, "x");
        Assert.StartsWith("-MOVED ", moved, StringComparison.Ordinal);
        Assert.EndsWith($" {owner.Address}:{owner.Port}\r\n", moved, StringComparison.Ordinal);
        Assert.StartsWith("-MOVED ", await elsewhere.CallAsync("SSUBSCRIBE", channel), StringComparison.Ordinal);
        Assert.Equal("-CROSSSLOT Keys in request don't hash to the same slot\r\n", await publisher.CallAsync("SSUBSCRIBE", "{a}x", "{b}x"));

        Assert.Equal($"*3\r\n$12\r\nsunsubscribe\r\n{Bulk(channel)}:0\r\n", await subscriber.CallAsync("SUNSUBSCRIBE"));
        Assert.Equal("*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n", await subscriber.CallAsync("SUNSUBSCRIBE"));
        Assert.Equal(":1\r\n", await publisher.CallAsync("SPUBLISH", channel, "again"));
        Assert.Equal("-ERR wrong number of arguments for 'spublish' command\r\n", await publisher.CallAsync("SPUBLISH", channel));
        Assert.Equal("-ERR wrong number of arguments for 'ssubscribe' command\r\n", await publisher.CallAsync("SSUBSCRIBE"));
        Assert.Contains("$8\r\nspublish\r\n:3\r\n*4\r\n+pubsub\r\n+loading\r\n+stale\r\n+fast\r\n:1\r\n:1\r\n:1\r\n", await publisher.CallAsync("COMMAND", "INFO", "spublish"), StringComparison.Ordinal);
        Assert.Equal("-ERR The command has no key arguments\r\n", await publisher.CallAsync("COMMAND", "GETKEYS", "SPUBLISH", channel, "m"));
    }

    [Fact]
    public async Task StackExchange_Redis_sharded_pubsub_reaches_the_owner_and_delivers()
    {
        var ep = RespCluster.RespOf(Cluster, 2);
        var options = new ConfigurationOptions
        {
            EndPoints = { { ep.Address.ToString(), ep.Port } },
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
            AbortOnConnectFail = true,
        };
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options).WithinAsync("StackExchange.Redis to connect");
        var channel = RedisChannel.Sharded(RespCluster.KeyOwnedBy(Cluster, 0, "se-shard"));
        var received = System.Threading.Channels.Channel.CreateUnbounded<string>();
        var subscriber = redis.GetSubscriber();
        await subscriber.SubscribeAsync(channel, (_, message) => received.Writer.TryWrite((string?)message ?? "")).WithinAsync("StackExchange.Redis to subscribe");
        Assert.Equal(1, await subscriber.PublishAsync(channel, "over SPUBLISH").WithinAsync("StackExchange.Redis to publish"));
        Assert.Equal("over SPUBLISH", await received.Reader.ReadAsync().AsTask().WithinAsync("the message"));
    }

    private static int CountOf(string array) => int.Parse(array.AsSpan(1, array.IndexOf('\r', StringComparison.Ordinal) - 1), System.Globalization.CultureInfo.InvariantCulture);
}
