using System.Text;
using FastDht.Engine.Cluster;
using FastDht.Protocol;
using FastDht.TestUtilities;
using StackExchange.Redis;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// A RESP command that meets its slot's handover at the old owner (docs/elasticity.md, "Clients that keep no table";
/// docs/resp-server.md, "Cluster routing") waits for it instead of being answered <c>-TRYAGAIN</c>, then runs as any
/// command would: forwarded to the new owner, <c>-MOVED</c> there for a cluster-aware connection (StackExchange.Redis
/// follows it), or here when the move was undone.
/// </summary>
public sealed class RespHandoverTests
{
    [Fact]
    public async Task Commands_that_meet_a_handover_wait_for_it_and_then_go_to_the_new_owner()
    {
        await using var cluster = await RespCluster.StartAsync(2);
        var tag = "{" + RespCluster.KeyOwnedBy(cluster, 0, "handover") + "}";
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(tag + "x"));
        var port0 = RespCluster.RespOf(cluster, 0).Port.ToString();
        await using var admin = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        await using var plain = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        await using var aware = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.StartsWith("*", await aware.CallAsync("CLUSTER", "SLOTS")); // routes by its own table from now on
        await using var redis = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", RespCluster.RespOf(cluster, 0).Port } },
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
        }).WithinAsync("StackExchange.Redis to connect");
        Assert.Equal(2, redis.GetEndPoints().Length);

        // The handover's mark at node 0, without the rest of a move: every command on the slot waits there.
        cluster[0].Core.Keyspace.EnableMoves().SetGone(slot, slot, true);
        var plainSet = plain.CallAsync("SET", tag + "plain", "p");
        var awareGet = aware.CallAsync("GET", tag + "aware");
        var seSet = redis.GetDatabase().StringSetAsync(tag + "se", "s");
        var cliSet = RedisCliTests.RedisCli is null ? Task.FromResult("OK") : RedisCliTests.RunAsync("-p", port0, "-c", "SET", tag + "cli", "c");
        var waiting = RedisCliTests.RedisCli is null ? 2 : 3;
        await Bounded.UntilAsync(
            async () => await admin.CallAsync("CLIENT", "LIST") is var list && Count(list, "cmd=set ") >= waiting && Count(list, "cmd=get ") >= 1,
            "the commands to reach node 0 and wait there");
        Assert.False(plainSet.IsCompleted || awareGet.IsCompleted || seSet.IsCompleted || cliSet.IsCompleted, "a command on a slot being handed over was answered before the handover ended");

        HandToNode1(cluster, cluster[0].ClusterState, slot);

        Assert.Equal("+OK\r\n", await plainSet.WithinAsync("the plain client's SET"));
        var moved = RespCluster.RespOf(cluster, 1);
        Assert.Equal($"-MOVED {slot} 127.0.0.1:{moved.Port}\r\n", await awareGet.WithinAsync("the cluster-aware GET"));
        Assert.True(await seSet.WithinAsync("StackExchange.Redis's SET"));
        Assert.Equal("OK", await cliSet.WithinAsync("redis-cli's SET"));
        foreach (var key in new[] { "plain", "se" }.Concat(RedisCliTests.RedisCli is null ? [] : ["cli"]))
            Assert.True(cluster[1].Store.TryGet(Encoding.UTF8.GetBytes(tag + key), out _), $"{tag}{key} is at the new owner");
        Assert.False(cluster[0].Store.TryGet(Encoding.UTF8.GetBytes(tag + "plain"), out _), "nothing was written at the old owner");
    }

    [Fact]
    public async Task A_command_that_meets_a_handover_that_is_undone_runs_at_the_old_owner()
    {
        await using var cluster = await RespCluster.StartAsync(2);
        var key = RespCluster.KeyOwnedBy(cluster, 0, "undone");
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(key));
        await using var admin = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        await using var client = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("+OK\r\n", await client.CallAsync("SET", key, "old"));
        var moves = cluster[0].Core.Keyspace.EnableMoves();
        moves.SetGone(slot, slot, true);

        var get = client.CallAsync("GET", key);
        await Bounded.UntilAsync(async () => Count(await admin.CallAsync("CLIENT", "LIST"), "cmd=get ") >= 1, "the GET to reach node 0 and wait there");
        Assert.False(get.IsCompleted, "a read of a slot being handed over was answered before the handover ended");
        moves.SetGone(slot, slot, false); // the move's undo

        Assert.Equal("$3\r\nold\r\n", await get.WithinAsync("the GET"));
    }

    [Fact]
    public async Task A_command_forwarded_by_a_third_node_that_meets_a_handover_is_sent_again_to_the_new_owner()
    {
        await using var cluster = await RespCluster.StartAsync(3);
        var tag = "{" + RespCluster.KeyOwnedBy(cluster, 0, "forwarded") + "}";
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(tag + "x"));
        await using var plain = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 2)); // keeps no table
        Assert.Equal("+OK\r\n", await plain.CallAsync("SET", tag + "a", "0"));
        var forwards = cluster[2].Metrics.Forwards;

        cluster[0].Core.Keyspace.EnableMoves().SetGone(slot, slot, true);
        // Pipelined: the second SET of the same key must not overtake the first, and replies stay in order.
        await plain.SendAsync(RespTestClient.Encode("SET", tag + "a", "1") + RespTestClient.Encode("SET", tag + "a", "2") + RespTestClient.Encode("GET", tag + "a"));
        var sets = ReadRepliesAsync(plain, 3);
        await Bounded.UntilAsync(() => cluster[2].Metrics.Forwards >= forwards + 2, "node 2 to forward the SET, be refused for the handover and send it again");
        Assert.False(sets.IsCompleted, "a forwarded command on a slot being handed over was answered before the handover ended");

        HandToNode1(cluster, cluster[0].ClusterState, slot);

        Assert.Equal("+OK\r\n+OK\r\n$1\r\n2\r\n", await sets.WithinAsync("the forwarded SETs and GET"));
        Assert.Equal("2"u8.ToArray(), cluster[1].Store.TryGet(Encoding.UTF8.GetBytes(tag + "a"), out var value) ? value.ToArray() : null);
    }

    [Fact]
    public async Task A_large_command_forwarded_while_its_slot_moves_is_sent_again_to_the_new_owner()
    {
        await using var cluster = await RespCluster.StartAsync(3);
        var key = RespCluster.KeyOwnedBy(cluster, 0, "large");
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(key));
        await using var plain = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 2));
        var forwards = cluster[2].Metrics.Forwards;
        // Node 2 knows the slot is moving (only commands up to 16 KiB are kept otherwise).
        var state = cluster[2].ClusterState;
        var moving = state.Next(slots: state.Slots.Assign(slot, slot, state.Slots.AssignmentOf(slot).WithImporting(1)));
        Assert.True(cluster[2].Core.Cluster.TryInstall(moving));
        cluster[0].Core.Keyspace.EnableMoves().SetGone(slot, slot, true);

        var value = new string('v', 40_000);
        var set = plain.CallAsync("SET", key, value);
        await Bounded.UntilAsync(() => cluster[2].Metrics.Forwards >= forwards + 2, "node 2 to forward the SET, be refused for the handover and send it again");
        Assert.False(set.IsCompleted, "a forwarded command on a slot being handed over was answered before the handover ended");

        HandToNode1(cluster, moving, slot);

        Assert.Equal("+OK\r\n", await set.WithinAsync("the forwarded large SET"));
        Assert.Equal(40_000, cluster[1].Store.TryGet(Encoding.UTF8.GetBytes(key), out var stored) ? stored.Length : -1);
    }

    [Fact]
    public async Task A_command_forwarded_by_a_third_node_that_meets_a_handover_that_is_undone_runs_at_the_old_owner()
    {
        await using var cluster = await RespCluster.StartAsync(3);
        var key = RespCluster.KeyOwnedBy(cluster, 0, "forwardedundone");
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(key));
        await using var plain = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 2));
        Assert.Equal("+OK\r\n", await plain.CallAsync("SET", key, "old"));
        var forwards = cluster[2].Metrics.Forwards;
        var moves = cluster[0].Core.Keyspace.EnableMoves();
        moves.SetGone(slot, slot, true);

        var get = plain.CallAsync("GET", key);
        await Bounded.UntilAsync(() => cluster[2].Metrics.Forwards >= forwards + 2, "node 2 to forward the GET, be refused for the handover and send it again");
        Assert.False(get.IsCompleted, "a forwarded read of a slot being handed over was answered before the handover ended");
        moves.SetGone(slot, slot, false); // the move's undo

        Assert.Equal("$3\r\nold\r\n", await get.WithinAsync("the forwarded GET"));
        Assert.Equal("+OK\r\n", await plain.CallAsync("SET", key, "new"));
        Assert.True(cluster[0].Store.TryGet(Encoding.UTF8.GetBytes(key), out _), "the key stays at the old owner");
    }

    /// <summary>Installs the state after <paramref name="from"/> that names node 1 the slot's owner: at node 1 first, as a move's handover makes it, then at every other node.</summary>
    private static void HandToNode1(TestCluster cluster, ClusterState from, int slot)
    {
        var handed = from.Next(slots: from.Slots.Assign(slot, slot, new SlotAssignment(1)));
        Assert.True(cluster[1].Core.Cluster.TryInstall(handed));
        for (var i = 0; i < cluster.Count; i++)
        {
            if (i != 1)
                Assert.True(cluster[i].Core.Cluster.TryInstall(handed));
        }
    }

    private static async Task<string> ReadRepliesAsync(RespTestClient client, int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
            text.Append(await client.ReadReplyAsync());
        return text.ToString();
    }

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
