using System.Text;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// WAIT numreplicas timeout with <c>--replicas 1</c>: the in-sync replicas that hold the connection's writes (replication
/// is synchronous), a timeout that answers what there is, no blocking inside EXEC, and a WAIT short of replicas that
/// answers once a replica is back in sync.
/// </summary>
public sealed class RespWaitTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Wait_answers_the_in_sync_replicas_holding_the_connection_s_writes_and_waits_for_more()
    {
        await using var cluster = await RespCluster.StartAsync(3, o =>
        {
            o.Replicas = 1;
            o.ReplicaTimeout = Bounded.Timeout;
            o.FailoverTimeout = TimeSpan.FromMilliseconds(1500);
        });
        await Bounded.UntilAsync(
            () => cluster.RunningNodes.All(n => n.ClusterState.Slots.RangeAssignments.All(a => a.InSync.Length == a.Replicas.Length)),
            "every replica to be in sync in the Raft-decided state");
        await cluster.WaitForLeasesAsync();
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));

        // Nothing written yet: the replicas of this node's range.
        Assert.Equal(":1\r\n", await c.CallAsync("WAIT", "1", "0"));
        // A write in each range (two of them forwarded): each range's one replica has it once the SET is answered.
        foreach (var owner in new[] { 0, 1, 2 })
            Assert.Equal("+OK\r\n", await c.CallAsync("SET", RespCluster.KeyOwnedBy(cluster, owner, "wait"), "v"));
        Assert.Equal(":1\r\n", await c.CallAsync("WAIT", "1", "0"));
        Assert.Equal(":1\r\n", await c.CallAsync("WAIT", "0", "0"));
        // Pipelined behind a forwarded write: answered after it, counting it.
        await c.SendAsync(RespTestClient.Encode("SET", RespCluster.KeyOwnedBy(cluster, 1, "wait-piped"), "v") + RespTestClient.Encode("WAIT", "1", "0"));
        Assert.Equal("+OK\r\n", await c.ReadReplyAsync());
        Assert.Equal(":1\r\n", await c.ReadReplyAsync());
        // More replicas than any range has: the timeout passes and WAIT answers the count, as Redis does.
        Assert.Equal(":1\r\n", await c.CallAsync("WAIT", "2", "100"));
        // Inside EXEC it does not block, even with no timeout (Redis's rule).
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", RespCluster.KeyOwnedBy(cluster, 0, "wait-multi"), "v"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("WAIT", "5", "0"));
        Assert.Equal("*2\r\n+OK\r\n:1\r\n", await c.CallAsync("EXEC"));

        // Node 2 stops: its range is promoted at node 0 with no replica in sync, so no replica is known to hold the
        // write made there.
        var key2 = RespCluster.KeyOwnedBy(cluster, 2, "wait");
        await cluster.StopNodeAsync(2);
        await Bounded.UntilAsync(() => cluster[0].ClusterState.OwnerOf(B(key2)) == 0, "node 0 to be promoted for node 2's range");
        Assert.Equal(":0\r\n", await c.CallAsync("WAIT", "1", "100"));

        // A WAIT without a timeout answers once node 2 is back and caught up (in sync again).
        await c.SendAsync(RespTestClient.Encode("WAIT", "1", "0"));
        await cluster.StartNodeAsync(2);
        Assert.Equal(":1\r\n", await c.ReadReplyAsync().WaitAsync(Bounded.Timeout));
        Assert.Equal(1, cluster[0].ClusterState.Slots.AssignmentOf(KeySlot.Of(B(key2))).InSync.Length);
    }

    [Fact]
    public async Task Wait_without_replicas_answers_0_and_refuses_what_Redis_refuses()
    {
        await using var cluster = await RespCluster.StartAsync();
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", RespCluster.KeyOwnedBy(cluster, 2, "wait"), "v"));
        Assert.Equal(":0\r\n", await c.CallAsync("WAIT", "0", "0"));
        Assert.Equal(":0\r\n", await c.CallAsync("WAIT", "1", "50"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("WAIT", "x", "0"));
        Assert.Equal("-ERR timeout is not an integer or out of range\r\n", await c.CallAsync("WAIT", "1", "1.5"));
        Assert.Equal("-ERR timeout is negative\r\n", await c.CallAsync("WAIT", "1", "-1"));
        Assert.Equal("-ERR wrong number of arguments for 'wait' command\r\n", await c.CallAsync("WAIT", "1"));
        Assert.StartsWith("-ERR This Redis command is not allowed from script", await c.CallAsync("EVAL", "return redis.call('wait', 0, 0)", "0"), StringComparison.Ordinal);
        Assert.Equal("+PONG\r\n", await c.CallAsync("PING"));
    }
}
