using System.Net.Sockets;
using System.Text;
using FastDht.TestUtilities;
using StackExchange.Redis;

namespace FastDht.Engine.Tests.Resp;

/// <summary>PUBLISH across the cluster, PUBSUB's reports and sharded pub/sub (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH) on a 3-node cluster, in redis-server 7.0.15's bytes.</summary>
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
        await using var redis = await ConnectStackExchangeAsync(2);
        var channel = RedisChannel.Sharded(RespCluster.KeyOwnedBy(Cluster, 0, "se-shard"));
        var received = System.Threading.Channels.Channel.CreateUnbounded<string>();
        var subscriber = redis.GetSubscriber();
        await subscriber.SubscribeAsync(channel, (_, message) => received.Writer.TryWrite((string?)message ?? "")).WithinAsync("StackExchange.Redis to subscribe");
        Assert.Equal(1, await subscriber.PublishAsync(channel, "over SPUBLISH").WithinAsync("StackExchange.Redis to publish"));
        Assert.Equal("over SPUBLISH", await received.Reader.ReadAsync().AsTask().WithinAsync("the message"));
    }

    private static string Message(string channel, string payload) => $"*3\r\n$7\r\nmessage\r\n{Bulk(channel)}{Bulk(payload)}";

    private static string PMessage(string pattern, string channel, string payload) => $"*4\r\n$8\r\npmessage\r\n{Bulk(pattern)}{Bulk(channel)}{Bulk(payload)}";

    [Fact]
    public async Task Publish_delivers_messages_and_pattern_messages_at_its_node_and_counts_them()
    {
        await using var subscriber = await ConnectAsync(0);
        await using var watcher = await ConnectAsync(0);
        await using var resp3 = await ConnectAsync(0);
        await using var publisher = await ConnectAsync(0);
        Assert.Equal("*3\r\n$9\r\nsubscribe\r\n$5\r\npb:c1\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$5\r\npb:c2\r\n:2\r\n",
            await subscriber.CallAsync("SUBSCRIBE", "pb:c1", "pb:c2") + await subscriber.ReadReplyAsync());
        Assert.Equal("*3\r\n$10\r\npsubscribe\r\n$4\r\npb:*\r\n:3\r\n", await subscriber.CallAsync("PSUBSCRIBE", "pb:*"));
        Assert.Equal("*3\r\n$10\r\npsubscribe\r\n$5\r\npb:c?\r\n:1\r\n", await watcher.CallAsync("PSUBSCRIBE", "pb:c?"));

        // A channel subscriber and two patterns: three deliveries, the channel's message before the pattern's.
        Assert.Equal(":3\r\n", await publisher.CallAsync("PUBLISH", "pb:c1", "one"));
        Assert.Equal(Message("pb:c1", "one"), await subscriber.ReadReplyAsync().WithinAsync("the message"));
        Assert.Equal(PMessage("pb:*", "pb:c1", "one"), await subscriber.ReadReplyAsync().WithinAsync("the pattern's message"));
        Assert.Equal(PMessage("pb:c?", "pb:c1", "one"), await watcher.ReadReplyAsync().WithinAsync("the other pattern's message"));
        Assert.Equal(":0\r\n", await publisher.CallAsync("PUBLISH", "elsewhere", "nobody"));

        // Unsubscribed mid-stream: the channel's messages stop, the pattern's go on, in the order published.
        for (var i = 0; i < 5; i++)
            Assert.Equal(":3\r\n", await publisher.CallAsync("PUBLISH", "pb:c2", $"m{i}"));
        await subscriber.SendAsync(RespTestClient.Encode("UNSUBSCRIBE", "pb:c2"));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Message("pb:c2", $"m{i}"), await subscriber.ReadReplyAsync().WithinAsync("the messages in order"));
            Assert.Equal(PMessage("pb:*", "pb:c2", $"m{i}"), await subscriber.ReadReplyAsync().WithinAsync("the pattern's messages in order"));
        }
        Assert.Equal("*3\r\n$11\r\nunsubscribe\r\n$5\r\npb:c2\r\n:2\r\n", await subscriber.ReadReplyAsync().WithinAsync("the unsubscribe reply"));
        Assert.Equal(":2\r\n", await publisher.CallAsync("PUBLISH", "pb:c2", "after"));
        Assert.Equal(PMessage("pb:*", "pb:c2", "after"), await subscriber.ReadReplyAsync().WithinAsync("the pattern's message after the unsubscribe"));
        for (var i = 0; i < 5; i++)
            Assert.Equal(PMessage("pb:c?", "pb:c2", $"m{i}"), await watcher.ReadReplyAsync().WithinAsync("the messages in order"));
        Assert.Equal(PMessage("pb:c?", "pb:c2", "after"), await watcher.ReadReplyAsync().WithinAsync("the last message"));

        // RESP3: pushes; a subscriber publishing to itself gets its messages before the reply, as Redis writes them.
        Assert.StartsWith("%", await resp3.CallAsync("HELLO", "3"), StringComparison.Ordinal);
        Assert.Equal(">3\r\n$9\r\nsubscribe\r\n$5\r\npb:r3\r\n:1\r\n", await resp3.CallAsync("SUBSCRIBE", "pb:r3"));
        Assert.Equal(">3\r\n$7\r\nmessage\r\n$5\r\npb:r3\r\n$4\r\nself\r\n", await resp3.CallAsync("PUBLISH", "pb:r3", "self"));
        Assert.Equal(":2\r\n", await resp3.ReadReplyAsync().WithinAsync("PUBLISH's reply after the push"));
        Assert.Equal(PMessage("pb:*", "pb:r3", "self"), await subscriber.ReadReplyAsync().WithinAsync("the pattern's message"));
        Assert.Equal(":2\r\n", await publisher.CallAsync("PUBLISH", "pb:r3", "two"));
        Assert.Equal(">3\r\n$7\r\nmessage\r\n$5\r\npb:r3\r\n$3\r\ntwo\r\n", await resp3.ReadReplyAsync().WithinAsync("the push"));
        Assert.Equal(PMessage("pb:*", "pb:r3", "two"), await subscriber.ReadReplyAsync().WithinAsync("the pattern's message"));
        // A RESP2 connection in subscribed mode cannot publish (Redis's error); MULTI's PUBLISH is delivered at EXEC.
        Assert.StartsWith("-ERR Can't execute 'publish'", await subscriber.CallAsync("PUBLISH", "pb:c1", "x"), StringComparison.Ordinal);
        Assert.Equal("+OK\r\n", await publisher.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await publisher.CallAsync("PUBLISH", "pb:r3", "in exec"));
        Assert.Equal("*1\r\n:2\r\n", await publisher.CallAsync("EXEC"));
        Assert.Equal(">3\r\n$7\r\nmessage\r\n$5\r\npb:r3\r\n$7\r\nin exec\r\n", await resp3.ReadReplyAsync().WithinAsync("the message of EXEC"));
        Assert.Equal(PMessage("pb:*", "pb:r3", "in exec"), await subscriber.ReadReplyAsync().WithinAsync("the pattern's message of EXEC"));
        // A script's PUBLISH is delivered once the script's transaction has committed.
        Assert.Equal(":2\r\n", await publisher.CallAsync("EVAL", "return redis.call('publish', 'pb:r3', 'lua')", "0"));
        Assert.Equal(">3\r\n$7\r\nmessage\r\n$5\r\npb:r3\r\n$3\r\nlua\r\n", await resp3.ReadReplyAsync().WithinAsync("the script's message"));
        Assert.Equal(PMessage("pb:*", "pb:r3", "lua"), await subscriber.ReadReplyAsync().WithinAsync("the pattern's message of the script"));
        Assert.Equal("-ERR wrong number of arguments for 'publish' command\r\n", await publisher.CallAsync("PUBLISH", "pb:c1"));
        // Left here and now, not at the close: the class's other tests count this node's patterns.
        Assert.Equal("+RESET\r\n", await subscriber.CallAsync("RESET"));
        Assert.Equal("+RESET\r\n", await watcher.CallAsync("RESET"));
    }

    [Fact]
    public async Task Publish_at_one_node_reaches_subscribers_at_the_others_in_order()
    {
        await using var atOne = await ConnectAsync(1);
        await using var atTwo = await ConnectAsync(2);
        await using var resp3AtTwo = await ConnectAsync(2);
        await using var publisher = await ConnectAsync(0);
        Assert.Equal("*3\r\n$9\r\nsubscribe\r\n$7\r\nxn:warm\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$5\r\nxn:ch\r\n:2\r\n",
            await atOne.CallAsync("SUBSCRIBE", "xn:warm", "xn:ch") + await atOne.ReadReplyAsync());
        Assert.Equal("*3\r\n$10\r\npsubscribe\r\n$4\r\nxn:*\r\n:1\r\n", await atTwo.CallAsync("PSUBSCRIBE", "xn:*"));
        Assert.StartsWith("%", await resp3AtTwo.CallAsync("HELLO", "3"), StringComparison.Ordinal);
        Assert.Equal(">3\r\n$9\r\nsubscribe\r\n$5\r\nxn:ch\r\n:1\r\n", await resp3AtTwo.CallAsync("SUBSCRIBE", "xn:ch"));

        // Delivery is at most once: a message sent before the peer links are up is lost. Warm up until both nodes deliver.
        Assert.Equal(":0\r\n", await publisher.CallAsync("PUBLISH", "xn:warm", "w"));
        var oneWarm = atOne.ReadReplyAsync();
        var twoWarm = atTwo.ReadReplyAsync();
        for (var i = 0; i < 100 && !(oneWarm.IsCompleted && twoWarm.IsCompleted); i++)
        {
            await Task.WhenAny(Task.WhenAll(oneWarm, twoWarm), Task.Delay(100));
            if (!(oneWarm.IsCompleted && twoWarm.IsCompleted))
                Assert.Equal(":0\r\n", await publisher.CallAsync("PUBLISH", "xn:warm", "w"));
        }
        Assert.Equal(Message("xn:warm", "w"), await oneWarm.WithinAsync("node 1's first message"));
        Assert.Equal(PMessage("xn:*", "xn:warm", "w"), await twoWarm.WithinAsync("node 2's first message"));

        // PUBLISH counts the receivers at the node it was sent to (none there), as Redis Cluster; the others deliver.
        const int count = 20;
        for (var i = 0; i < count; i++)
            Assert.Equal(":0\r\n", await publisher.CallAsync("PUBLISH", "xn:ch", $"m{i}"));
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(Message("xn:ch", $"m{i}"), await NextOnAsync(atOne, "xn:ch"));
            Assert.Equal(PMessage("xn:*", "xn:ch", $"m{i}"), await NextOnAsync(atTwo, "xn:ch"));
            Assert.Equal($">3\r\n$7\r\nmessage\r\n$5\r\nxn:ch\r\n{Bulk($"m{i}")}", await resp3AtTwo.ReadReplyAsync().WithinAsync("the push at node 2"));
        }
        // Where a subscriber is, PUBLISH counts it: node 2 has the pattern and the RESP3 subscriber.
        await using var publisherAtTwo = await ConnectAsync(2);
        Assert.Equal(":2\r\n", await publisherAtTwo.CallAsync("PUBLISH", "xn:ch", "from two"));
        Assert.Equal(Message("xn:ch", "from two"), await NextOnAsync(atOne, "xn:ch"));
    }

    /// <summary>The next message on <paramref name="channel"/>, past the warm-up messages still on their way.</summary>
    private static async Task<string> NextOnAsync(RespTestClient client, string channel)
    {
        for (var i = 0; i < 200; i++)
        {
            var reply = await client.ReadReplyAsync().WithinAsync($"a message on {channel}");
            if (reply.Contains(Bulk(channel), StringComparison.Ordinal))
                return reply;
        }
        throw new InvalidOperationException($"no message on {channel} after 200 others");
    }

    [Fact]
    public async Task StackExchange_Redis_subscriber_receives_what_any_node_publishes()
    {
        await using var redis = await ConnectStackExchangeAsync(1);
        var received = System.Threading.Channels.Channel.CreateUnbounded<string>();
        var subscriber = redis.GetSubscriber();
        await subscriber.SubscribeAsync(RedisChannel.Literal("se:news"), (_, message) => received.Writer.TryWrite((string?)message ?? "")).WithinAsync("StackExchange.Redis to subscribe");
        await subscriber.SubscribeAsync(RedisChannel.Pattern("se:pat*"), (_, message) => received.Writer.TryWrite("pattern " + (string?)message)).WithinAsync("StackExchange.Redis to psubscribe");
        // From every node in turn (at most once: repeated until the links carry it), then the client's own PUBLISH.
        for (var node = 0; node < 3; node++)
        {
            await using var publisher = await ConnectAsync(node);
            var expected = $"from node {node}";
            string got = "";
            for (var i = 0; i < 50 && got != expected; i++)
            {
                await publisher.CallAsync("PUBLISH", "se:news", expected);
                var next = received.Reader.ReadAsync().AsTask();
                if (await Task.WhenAny(next, Task.Delay(200)) == next)
                    got = await next;
            }
            Assert.Equal(expected, got);
        }
        await subscriber.PublishAsync(RedisChannel.Literal("se:pattern"), "patterned").WithinAsync("StackExchange.Redis to publish");
        string seen;
        do
        {
            seen = await received.Reader.ReadAsync().AsTask().WithinAsync("the pattern's message");
        }
        while (seen.StartsWith("from node", StringComparison.Ordinal));
        Assert.Equal("pattern patterned", seen);
    }

    [Fact]
    public async Task A_subscriber_that_does_not_read_is_closed_past_the_bound_and_the_node_goes_on()
    {
        await using var cluster = await RespCluster.StartAsync(1);
        var endPoint = RespCluster.RespOf(cluster, 0);
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await slow.ConnectAsync(endPoint).WithinAsync("the subscriber to connect");
        await slow.SendAsync(Encoding.ASCII.GetBytes(RespTestClient.Encode("SUBSCRIBE", "slow:ch")));
        await using var publisher = await RespTestClient.ConnectAsync(endPoint);
        await Bounded.UntilAsync(async () => await publisher.CallAsync("PUBSUB", "NUMSUB", "slow:ch") == "*2\r\n$7\r\nslow:ch\r\n:1\r\n", "the subscription");

        // 64 KiB messages the subscriber never reads: past 32 MiB held (plus the socket's and the pipe's buffers), the
        // node closes it, as Redis's client-output-buffer-limit pubsub; PUBLISH then finds nobody. At most 4096 (256 MiB).
        var payload = new string('p', 64 * 1024);
        var published = 0;
        var answer = "";
        while (published < 4096 && answer != ":0\r\n")
        {
            answer = await publisher.CallAsync("PUBLISH", "slow:ch", payload);
            published++;
        }
        Assert.Equal(":0\r\n", answer);
        Assert.True(published > 32 * 16, $"closed after {published} messages of 64 KiB: before 32 MiB were held");
        Assert.Equal("*2\r\n$7\r\nslow:ch\r\n:0\r\n", await publisher.CallAsync("PUBSUB", "NUMSUB", "slow:ch"));
        Assert.Equal("+PONG\r\n", await publisher.CallAsync("PING"));

        // The subscriber sees its connection end (after what the kernel still held), within 256 MiB of reading.
        var buffer = new byte[1024 * 1024];
        long read = 0;
        var ended = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (!ended && read < 256L * 1024 * 1024)
            {
                var n = await slow.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                ended = n == 0;
                read += n;
            }
        }
        catch (SocketException)
        {
            ended = true; // reset rather than closed: closed all the same
        }
        Assert.True(ended, $"the subscriber's connection still open after {read} bytes");
    }

    private async Task<ConnectionMultiplexer> ConnectStackExchangeAsync(int node)
    {
        var ep = RespCluster.RespOf(Cluster, node);
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

    private static int CountOf(string array) => int.Parse(array.AsSpan(1, array.IndexOf('\r', StringComparison.Ordinal) - 1), System.Globalization.CultureInfo.InvariantCulture);
}
