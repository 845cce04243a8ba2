using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Node;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Client;

/// <summary>
/// A write whose answer is lost after it left (the connection to its owner closes) is reported as in doubt, a typed
/// error the caller can tell from a refusal: the owner may well have applied it, as it did here.
/// </summary>
public sealed class WriteInDoubtTests
{
    [Fact]
    public async Task A_put_whose_answer_is_lost_with_the_connection_throws_write_in_doubt_and_was_applied()
    {
        await using var cluster = await TestCluster.StartAsync(3, proxied: true);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0, 1, 2));
        var key = Node.ClusterStateChangeTests.KeyOwnedBy(cluster[0].ClusterState, 1, "doubt");
        await client.PutAsync(key, "before"u8.ToArray()); // the connection to node 1 is open

        // Node 1's answers are held: the put is applied there, its Ok never arrives, then the connection is cut.
        cluster.ProxyOf(1).Stall(true, ProxyDirection.ServerToClient);
        var put = client.PutAsync(key, "after"u8.ToArray()).AsTask();
        await Bounded.UntilAsync(() => cluster[1].Store.TryGet(key, out var v) && Encoding.UTF8.GetString(v.Span) == "after", "node 1 to apply the put");
        cluster.ProxyOf(1).CutAll();

        var e = await Assert.ThrowsAsync<DhtWriteInDoubtException>(() => put.WithinAsync("the put to fail"));
        Assert.Equal((ushort)1, e.NodeId);
        Assert.IsType<DhtNodeUnavailableException>(e.InnerException);
        Assert.Contains("in doubt", e.Message, StringComparison.Ordinal);

        // A read is not in doubt: once node 1 answers again it reads the applied value.
        cluster.ProxyOf(1).Stall(false, ProxyDirection.ServerToClient);
        Assert.Equal("after", await client.GetStringAsync(Encoding.UTF8.GetString(key)).AsTask().WithinAsync("the read"));
    }
}
