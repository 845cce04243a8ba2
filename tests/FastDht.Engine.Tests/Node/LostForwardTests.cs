using System.Buffers;
using System.Text;
using FastDht.Engine.Node;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

/// <summary>
/// A client's command that a node sent on to the key's owner, and whose answer is lost (the link to the owner closes,
/// or the forward's time runs out): the owner may have applied it, so the client hears that the outcome is unknown
/// (RESP <c>-TIMEOUT</c>, native Timeout), never <c>-CLUSTERDOWN</c>/NodeUnavailable, which cluster clients retry (an
/// INCR applied twice: the outside audit, docs/known-issues.md). The owner's answers are held by the test's proxies,
/// so the owner has applied the command, and the answer is known not to have come back, before the link is cut.
/// </summary>
public sealed class LostForwardTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_RESP_INCR_the_owner_applied_and_whose_answer_is_lost_is_answered_TIMEOUT_not_CLUSTERDOWN(bool linkLost)
    {
        // Lost link: only the test's cut ends the forward (the peer and forward timeouts are far longer than the test).
        // Expiry: the forward's time runs out first, the link stays.
        await using var cluster = await RespCluster.StartAsync(2, o => Timeouts(o, forward: linkLost ? TimeSpan.FromMinutes(5) : TimeSpan.FromSeconds(1)), proxied: true);
        cluster.SpareRaftFromFaults();
        var key = RespCluster.KeyOwnedBy(cluster, 1, "lost");
        await using var viaNode0 = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        await using var atOwner = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1));
        try
        {
            // Node 1's bytes to node 0 are held: the forwarded INCR runs at node 1, its answer does not come back.
            cluster.StallLink(1, 0, true);
            await viaNode0.SendAsync(RespTestClient.Encode("INCR", key));
            await Bounded.UntilAsync(async () => await atOwner.CallAsync("GET", key) == "$1\r\n1\r\n", "the owner to apply the forwarded INCR");
            if (linkLost)
                CutPeerLinks(cluster);

            var reply = await viaNode0.ReadReplyAsync();
            Assert.StartsWith("-TIMEOUT node 1 ", reply, StringComparison.Ordinal);
            Assert.Contains(linkLost ? "closed its link with the command sent and unanswered" : "did not answer in time", reply, StringComparison.Ordinal);
            Assert.Contains("may or may not have been applied", reply, StringComparison.Ordinal);
        }
        finally
        {
            cluster.StallLink(1, 0, false);
        }
        Assert.Equal("$1\r\n1\r\n", await atOwner.CallAsync("GET", key));
    }

    [Fact]
    public async Task A_native_Put_the_owner_applied_and_whose_answer_is_lost_with_the_link_is_answered_Timeout_not_NodeUnavailable()
    {
        await using var cluster = await TestCluster.StartAsync(2, o => Timeouts(o, forward: TimeSpan.FromMinutes(5)), proxied: true);
        cluster.SpareRaftFromFaults();
        var key = Encoding.UTF8.GetBytes(RespCluster.KeyOwnedBy(cluster, 1, "lost"));
        using var viaNode0 = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        using var atOwner = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        try
        {
            cluster.StallLink(1, 0, true);
            var put = new ArrayBufferWriter<byte>();
            var id = viaNode0.NextId();
            FrameWriter.WritePut(put, id, key, "v"u8);
            await viaNode0.SendRawAsync(put.WrittenMemory);
            await Bounded.UntilAsync(async () => (await atOwner.GetAsync(key)).Status == StatusCode.Ok, "the owner to apply the forwarded Put");
            CutPeerLinks(cluster);

            var answer = await viaNode0.ReadResponseAsync();
            Assert.NotNull(answer);
            Assert.Equal(id, answer.Header.RequestId);
            Assert.Equal(StatusCode.Timeout, answer.Status);
            Assert.Contains("may or may not have been applied", answer.ErrorMessage, StringComparison.Ordinal);
        }
        finally
        {
            cluster.StallLink(1, 0, false);
        }
    }

    /// <summary>The peer timeout far beyond the test (only the test's cut closes a link), and the forward timeout given.</summary>
    private static void Timeouts(NodeOptions options, TimeSpan forward)
    {
        options.PeerTimeout = TimeSpan.FromMinutes(5);
        options.ForwardTimeout = forward;
    }

    /// <summary>Resets every peer link of the two nodes (both proxies: either node may have dialed).</summary>
    private static void CutPeerLinks(TestCluster cluster)
    {
        cluster.ProxyOf(0).CutAll();
        cluster.ProxyOf(1).CutAll();
    }
}
