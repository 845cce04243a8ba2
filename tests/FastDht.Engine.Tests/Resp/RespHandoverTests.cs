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
    public async Task A_large_command_forwarded_before_the_node_learned_of_the_move_is_sent_again_to_the_new_owner()
    {
        await using var cluster = await RespCluster.StartAsync(3);
        var key = RespCluster.KeyOwnedBy(cluster, 0, "large");
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(key));
        await using var plain = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 2));
        var forwards = cluster[2].Metrics.Forwards;
        // Node 2 does not know the slot moves: the old owner returns the refused command, nothing was kept at node 2.
        Assert.False(cluster[2].ClusterState.Slots.AssignmentOf(slot).IsMoving);
        cluster[0].Core.Keyspace.EnableMoves().SetGone(slot, slot, true);

        var value = new string('v', 40_000);
        var set = plain.CallAsync("SET", key, value);
        await Bounded.UntilAsync(() => cluster[2].Metrics.Forwards >= forwards + 2, "node 2 to forward the SET, be refused for the handover and send it again");
        Assert.False(set.IsCompleted, "a forwarded command on a slot being handed over was answered before the handover ended");

        HandToNode1(cluster, cluster[2].ClusterState, slot);

        Assert.Equal("+OK\r\n", await set.WithinAsync("the forwarded large SET"));
        Assert.Equal(40_000, cluster[1].Store.TryGet(Encoding.UTF8.GetBytes(key), out var stored) ? stored.Length : -1);
    }

    [Fact]
    public async Task Commands_split_over_owners_wait_for_a_handover_at_a_remote_owner_and_count_every_key_once()
    {
        await using var cluster = await RespCluster.StartAsync(3);
        var a = "{" + RespCluster.KeyOwnedBy(cluster, 0, "fana") + "}x"; // at node 0, whose slot is handed to node 1
        var b = RespCluster.KeyOwnedBy(cluster, 1, "fanb");
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(a));
        await using var plain = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 2)); // both parts remote
        await using var local = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0)); // node 0's part local
        Assert.Equal("+OK\r\n", await plain.CallAsync("MSET", a, "1", b, "1"));
        var forwards = cluster[2].Metrics.Forwards;

        cluster[0].Core.Keyspace.EnableMoves().SetGone(slot, slot, true);
        await plain.SendAsync(RespTestClient.Encode("EXISTS", a, b) + RespTestClient.Encode("DEL", a, b) + RespTestClient.Encode("EXISTS", a, b));
        var replies = ReadRepliesAsync(plain, 3);
        var localExists = local.CallAsync("EXISTS", a, b, a);
        // Two parts sent, then node 0's again: it refused its part for the handover, and the part waits.
        await Bounded.UntilAsync(() => cluster[2].Metrics.Forwards >= forwards + 3, "node 2 to send both parts, be refused at node 0 and send its part again");
        Assert.False(replies.IsCompleted || localExists.IsCompleted, "a command split over owners was answered while a part's slot was being handed over");

        cluster[1].Store.Put(Encoding.UTF8.GetBytes(a), "1"u8); // the move's copy
        HandToNode1(cluster, cluster[0].ClusterState, slot);

        Assert.Equal(":3\r\n", await localExists.WithinAsync("the EXISTS with a local part"));
        Assert.Equal(":2\r\n:2\r\n:0\r\n", await replies.WithinAsync("the EXISTS, DEL, EXISTS through node 2"));
        Assert.False(cluster[1].Store.TryGet(Encoding.UTF8.GetBytes(a), out _), "the DEL reached the new owner");
    }

    [Fact]
    public async Task A_WATCH_that_meets_a_handover_waits_for_it_and_the_EXEC_after_it_runs()
    {
        await using var cluster = await RespCluster.StartAsync(3);
        var tag = "{" + RespCluster.KeyOwnedBy(cluster, 0, "watched") + "}";
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(tag));
        var (remoteKey, localKey) = (tag + "r", tag + "l"); // one each: a client's EXEC changes its own key only
        await using var remote = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 2)); // asks node 0
        await using var local = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0)); // reads node 0's copy
        await using var admin = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("+OK\r\n", await remote.CallAsync("MSET", remoteKey, "old", localKey, "old"));
        var forwards = cluster[2].Metrics.Forwards;

        cluster[0].Core.Keyspace.EnableMoves().SetGone(slot, slot, true);
        var remoteWatch = remote.CallAsync("WATCH", remoteKey);
        var localWatch = local.CallAsync("WATCH", localKey);
        await Bounded.UntilAsync(() => cluster[2].Metrics.Forwards >= forwards + 2, "node 2 to ask node 0, be refused for the handover and ask again");
        await Bounded.UntilAsync(async () => Count(await admin.CallAsync("CLIENT", "LIST"), "cmd=watch ") >= 1, "the local WATCH to reach node 0 and wait there");
        Assert.False(remoteWatch.IsCompleted || localWatch.IsCompleted, "a WATCH of a key being handed over was answered before the handover ended");

        // The move's copy at the new owner: without the versions node 0 could have given.
        cluster[1].Store.Put(Encoding.UTF8.GetBytes(remoteKey), "old"u8);
        cluster[1].Store.Put(Encoding.UTF8.GetBytes(localKey), "old"u8);
        HandToNode1(cluster, cluster[0].ClusterState, slot);

        Assert.Equal("+OK\r\n", await remoteWatch.WithinAsync("the WATCH through node 2"));
        Assert.Equal("+OK\r\n", await localWatch.WithinAsync("the WATCH at node 0"));
        foreach (var (client, key) in new[] { (remote, remoteKey), (local, localKey) })
        {
            await client.SendAsync(RespTestClient.Encode("MULTI") + RespTestClient.Encode("SET", key, "new") + RespTestClient.Encode("EXEC"));
            Assert.Equal("+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n", await ReadRepliesAsync(client, 3).WithinAsync($"the transaction on {key}"));
            Assert.Equal("new"u8.ToArray(), cluster[1].Store.TryGet(Encoding.UTF8.GetBytes(key), out var stored) ? stored.ToArray() : null);
        }
    }

    /// <summary>
    /// A pipelined SET k then GET k where the state that moves k's slot to this node arrives between the two: the SET,
    /// forwarded by the older state, is refused by the old owner and re-run here; the GET, routed by the newer state,
    /// must not run before it (it read the old value).
    /// </summary>
    [Fact]
    public async Task A_command_routed_by_a_newer_state_waits_for_one_forwarded_under_the_older_state()
    {
        await using var cluster = await RespCluster.StartAsync(3, proxied: true);
        var key = RespCluster.KeyOwnedBy(cluster, 1, "newer");
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(key));
        await using var client = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        await using var admin = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        // Node 0's RespExecute requests to node 1 wait in the proxies (whichever of the two dialed their link).
        static bool IsRespRequest(FrameHeader h) => h.Opcode == Opcode.RespExecute && (h.Flags & FrameFlags.Response) == 0;
        cluster.ProxyOf(0).HoldFrames(IsRespRequest);
        cluster.ProxyOf(1).HoldFrames(IsRespRequest);

        await client.SendAsync(RespTestClient.Encode("SET", key, "1"));
        await Bounded.UntilAsync(() => cluster.ProxyOf(0).HeldFrames + cluster.ProxyOf(1).HeldFrames >= 1, "the forwarded SET to be on its way to node 1");
        // The slot's handover to node 0 (node 1 then answers WrongNode and returns the SET), installed everywhere.
        var from = cluster[0].ClusterState;
        var handed = from.Next(slots: from.Slots.Assign(slot, slot, new SlotAssignment(0)));
        for (var i = 0; i < cluster.Count; i++)
            Assert.True(cluster[i].Core.Cluster.TryInstall(handed));
        await client.SendAsync(RespTestClient.Encode("GET", key));
        await Bounded.UntilAsync(async () => Count(await admin.CallAsync("CLIENT", "LIST"), "cmd=get ") >= 1, "the GET to reach node 0");
        cluster.ProxyOf(0).HoldFrames(null);
        cluster.ProxyOf(1).HoldFrames(null);

        Assert.Equal("+OK\r\n$1\r\n1\r\n", await ReadRepliesAsync(client, 2).WithinAsync("the SET and the GET"));
        Assert.True(cluster[0].Store.TryGet(Encoding.UTF8.GetBytes(key), out _), "the SET ran at the new owner");
    }

    /// <summary>
    /// A real move, again and again, of the slot of half the keys of commands split over owners (and of MULTI/EXEC
    /// transactions), while two clients that keep no slot table run them in a loop: one through a third node, one
    /// through the moving slot's first owner. No command may fail and every value read must be the one written.
    /// </summary>
    [Fact]
    public async Task Commands_over_several_owners_never_fail_while_a_slot_of_theirs_moves_again_and_again()
    {
        await using var cluster = await RespCluster.StartAsync(3);
        var a = "{" + RespCluster.KeyOwnedBy(cluster, 0, "loopa") + "}";
        var b = "{" + RespCluster.KeyOwnedBy(cluster, 2, "loopb") + "}";
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(a));
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var clients = new[] { 2, 0 }.Select(node => Task.Run(async () =>
        {
            await using var client = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, node));
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var (x, y) = ($"{a}{node}", $"{b}{node}");
                string[][] commands =
                [
                    ["MSET", x, $"{i}", y, $"{i}"], ["MGET", x, y], ["EXISTS", x, y, "nokey" + node], ["TOUCH", x, y],
                    ["DEL", x, y], ["EXISTS", x, y], ["SET", x, $"{i}"], ["UNLINK", x, y],
                    ["WATCH", x, y], ["MULTI"], ["SET", x, $"t{i}"], ["SET", y, $"t{i}"], ["EXEC"], ["MGET", x, y],
                ];
                string[] expected =
                [
                    "+OK\r\n", $"*2\r\n${i.ToString().Length}\r\n{i}\r\n${i.ToString().Length}\r\n{i}\r\n", ":2\r\n", ":2\r\n",
                    ":2\r\n", ":0\r\n", "+OK\r\n", ":1\r\n",
                    "+OK\r\n", "+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*2\r\n+OK\r\n+OK\r\n",
                    $"*2\r\n${i.ToString().Length + 1}\r\nt{i}\r\n${i.ToString().Length + 1}\r\nt{i}\r\n",
                ];
                await client.SendAsync(string.Concat(commands.Select(c => RespTestClient.Encode(c))));
                for (var c = 0; c < commands.Length; c++)
                {
                    var reply = await client.ReadReplyAsync();
                    // An EXEC whose WATCH met the key's move may find its version changed (a null reply: the key's
                    // version stays with the old owner's copy); the MGET then reads both keys absent (UNLINKed).
                    if (c == 12 && reply == "*-1\r\n")
                        expected[13] = "*2\r\n$-1\r\n$-1\r\n";
                    else if (reply != expected[c])
                        failures.Enqueue($"client at node {node}, round {i}: {string.Join(' ', commands[c])} answered {reply.TrimEnd()}");
                }
            }
        })).ToArray();

        // The slot goes to node 1 and back, 20 times: each move ends with a handover the clients' commands may meet.
        var moves = 0;
        for (ushort from = 0, to = 1; moves < 20 && failures.IsEmpty; (from, to) = (to, from), moves++)
            await cluster[from].MoveSlotsAsync(slot, slot, to).WithinAsync($"move {moves + 1}");
        await stop.CancelAsync();
        await Task.WhenAll(clients).WithinAsync("the clients to stop");

        Assert.True(failures.IsEmpty, $"{failures.Count} commands failed during {moves} moves; first: {string.Join(" | ", failures.Take(5))}");
    }

    /// <summary>
    /// The handover's mark set after the command's handover check and before its keyspace write: the test holds the
    /// key's write gate while the SET runs, so the SET passes the check and waits at the gate; the mark is set, the gate
    /// let go, and the keyspace refuses the write. The SET must wait for the handover as if the check had seen the mark
    /// (it answered -TRYAGAIN before), then go to the new owner.
    /// </summary>
    [Fact]
    public async Task A_write_whose_handover_mark_comes_after_its_check_waits_for_the_handover()
    {
        await using var cluster = await RespCluster.StartAsync(2);
        var key = RespCluster.KeyOwnedBy(cluster, 0, "window");
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(key));
        await using var admin = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        await using var client = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        var moves = cluster[0].Core.Keyspace.EnableMoves();

        Task<string> set;
        using (var gate = KeyGateHolder.Hold(cluster[0].Core.Locks, key))
        {
            set = client.CallAsync("SET", key, "v");
            // CLIENT LIST names the command once the session runs it; it then passes the check and waits at the gate.
            await Bounded.UntilAsync(async () => Count(await admin.CallAsync("CLIENT", "LIST"), "cmd=set ") >= 1, "the SET to reach node 0");
            moves.SetGone(slot, slot, true);
        }

        HandToNode1(cluster, cluster[0].ClusterState, slot);
        Assert.Equal("+OK\r\n", await set.WithinAsync("the SET"));
        Assert.True(cluster[1].Store.TryGet(Encoding.UTF8.GetBytes(key), out _), "the SET ran at the new owner");
        Assert.False(cluster[0].Store.TryGet(Encoding.UTF8.GetBytes(key), out _), "nothing was written at the old owner");
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
