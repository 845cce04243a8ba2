using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Plugins;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// <c>redis-cli --cluster add-node, reshard, rebalance, check, info, fix, del-node</c> (Debian's redis-tools) grow and shrink a
/// FastDht cluster online (docs/running.md, "Growing and shrinking with redis-cli --cluster"); skipped where redis-cli
/// is absent.
/// </summary>
public sealed class RedisCliClusterTests
{
    private const int Moved = 40;

    [RedisCliTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Redis_cli_grows_3_to_4_with_add_node_and_reshard_then_rebalance_and_del_node_shrink_back_under_load_losing_no_acknowledged_write(bool consensus)
    {
        await using var cluster = await StartAsync(consensus);
        await cluster.StartNodeAsync(3);
        var id3 = NodeId(3);
        // Before the MEET the new node is a member of nothing, as redis-cli add-node requires of it.
        var before = await CliAsync("-p", RespPort(cluster, 3).ToString(), "CLUSTER", "NODES");
        Assert.StartsWith($"{id3} 127.0.0.1:{RespPort(cluster, 3)}@", before.Output);
        Assert.Single(before.Output.Trim().Split('\n'));

        await using var client = await ConnectAsync(cluster);
        await using var resp = await RespTestClient.ConnectAsync(RespOf(cluster, 0));
        var acknowledged = new ConcurrentDictionary<string, string>();
        var failures = new ConcurrentQueue<string>();
        var retried = 0;
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            for (var i = w; !stop.IsCancellationRequested; i += 2)
            {
                try
                {
                    await client.PutAsync($"w{i}", $"v{i}");
                    acknowledged[$"w{i}"] = $"v{i}";
                }
                catch (DhtException e)
                {
                    failures.Enqueue($"write w{i}: {e.Message}");
                }
            }
        })).ToArray();
        // A RESP client that is not cluster-aware: node 0 forwards its commands; a handover's -TRYAGAIN is retried.
        var respWriter = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                string reply;
                while ((reply = (await resp.CallAsync("SET", $"r{i}", $"x{i}")).TrimEnd()).StartsWith("-TRYAGAIN", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref retried);
                    await Task.Delay(5);
                }
                if (reply == "+OK")
                    acknowledged[$"r{i}"] = $"x{i}";
                else
                    failures.Enqueue($"RESP SET r{i}: {reply}");
            }
        });
        await Bounded.UntilAsync(() => acknowledged.Count >= 200, "the load to start");

        var added = await CliAsync("--cluster", "add-node", $"127.0.0.1:{RespPort(cluster, 3)}", $"127.0.0.1:{RespPort(cluster, 0)}");
        Assert.True(added.Code == 0, added.Output);
        Assert.Contains("[OK] New node added correctly.", added.Output);
        await Bounded.UntilAsync(() => cluster.RunningNodes.All(n => n.ClusterState.Members.Count == 4 && n.IsMeshComplete) && RespAddressesKnown(cluster, 4), "node 3 to be linked to every member");

        var resharded = await CliAsync("--cluster", "reshard", $"127.0.0.1:{RespPort(cluster, 0)}",
            "--cluster-from", "all", "--cluster-to", id3, "--cluster-slots", Moved.ToString(), "--cluster-yes");
        Assert.True(resharded.Code == 0, resharded.Output);
        await Bounded.UntilAsync(() => cluster.RunningNodes.All(n => SlotsOf(n, 3) == Moved), $"node 3 to own {Moved} slots everywhere");
        var grown = acknowledged.Count;
        await Bounded.UntilAsync(() => acknowledged.Count >= grown + 200, "the load to go on with four nodes");

        var checkedGrown = await CliAsync("--cluster", "check", $"127.0.0.1:{RespPort(cluster, 3)}");
        Assert.True(checkedGrown.Code == 0, checkedGrown.Output);
        Assert.Contains("[OK] All nodes agree about slots configuration.", checkedGrown.Output);
        Assert.Contains("[OK] All 16384 slots covered.", checkedGrown.Output);

        // Weight 0 empties node 3: rebalance moves its slots back to the three others.
        var rebalanced = await CliAsync("--cluster", "rebalance", $"127.0.0.1:{RespPort(cluster, 0)}", "--cluster-weight", $"{id3}=0");
        Assert.True(rebalanced.Code == 0, rebalanced.Output);
        await Bounded.UntilAsync(() => cluster.RunningNodes.All(n => SlotsOf(n, 3) == 0), "node 3 to own no slot everywhere");

        var deleted = await CliAsync("--cluster", "del-node", $"127.0.0.1:{RespPort(cluster, 0)}", id3);
        Assert.True(deleted.Code == 0, deleted.Output);
        await Bounded.UntilAsync(() => Enumerable.Range(0, 3).All(n => cluster[n].ClusterState.Members.Count == 3), "node 3 to be gone everywhere");
        var shrunk = acknowledged.Count;
        await Bounded.UntilAsync(() => acknowledged.Count >= shrunk + 200, "the load to go on with three nodes");
        stop.Cancel();
        await Task.WhenAll([.. writers, respWriter]).WithinAsync("the load to stop");
        await cluster.StopNodeAsync(3);

        var checkedShrunk = await CliAsync("--cluster", "check", $"127.0.0.1:{RespPort(cluster, 0)}");
        Assert.True(checkedShrunk.Code == 0, checkedShrunk.Output);
        Assert.DoesNotContain(id3, checkedShrunk.Output);
        Assert.Empty(failures);
        await using var fresh = await ConnectAsync(cluster);
        foreach (var (key, value) in acknowledged)
            Assert.Equal(value, await fresh.GetStringAsync(key));
    }

    [RedisCliFact]
    public async Task Steps_FastDht_cannot_take_are_refused_with_a_reason_and_change_nothing()
    {
        await using var cluster = await StartAsync(consensus: false);
        var port = RespPort(cluster, 0).ToString();
        var key = RespCluster.KeyOwnedBy(cluster, 0, "refused");
        var slot = FastDht.Protocol.KeySlot.Of(Encoding.UTF8.GetBytes(key));
        var epoch = cluster[0].ClusterState.Epoch;
        var state = cluster[0].ClusterState;

        // MIGRATE without a move of the slot, SETSLOT NODE without a move: FastDht moves keys only with their slot.
        var migrate = await CliAsync("-p", port, "MIGRATE", "127.0.0.1", RespPort(cluster, 1).ToString(), "", "0", "5000", "KEYS", key);
        Assert.Contains($"CLUSTER SETSLOT {slot} MIGRATING {NodeId(1)}", migrate.Output);
        var node = await CliAsync("-p", port, "CLUSTER", "SETSLOT", slot.ToString(), "NODE", NodeId(1));
        Assert.Contains("FastDht gives a slot to a node only by moving it", node.Output);
        // Slots are neither added nor deleted; replicas are placed by FastDht; a node that owns slots cannot be forgotten; a member cannot be reset.
        Assert.Contains("slots cannot be added or deleted", (await CliAsync("-p", port, "CLUSTER", "ADDSLOTS", "1")).Output);
        Assert.Contains("CLUSTER REPLICATE is not supported", (await CliAsync("-p", port, "CLUSTER", "REPLICATE", NodeId(1))).Output);
        Assert.Contains("still owns slots", (await CliAsync("-p", port, "CLUSTER", "FORGET", NodeId(2))).Output);
        Assert.Contains("Unknown node", (await CliAsync("-p", port, "CLUSTER", "FORGET", NodeId(9))).Output);
        Assert.Contains("is a member of the cluster", (await CliAsync("-p", port, "CLUSTER", "RESET", "SOFT")).Output);
        Assert.Contains("FastDht nodes join from their own side", (await CliAsync("-p", port, "CLUSTER", "MEET", "127.0.0.1", "1")).Output);
        Assert.Contains("MIGRATE COPY is not supported", (await CliAsync("-p", port, "MIGRATE", "127.0.0.1", RespPort(cluster, 1).ToString(), key, "0", "5000", "COPY")).Output);
        // Redis's refusals of SETSLOT steps at the wrong node, whichever node they name (the audit found MIGRATING at a
        // non-owner naming the owner, and IMPORTING at the owner, answered OK).
        var other = RespPort(cluster, 1).ToString();
        Assert.Contains($"I'm not the owner of hash slot {slot}", (await CliAsync("-p", other, "CLUSTER", "SETSLOT", slot.ToString(), "MIGRATING", NodeId(0))).Output);
        Assert.Contains($"I'm not the owner of hash slot {slot}", (await CliAsync("-p", other, "CLUSTER", "SETSLOT", slot.ToString(), "MIGRATING", NodeId(2))).Output);
        Assert.Contains($"I'm already the owner of hash slot {slot}", (await CliAsync("-p", port, "CLUSTER", "SETSLOT", slot.ToString(), "IMPORTING", NodeId(1))).Output);
        Assert.Contains($"I'm already the owner of hash slot {slot}", (await CliAsync("-p", port, "CLUSTER", "SETSLOT", slot.ToString(), "IMPORTING", "nosuchnode")).Output);
        Assert.Contains("Unknown node nosuchnode", (await CliAsync("-p", port, "CLUSTER", "SETSLOT", slot.ToString(), "NODE", "nosuchnode")).Output);
        // No manual failover: the refusal says what FastDht does instead; Redis's syntax error for another option.
        foreach (var how in new string[][] { [], ["FORCE"], ["TAKEOVER"] })
            Assert.Contains("CLUSTER FAILOVER is not supported: FastDht fails over by itself", (await CliAsync(["-p", other, "CLUSTER", "FAILOVER", .. how])).Output);
        Assert.Contains("syntax error", (await CliAsync("-p", other, "CLUSTER", "FAILOVER", "SOON")).Output);
        // redis-cli's own check: a node that owns slots is not deleted.
        var delete = await CliAsync("--cluster", "del-node", $"127.0.0.1:{port}", NodeId(1));
        Assert.NotEqual(0, delete.Code);
        Assert.Contains("is not empty", delete.Output);

        foreach (var n in cluster.RunningNodes)
        {
            Assert.Equal(epoch, n.ClusterState.Epoch);
            Assert.Equal(state.Slots.Ranges, n.ClusterState.Slots.Ranges);
        }
    }

    /// <summary>
    /// The rest of an operator's redis-cli --cluster steps: <c>info</c>; <c>fix</c> while a move of FastDht's own
    /// (a throttled move of one slot, as a reshard interrupted with its step under way leaves) leaves it open: fix waits
    /// for that move instead of starting another (before: "slot ... is owned by node 1, not by node 0" once the first
    /// move ended, and the partial copy at the target counted as keys of a second owner); <c>create</c> over a formed cluster
    /// is refused by redis-cli itself (a FastDht cluster forms from its member list); <c>add-node --cluster-slave</c>
    /// adds the node as a master without slots and says why it is not a replica, and <c>del-node</c> takes it out again.
    /// </summary>
    [RedisCliFact]
    public async Task Fix_waits_for_an_open_move_and_info_create_and_add_node_as_a_slave_answer_as_documented()
    {
        await using var cluster = await StartAsync(consensus: false, slotMoveRate: 64 * 1024);
        var port = RespPort(cluster, 0).ToString();
        await using var client = await ConnectAsync(cluster);
        // 200 KB in one slot of node 0's: at 64 KiB/s its move takes about three seconds.
        var first = FastDht.Protocol.KeySlot.Of(Encoding.UTF8.GetBytes("{fix0}"));
        Assert.Equal((ushort)0, cluster[0].ClusterState.Slots.OwnerOf(first));
        var last = first;
        var value = new string('f', 1000);
        for (var i = 0; i < 200; i++)
            await client.PutAsync($"{{fix0}}{i}", value);

        var move = cluster[0].MoveSlotsAsync(first, last, 1);
        await Bounded.UntilAsync(() => cluster[0].ClusterState.Slots.AssignmentOf(first).IsMoving, "the move to be announced");
        var open = await CliAsync("--cluster", "check", $"127.0.0.1:{port}");
        Assert.Contains("The following slots are open", open.Output);
        var fixedUp = await CliAsync("--cluster", "fix", $"127.0.0.1:{port}");
        Assert.True(fixedUp.Code == 0, fixedUp.Output);
        Assert.DoesNotContain("replied with error", fixedUp.Output);
        await move.WithinAsync("the move to end");
        Assert.All(Enumerable.Range(first, last - first + 1), s => Assert.Equal((ushort)1, cluster[0].ClusterState.Slots.OwnerOf(s)));
        var clean = await CliAsync("--cluster", "check", $"127.0.0.1:{port}");
        Assert.True(clean.Code == 0, clean.Output);
        Assert.DoesNotContain("The following slots are open", clean.Output);
        Assert.Equal(value, await client.GetStringAsync("{fix0}7"));

        var info = await CliAsync("--cluster", "info", $"127.0.0.1:{port}");
        Assert.True(info.Code == 0, info.Output);
        Assert.Contains("in 3 masters", info.Output);

        var create = await CliAsync("--cluster", "create", $"127.0.0.1:{port}", $"127.0.0.1:{RespPort(cluster, 1)}", $"127.0.0.1:{RespPort(cluster, 2)}", "--cluster-yes");
        Assert.NotEqual(0, create.Code);
        Assert.Contains("already knows other nodes", create.Output);

        await cluster.StartNodeAsync(3);
        var slave = await CliAsync("--cluster", "add-node", $"127.0.0.1:{RespPort(cluster, 3)}", $"127.0.0.1:{port}", "--cluster-slave");
        Assert.Contains("CLUSTER REPLICATE is not supported", slave.Output);
        Assert.Contains("joined as a master without slots", slave.Output);
        await Bounded.UntilAsync(() => cluster.RunningNodes.All(n => n.ClusterState.Members.Count == 4), "node 3 to be a member everywhere");
        var deleted = await CliAsync("--cluster", "del-node", $"127.0.0.1:{port}", NodeId(3));
        Assert.True(deleted.Code == 0, deleted.Output);
        await Bounded.UntilAsync(() => Enumerable.Range(0, 3).All(n => cluster[n].ClusterState.Members.Count == 3), "node 3 to be gone everywhere");
    }

    private static async Task<TestCluster> StartAsync(bool consensus, long? slotMoveRate = null)
    {
        var cluster = await TestCluster.StartAsync(3, o =>
        {
            if (slotMoveRate is { } rate)
                o.SlotMoveRate = rate;
            o.Consensus = consensus;
            o.Listeners[ProtocolNames.Resp] = new IPEndPoint(IPAddress.Loopback, 0);
            o.JoinOnMeet = o.NodeId == 3;
        }, spareNodes: 1);
        await Bounded.UntilAsync(() => RespAddressesKnown(cluster, 3), "every node to know every node's RESP address");
        return cluster;
    }

    private static bool RespAddressesKnown(TestCluster cluster, int members)
    {
        foreach (var node in cluster.RunningNodes)
        {
            for (var id = 0; id < members; id++)
            {
                if (node.Context.GetListenerAddress((ushort)id, ProtocolNames.Resp) is null)
                    return false;
            }
        }
        return true;
    }

    private static int SlotsOf(Engine.Node.DhtNode node, ushort id)
    {
        var count = 0;
        foreach (var r in node.ClusterState.Slots.Ranges)
        {
            if (r.NodeId == id)
                count += r.LastSlot - r.FirstSlot + 1;
        }
        return count;
    }

    private static string NodeId(int id) => id.ToString("x40", System.Globalization.CultureInfo.InvariantCulture);

    private static IPEndPoint RespOf(TestCluster cluster, int index) => cluster[index].GetListenerEndPoint(ProtocolNames.Resp)!;

    private static int RespPort(TestCluster cluster, int index) => RespOf(cluster, index).Port;

    private static async Task<DhtClient> ConnectAsync(TestCluster cluster)
    {
        var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName };
        options.Seeds.Add(cluster.EndPointOf(0).ToString());
        return await DhtClient.ConnectAsync(options);
    }

    /// <summary>Runs redis-cli against 127.0.0.1 with stdin closed; its exit code and everything it printed.</summary>
    private static async Task<(int Code, string Output)> CliAsync(params string[] args)
    {
        var start = new ProcessStartInfo(RedisCliTests.RedisCli!) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-h");
        start.ArgumentList.Add("127.0.0.1");
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WithinAsync($"redis-cli {string.Join(' ', args)} to exit", TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw;
        }
        return (process.ExitCode, await output + await errors);
    }
}
