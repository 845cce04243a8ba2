using FastDht.Engine.Node;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

/// <summary>
/// Commands that span nodes (DEL/EXISTS of keys on several nodes, FLUSHALL, KEYS, DBSIZE, SCAN, RANDOMKEY, WATCH,
/// the blocking pops) whose part at another node was sent and its answer lost follow the rule of single-key forwards
/// (LostForwardTests): the part may have run at its owner, so the client hears <c>-TIMEOUT</c> "may or may not have been
/// applied", never <c>-CLUSTERDOWN</c> (which cluster clients retry) and never a count or a list that leaves the part
/// out; a part never sent is <c>-CLUSTERDOWN</c>. A transaction decided commit whose commit is not confirmed in time is
/// never reported as not applied. The owner's answers are held by the test's proxies (each run: the owner ran the part,
/// and its answer is known not to have come back) before the link is cut.
/// </summary>
public sealed class LostPartTests
{
    /// <summary>The answers node 1 gives node 0's RespExecute parts (the proxies carry the link whichever node dialed).</summary>
    private static bool IsRespAnswer(FrameHeader h) => h.Opcode == Opcode.RespExecute && h.IsResponse;

    [Theory]
    [InlineData("DEL")]
    [InlineData("UNLINK")]
    [InlineData("EXISTS")]
    [InlineData("TOUCH")]
    [InlineData("FLUSHALL")]
    [InlineData("KEYS")]
    [InlineData("DBSIZE")]
    [InlineData("SCAN")]
    [InlineData("RANDOMKEY")]
    [InlineData("WATCH")]
    [InlineData("BLPOP")]
    public async Task A_part_the_other_node_ran_and_whose_answer_is_lost_is_answered_TIMEOUT(string command)
    {
        var (started, here, there) = await StartProxiedAsync(LongTimeouts);
        await using var cluster = started;
        await using var viaNode0 = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        await using var atOwner = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1));
        // Only node 1 holds a key (RANDOMKEY then asks it, whatever the order); a list for BLPOP.
        Assert.Equal(":1\r\n", await atOwner.CallAsync("RPUSH", there, "element"));
        string[] args = command switch
        {
            "DEL" or "UNLINK" or "EXISTS" or "TOUCH" => [command, here, there],
            "KEYS" => [command, "*"],
            "SCAN" => [command, (1UL << 47).ToString(System.Globalization.CultureInfo.InvariantCulture)], // node 1's walk from its start
            "WATCH" => [command, there],
            "BLPOP" => [command, there, "0"],
            _ => [command],
        };
        try
        {
            cluster.ProxyOf(0).HoldFrames(IsRespAnswer);
            cluster.ProxyOf(1).HoldFrames(IsRespAnswer);
            await viaNode0.SendAsync(RespTestClient.Encode(args));
            await Bounded.UntilAsync(() => cluster.ProxyOf(0).HeldFrames + cluster.ProxyOf(1).HeldFrames >= 1, "node 1 to answer its part (held)");
            CutPeerLinks(cluster);
        }
        finally
        {
            cluster.ProxyOf(0).HoldFrames(null);
            cluster.ProxyOf(1).HoldFrames(null);
        }

        var reply = await viaNode0.ReadReplyAsync();
        Assert.StartsWith("-TIMEOUT ", reply, StringComparison.Ordinal);
        Assert.Contains("node 1 ", reply, StringComparison.Ordinal);
        Assert.Contains("closed its link with the command sent and unanswered: it may or may not have been applied", reply, StringComparison.Ordinal);
        if (command is "DEL" or "UNLINK" or "FLUSHALL" or "BLPOP")
        {
            // The part did run: the reply is not a refusal in disguise.
            Assert.Equal(":0\r\n", await atOwner.CallAsync("EXISTS", there));
        }
    }

    [Theory]
    [InlineData("DEL")]
    [InlineData("EXISTS")]
    public async Task A_part_never_sent_because_its_owner_is_down_is_answered_CLUSTERDOWN(string command)
    {
        await using var cluster = await RespCluster.StartAsync(2);
        var here = RespCluster.KeyOwnedBy(cluster, 0, "here");
        var there = RespCluster.KeyOwnedBy(cluster, 1, "there");
        await using var viaNode0 = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("+OK\r\n", await viaNode0.CallAsync("SET", here, "v"));
        await cluster.StopNodeAsync(1);
        await Bounded.UntilAsync(() => cluster[0].GetPeers().Any(p => p.NodeId == 1 && !p.IsUp), "node 0 to see node 1 down");

        var reply = await viaNode0.CallAsync(command, here, there);
        Assert.StartsWith("-CLUSTERDOWN part of the keys could not be ", reply, StringComparison.Ordinal);
        Assert.Contains("node 1 ", reply, StringComparison.Ordinal);
        if (command == "DEL")
            Assert.Equal(":0\r\n", await viaNode0.CallAsync("EXISTS", here)); // the other node's part ran, as the error says
    }

    /// <summary>
    /// A transaction over both nodes whose commit to node 1 is held past TxnTimeout: the coordinator decided commit and
    /// answers that it is in doubt and will be applied. EXEC must not add "the transaction was not applied"; BLMOVE,
    /// whose move will be applied, answers the element it moves.
    /// </summary>
    [Theory]
    [InlineData("EXEC")]
    [InlineData("BLMOVE")]
    public async Task A_transaction_decided_commit_and_not_confirmed_in_time_is_never_answered_as_not_applied(string command)
    {
        // TxnTimeout bounds the attempt too: 5 s, so a loaded machine still locks, reads and prepares within it (at 1 s a
        // BLMOVE under two CPU hogs once gave up before its commit), and then answers once the commit waited that long.
        var (started, here, there) = await StartProxiedAsync(o =>
        {
            LongTimeouts(o);
            o.TxnTimeout = TimeSpan.FromSeconds(5);
        });
        await using var cluster = started;
        await using var viaNode0 = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        await using var atOwner = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1));
        Assert.Equal(":1\r\n", await atOwner.CallAsync("RPUSH", there, "element"));
        static bool IsCommit(FrameHeader h) => h.Opcode == Opcode.TxnCommit && !h.IsResponse;
        string reply;
        try
        {
            cluster.ProxyOf(0).HoldFrames(IsCommit);
            cluster.ProxyOf(1).HoldFrames(IsCommit);
            if (command == "EXEC")
            {
                Assert.Equal("+OK\r\n", await viaNode0.CallAsync("MULTI"));
                Assert.Equal("+QUEUED\r\n", await viaNode0.CallAsync("SET", here, "a"));
                Assert.Equal("+QUEUED\r\n", await viaNode0.CallAsync("LPUSH", there, "b"));
                reply = await viaNode0.CallAsync("EXEC");
            }
            else
            {
                reply = await viaNode0.CallAsync("BLMOVE", there, here, "LEFT", "LEFT", "0");
            }
            Assert.True(cluster.ProxyOf(0).HeldFrames + cluster.ProxyOf(1).HeldFrames >= 1, $"the commit to node 1 was held (the reply: {reply})");
        }
        finally
        {
            cluster.ProxyOf(0).HoldFrames(null);
            cluster.ProxyOf(1).HoldFrames(null);
        }

        if (command == "EXEC")
        {
            Assert.StartsWith("-TIMEOUT ", reply, StringComparison.Ordinal);
            Assert.Contains("decided commit", reply, StringComparison.Ordinal);
            Assert.DoesNotContain("not applied", reply, StringComparison.Ordinal);
            // Once the commit passes, node 1 applies its part (the delivery goes on until acknowledged).
            await Bounded.UntilAsync(async () => await atOwner.CallAsync("LLEN", there) == ":2\r\n", "node 1 to apply the held commit");
        }
        else
        {
            Assert.Equal("$7\r\nelement\r\n", reply);
            await Bounded.UntilAsync(async () => await atOwner.CallAsync("EXISTS", there) == ":0\r\n", "node 1 to apply the held commit");
            Assert.Equal("*1\r\n$7\r\nelement\r\n", await viaNode0.CallAsync("LRANGE", here, "0", "-1"));
        }
    }

    /// <summary>Two nodes whose peer link runs through the test's proxies (Raft spared), and a key owned by each.</summary>
    private static async Task<(TestCluster Cluster, string Here, string There)> StartProxiedAsync(Action<NodeOptions> configure)
    {
        var cluster = await RespCluster.StartAsync(2, configure, proxied: true);
        cluster.SpareRaftFromFaults();
        return (cluster, RespCluster.KeyOwnedBy(cluster, 0, "here"), RespCluster.KeyOwnedBy(cluster, 1, "there"));
    }

    /// <summary>Only the test's cut closes a link, and only the test's release ends a forward (both far beyond the test).</summary>
    private static void LongTimeouts(NodeOptions options)
    {
        options.PeerTimeout = TimeSpan.FromMinutes(5);
        options.ForwardTimeout = TimeSpan.FromMinutes(5);
    }

    /// <summary>Resets every peer link of the two nodes (both proxies: either node may have dialed).</summary>
    private static void CutPeerLinks(TestCluster cluster)
    {
        cluster.ProxyOf(0).CutAll();
        cluster.ProxyOf(1).CutAll();
    }
}
