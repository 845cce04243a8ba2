using System.Net;
using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Node;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

/// <summary>The engine's in-process cluster builder, as an embedder uses it (no test defaults on top).</summary>
public sealed class LocalClusterTests
{
    [Fact]
    public async Task Nodes_listen_on_loopback_with_their_own_options_and_serve_a_client()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            NodeCount = 3,
            // Options per node: only node 1 serves RESP.
            Configure = o =>
            {
                if (o.NodeId == 1)
                    o.Listeners["resp"] = new IPEndPoint(IPAddress.Loopback, 0);
            },
        }).WithinAsync("the cluster to start");

        Assert.Equal(3, cluster.RunningNodes.Count);
        for (var i = 0; i < cluster.Count; i++)
        {
            Assert.Equal(IPAddress.Loopback, cluster.EndPointOf(i).Address);
            Assert.Equal(cluster.EndPointOf(i), cluster[i].EndPoint);
            Assert.Equal($"127.0.0.1:{cluster.EndPointOf(i).Port}", cluster.Seeds[i]);
        }
        Assert.Null(cluster[0].GetListenerEndPoint("resp"));
        Assert.NotNull(cluster[1].GetListenerEndPoint("resp"));
        Assert.Null(cluster[2].GetListenerEndPoint("resp"));

        var options = new DhtClientOptions();
        options.Seeds.Add(cluster.Seeds[2]);
        await using var client = await DhtClient.ConnectAsync(options).WithinAsync("the client to connect");
        var key = Encoding.ASCII.GetBytes("local-cluster");
        await client.PutAsync(key, new byte[] { 1, 2, 3 }).AsTask().WithinAsync("the put");
        Assert.Equal(new byte[] { 1, 2, 3 }, cluster[cluster.OwnerOf(key)].Store.TryGet(key, out var stored) ? stored.ToArray() : null);
    }

    [Fact]
    public async Task A_stopped_node_restarts_on_its_address_and_rejoins_the_mesh()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            NodeCount = 2,
            Configure = o =>
            {
                o.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
                o.PeerTimeout = TimeSpan.FromSeconds(2);
                o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(200);
            },
        }).WithinAsync("the cluster to start");
        var address = cluster.EndPointOf(1);

        await cluster.StopNodeAsync(1).WithinAsync("node 1 to stop");
        Assert.False(cluster.IsRunning(1));
        Assert.Throws<InvalidOperationException>(() => cluster[1]);
        Assert.Single(cluster.RunningNodes);

        var restarted = await cluster.StartNodeAsync(1).WithinAsync("node 1 to restart");
        Assert.Equal(address, restarted.EndPoint);
        await cluster.WaitForMeshAsync(Bounded.Timeout).WithinAsync("the mesh to form again");
        await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.StartNodeAsync(1));
    }

    [Fact]
    public async Task Without_start_only_ports_are_reserved_and_nodes_start_one_by_one_on_them()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { NodeCount = 2, Start = false });
        Assert.Empty(cluster.RunningNodes);

        var node = await cluster.StartNodeAsync(0).WithinAsync("node 0 to start");
        Assert.Equal(cluster.EndPointOf(0), node.EndPoint);
        Assert.False(cluster.IsRunning(1));
    }
}
