using System.Text;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

/// <summary>A cluster state installed at run time: routing and the mesh follow it (what failover and rebalancing will do).</summary>
public sealed class ClusterStateChangeTests
{
    [Fact]
    public async Task Keys_move_to_the_owner_of_a_newly_installed_state()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var key = KeyOwnedBy(cluster[0].ClusterState, 2, "moved");
        var slot = KeySlot.Of(key);
        var before = cluster[0].ClusterState;
        var after = before.Next(slots: before.Slots.Assign(slot, slot, new SlotAssignment(0)));

        cluster.InstallClusterState(after);

        foreach (var node in cluster.RunningNodes)
        {
            Assert.Same(after, node.ClusterState);
            Assert.Equal((ushort)0, node.Core.OwnerOf(key));
        }
        // Sent to node 1, which forwards by the new state: the value lands at node 0, not at the old owner.
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        Assert.Equal(StatusCode.Ok, (await client.PutAsync(key, "v2"u8.ToArray())).Status);
        Assert.True(cluster[0].Store.TryGet(key, out _));
        Assert.False(cluster[2].Store.TryGet(key, out _));
        Assert.Equal("v2"u8.ToArray(), (await client.GetAsync(key)).Value);
        // A key of node 2 outside the moved slot stays where it was.
        var stays = KeyOwnedBy(after, 2, "stays");
        Assert.Equal(StatusCode.Ok, (await client.PutAsync(stays, "s"u8.ToArray())).Status);
        Assert.True(cluster[2].Store.TryGet(stays, out _));
    }

    [Fact]
    public async Task The_mesh_drops_a_member_that_leaves_and_dials_it_again_when_it_returns()
    {
        await using var cluster = await TestCluster.StartAsync(4);
        var initial = cluster[0].ClusterState;
        var three = new MemberList(initial.Members.Members.Where(m => m.NodeId != 3));
        // Node 3 leaves: its slots go to node 0.
        var withoutThree = initial.Next(members: three, slots: ReassignSlotsOf(initial.Slots, from: 3, to: 0));

        cluster.InstallClusterState(withoutThree);

        await Bounded.UntilAsync(() => cluster.RunningNodes.All(n => n.Core.Mesh.Links.All(l => l.PeerId != 3) && n.Core.Mesh.GetLink(3) is null)
            && !cluster[3].Core.Mesh.Links.Any(), "every link to node 3 is closed");
        foreach (var n in cluster.RunningNodes.Where(n => n.NodeId != 3))
        {
            Assert.True(n.IsMeshComplete);
            Assert.Equal(3, n.GetPeers().Count);
        }
        var key = KeyOwnedBy(initial, 3, "left");
        using (var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1)))
        {
            Assert.Equal(StatusCode.Ok, (await client.PutAsync(key, "v"u8.ToArray())).Status);
            Assert.True(cluster[0].Store.TryGet(key, out _));
        }

        // Node 3 comes back with its slots: every node dials it again and routes its keys to it.
        var withThree = withoutThree.Next(members: initial.Members, slots: initial.Slots);
        cluster.InstallClusterState(withThree);
        await cluster.WaitForMeshAsync();
        foreach (var n in cluster.RunningNodes)
            Assert.Equal(withThree.Members.Count - 1, n.Core.Mesh.Links.Count());
        using (var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1)))
        {
            Assert.Equal(StatusCode.Ok, (await client.PutAsync(key, "back"u8.ToArray())).Status);
            Assert.True(cluster[3].Store.TryGet(key, out var stored));
            Assert.Equal("back"u8.ToArray(), stored.ToArray());
        }
    }

    [Fact]
    public async Task A_member_at_a_new_address_is_dialed_there()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var initial = cluster[0].ClusterState;
        await cluster.StopNodeAsync(2);

        // Node 2 comes back on another port (another host, say): a new state names its new address.
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var port = ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
        var moved = new MemberList(initial.Members.Members.Select(m => m.NodeId == 2 ? new ClusterMember(2, "127.0.0.1", port) : m));
        var next = initial.Next(members: moved);
        var options = cluster.OptionsFor(2);
        options.Members = moved;
        options.ListenSocket = socket;
        await using var replacement = await DhtNode.StartAsync(options);
        Assert.True(replacement.Core.Cluster.TryInstall(next));
        cluster.InstallClusterState(next);

        await Task.WhenAll(cluster.RunningNodes.Append(replacement).Select(n => n.WaitForMeshAsync(Bounded.Timeout)));
        var key = KeyOwnedBy(next, 2, "readdressed");
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await client.PutAsync(key, "v"u8.ToArray())).Status);
        Assert.True(replacement.Store.TryGet(key, out _));
    }

    [Fact]
    public async Task Resp_cluster_replies_and_routing_follow_a_newly_installed_state()
    {
        await using var cluster = await Resp.RespCluster.StartAsync(3);
        await using var c = await Resp.RespTestClient.ConnectAsync(Resp.RespCluster.RespOf(cluster, 1));
        Assert.Contains("cluster_current_epoch:1\r\n", await c.CallAsync("CLUSTER", "INFO"));
        var before = cluster[0].ClusterState;
        var key = KeyOwnedBy(before, 2, "resp");
        var slot = KeySlot.Of(key);
        var after = before.Next(slots: before.Slots.Assign(slot, slot, new SlotAssignment(0)));

        cluster.InstallClusterState(after);

        var info = await c.CallAsync("CLUSTER", "INFO");
        Assert.Contains("cluster_current_epoch:2\r\n", info);
        Assert.Contains("cluster_my_epoch:2\r\n", info);
        var nodes = await c.CallAsync("CLUSTER", "NODES");
        Assert.Contains($" {slot}\n", nodes, StringComparison.Ordinal); // the moved slot, alone on node 0's line
        var nodeLines = nodes.Split('\n').Where(l => l.Contains("connected", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, nodeLines.Length);
        Assert.All(nodeLines, line => Assert.Contains(" - 0 0 2 ", line, StringComparison.Ordinal)); // config epoch 2
        var slots = await c.CallAsync("CLUSTER", "SLOTS");
        Assert.StartsWith("*5\r\n", slots); // node 2's range is split around the moved slot
        Assert.Contains($":{slot}\r\n:{slot}\r\n", slots, StringComparison.Ordinal);

        // This connection read the layout, so it is moved to the new owner; one that did not is forwarded there.
        Assert.Equal($"-MOVED {slot} 127.0.0.1:{Resp.RespCluster.RespOf(cluster, 0).Port}\r\n", await c.CallAsync("SET", Encoding.UTF8.GetString(key), "v"));
        await using var plain = await Resp.RespTestClient.ConnectAsync(Resp.RespCluster.RespOf(cluster, 1));
        Assert.Equal("+OK\r\n", await plain.CallAsync("SET", Encoding.UTF8.GetString(key), "v"));
        Assert.True(cluster[0].Store.TryGet(key, out _));
        Assert.False(cluster[2].Store.TryGet(key, out _));
    }

    internal static byte[] KeyOwnedBy(ClusterState state, ushort owner, string prefix)
    {
        for (var i = 0; ; i++)
        {
            var key = Encoding.UTF8.GetBytes($"{prefix}{i}");
            if (state.OwnerOf(key) == owner)
                return key;
        }
    }

    internal static SlotTable ReassignSlotsOf(SlotTable table, ushort from, ushort to)
    {
        var result = table;
        foreach (var r in table.Ranges)
        {
            if (r.NodeId == from)
                result = result.Assign(r.FirstSlot, r.LastSlot, new SlotAssignment(to));
        }
        return result;
    }
}
