using System.Text;
using FastDht.Engine.Node;
using FastDht.Engine.Mesh.Internal;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

public sealed class MeshTests
{
    public static TheoryData<int[]> StartOrders() => new()
    {
        new[] { 0, 1, 2 }, new[] { 0, 2, 1 }, new[] { 1, 0, 2 }, new[] { 1, 2, 0 }, new[] { 2, 0, 1 }, new[] { 2, 1, 0 },
    };

    [Theory]
    [MemberData(nameof(StartOrders))]
    public async Task Nodes_started_in_any_order_form_the_full_mesh_with_one_link_per_pair(int[] order)
    {
        await using var cluster = await TestCluster.StartAsync(3, start: false);
        var started = new List<int>();
        foreach (var i in order)
        {
            await cluster.StartNodeAsync(i);
            started.Add(i);
            // The nodes started so far link up before the next one starts, so they are already redialing (with
            // backoff) the nodes not started yet: every start order meets a mesh in that state.
            await Bounded.UntilAsync(
                () => started.All(a => started.All(b => a == b || cluster[a].Core.Mesh.IsUp((ushort)b))),
                $"nodes {string.Join(", ", started)} link up");
        }
        await cluster.WaitForMeshAsync();
        await AssertOneLinkPerPairAsync(cluster);
    }

    [Fact]
    public async Task Two_nodes_dialing_each_other_at_once_end_with_one_shared_link()
    {
        for (var round = 0; round < 5; round++)
        {
            await using var cluster = await TestCluster.StartAsync(2, start: false);
            await Task.WhenAll(cluster.StartNodeAsync(0), cluster.StartNodeAsync(1));
            await cluster.WaitForMeshAsync();
            await AssertOneLinkPerPairAsync(cluster);

            var a = Links(cluster[0]).Single();
            var b = Links(cluster[1]).Single();
            // The same TCP connection seen from both ends.
            Assert.Equal(a.Connection.LocalEndPoint, b.Connection.RemoteEndPoint);
            Assert.Equal(a.Connection.RemoteEndPoint, b.Connection.LocalEndPoint);
        }
    }

    [Fact]
    public async Task A_stopped_node_fails_fast_and_the_mesh_heals_when_it_returns()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var keysOf2 = Enumerable.Range(0, 500).Select(i => Encoding.UTF8.GetBytes($"k{i}")).Where(k => cluster.OwnerOf(k) == 2).Take(5).ToArray();
        var keysOf1 = Enumerable.Range(0, 500).Select(i => Encoding.UTF8.GetBytes($"k{i}")).Where(k => cluster.OwnerOf(k) == 1).Take(5).ToArray();
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        foreach (var k in keysOf2.Concat(keysOf1))
            Assert.Equal(StatusCode.Ok, (await client.PutAsync(k, "v"u8.ToArray())).Status);

        await cluster.StopNodeAsync(2);
        await Bounded.UntilAsync(() => !cluster[0].Core.Mesh.IsUp(2), "node 0 notices node 2 is gone");

        foreach (var k in keysOf2)
        {
            var r = await client.GetAsync(k);
            Assert.Equal(StatusCode.NodeUnavailable, r.Status);
            Assert.Contains("node 2 (" + cluster.Members.Get(2).Address + ")", r.ErrorMessage, StringComparison.Ordinal);
        }
        foreach (var k in keysOf1)
            Assert.Equal(StatusCode.Ok, (await client.GetAsync(k)).Status); // the others keep serving theirs
        Assert.Contains(cluster[0].GetPeers(), p => p.NodeId == 2 && !p.IsUp);

        await cluster.StartNodeAsync(2);
        await cluster.WaitForMeshAsync();
        foreach (var k in keysOf2)
        {
            // Node 2 restarted empty (no persistence yet): its slots are served again.
            Assert.Equal(StatusCode.NotFound, (await client.GetAsync(k)).Status);
            Assert.Equal(StatusCode.Ok, (await client.PutAsync(k, "again"u8.ToArray())).Status);
            Assert.Equal("again"u8.ToArray(), (await client.GetAsync(k)).Value);
        }
        await AssertOneLinkPerPairAsync(cluster);
    }

    [Fact]
    public async Task A_peer_with_another_member_list_or_cluster_is_refused()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        // A node claiming id 1 of a cluster whose member list differs (another address for itself).
        var impostorSocket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        impostorSocket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var members = FastDht.Engine.Cluster.MemberList.Parse($"0={cluster.Members.Get(0).Address},1={impostorSocket.LocalEndPoint}");
        var options = cluster.OptionsFor(1);
        options.Members = members;
        options.ListenSocket = impostorSocket;
        await using var impostor = await DhtNode.StartAsync(options);
        await Bounded.UntilAsync(() => impostor.Core.Mesh.LastRefusal(0) is not null, "node 0 refuses the impostor's link");
        Assert.Contains("member lists differ", impostor.Core.Mesh.LastRefusal(0), StringComparison.Ordinal);
        Assert.False(impostor.IsMeshComplete);
        Assert.True(cluster[0].Core.Mesh.IsUp(1)); // the real node 1 keeps its link
        Assert.Single(Links(cluster[0]));

        // A client of another cluster is refused at the handshake with a clear error.
        using var raw = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null);
        var hello = await raw.RequestAsync((w, id) => FrameWriter.WriteHello(w, id, NodeRole.Client, ProtocolConstants.ClientNodeId, "other", "", 1 << 20));
        Assert.Equal(StatusCode.HandshakeRefused, hello.Status);
        Assert.Contains("cluster name 'other'", hello.ErrorMessage, StringComparison.Ordinal);
        Assert.True(await raw.IsClosedByNodeAsync());
    }

    /// <summary>
    /// A Hello from an older process of a peer that is linked and alive is a duplicate link: refused with its own
    /// status (DuplicateLink, a kind the dialer acts on, not a message it parses), and the live link stays.
    /// </summary>
    [Fact]
    public async Task A_duplicate_link_is_refused_with_its_own_status_and_the_live_link_stays()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var node0 = cluster[0];
        var options = cluster.OptionsFor(1);
        using var raw = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null);
        var hello = await raw.RequestAsync((w, id) => FrameWriter.WriteHello(
            w, id, NodeRole.Node, 1, options.ClusterName, options.LockStrategy, 1 << 20, incarnation: 1, membersDigest: cluster.Members.Digest));

        Assert.Equal(StatusCode.DuplicateLink, hello.Status);
        Assert.Contains("older process", hello.ErrorMessage, StringComparison.Ordinal);
        Assert.True(await raw.IsClosedByNodeAsync());
        Assert.True(node0.Core.Mesh.IsUp(1));
        Assert.Single(Links(node0));
    }

    internal static PeerLink[] Links(DhtNode node) =>
        node.Core.Mesh.AllLinks.Where(l => l.IsUp && l.IsOpen && !l.IsRetired).ToArray();

    private static async Task AssertOneLinkPerPairAsync(TestCluster cluster)
    {
        // Retired duplicates close once drained; wait for that, then every node has one link per peer.
        await Bounded.UntilAsync(
            () => cluster.RunningNodes.All(n => n.Core.Mesh.AllLinks.Count(l => l.IsUp && l.IsOpen) == cluster.Count - 1),
            "every node has exactly one open link per peer");
        foreach (var node in cluster.RunningNodes)
        {
            var peers = Links(node).Select(s => s.PeerId).OrderBy(x => x).ToArray();
            Assert.Equal(Enumerable.Range(0, cluster.Count).Where(i => i != node.NodeId).Select(i => (ushort)i), peers);
        }
    }
}
