using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Engine.Tests.Node;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Client;

/// <summary>The smart client follows a cluster state installed after it connected: WrongNode carries the epoch.</summary>
public sealed class ClientEpochTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_with_an_old_table_refreshes_on_a_newer_epoch_wrong_node_and_its_call_succeeds(bool fastPath)
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 1));
        var initial = cluster[0].ClusterState;
        var key = ClusterStateChangeTests.KeyOwnedBy(initial, 2, "leaving");
        await client.PutAsync(key, "old"u8.ToArray()); // the connection to node 2 is open: the fast path would use it
        Assert.Equal((ushort)2, client.OwnerOf(key));

        // Node 2 leaves the cluster (its slots go to node 0); the client still routes its keys to node 2.
        var two = new MemberList(initial.Members.Members.Where(m => m.NodeId != 2));
        var next = initial.Next(members: two, slots: ClusterStateChangeTests.ReassignSlotsOf(initial.Slots, from: 2, to: 0));
        cluster.InstallClusterState(next);
        Assert.Equal(1UL, client.Cluster.Epoch);

        using var live = new CancellationTokenSource();
        var token = fastPath ? CancellationToken.None : live.Token; // a cancellable call takes the async path
        await client.PutAsync(key, "new"u8.ToArray(), token);

        Assert.Equal(next.Epoch, client.Cluster.Epoch);
        Assert.Equal((ushort)0, client.OwnerOf(key));
        Assert.Equal(2, client.Cluster.Members.Count);
        Assert.True(cluster[0].Store.TryGet(key, out var stored));
        Assert.Equal("new"u8.ToArray(), stored.ToArray());
        Assert.Equal("new"u8.ToArray(), await client.GetAsync(key, token));
    }

    [Fact]
    public async Task A_wrong_node_from_an_older_state_is_an_error_and_leaves_the_table_alone()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0));
        var initial = cluster[0].ClusterState;
        var key = ClusterStateChangeTests.KeyOwnedBy(initial, 2, "half");
        await client.PutAsync(key, "old"u8.ToArray()); // opens the connection to node 2 while it is at epoch 1
        var slot = KeySlot.Of(key);
        var next = initial.Next(slots: initial.Slots.Assign(slot, slot, new SlotAssignment(1)));
        // Only node 2 has the new state: it forwards the client's request to node 1, which still says node 2 owns the
        // key. Node 1's WrongNode is relayed to the client with epoch 1: not newer than the client's table.
        Assert.True(cluster[2].Core.Cluster.TryInstall(next));

        var e = await Assert.ThrowsAsync<DhtServerException>(() => client.PutAsync(key, "v"u8.ToArray()).AsTask());
        Assert.Equal(StatusCode.WrongNode, e.Status);
        Assert.Equal(1UL, client.Cluster.Epoch);

        // Once node 1 has the state too, the same call succeeds (forwarded by node 2 to the new owner).
        Assert.True(cluster[1].Core.Cluster.TryInstall(next));
        await client.PutAsync(key, "v"u8.ToArray());
        Assert.True(cluster[1].Store.TryGet(key, out _));
    }

    [Fact]
    public async Task Cluster_info_and_a_new_connections_handshake_carry_the_epoch()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0));
        Assert.Equal(1UL, (await client.GetClusterInfoAsync()).Epoch);

        var initial = cluster[0].ClusterState;
        var next = initial.Next(slots: initial.Slots.Assign(0, 99, new SlotAssignment(2)));
        cluster.InstallClusterState(next);

        var view = await client.GetClusterInfoAsync();
        Assert.Equal(next.Epoch, view.Epoch);
        Assert.Equal(new SlotRange(0, 99, 2), view.Ranges[0]);
        Assert.Equal((ushort)2, client.OwnerOf(KeyInSlot(50)));

        using var raw = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        var hello = await raw.RequestAsync((w, id) => FrameWriter.WriteClusterInfo(w, id));
        Assert.True(ResponseDecoder.TryReadClusterInfo(hello.Body, out var epoch, out _, out var ranges, out _));
        Assert.Equal(next.Epoch, epoch);
        Assert.Equal(new SlotRange(0, 99, 2), ranges[0]);
    }

    private static byte[] KeyInSlot(int slot)
    {
        for (var i = 0; ; i++)
        {
            var key = Encoding.UTF8.GetBytes($"s{i}");
            if (KeySlot.Of(key) == slot)
                return key;
        }
    }
}
