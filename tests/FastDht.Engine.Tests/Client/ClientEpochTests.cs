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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_with_an_old_table_learns_a_moved_slot_from_the_old_owner_instead_of_paying_a_hop(bool fastPath)
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0));
        var initial = cluster[0].ClusterState;
        var key = ClusterStateChangeTests.KeyOwnedBy(initial, 2, "moving");
        await client.PutAsync(key, "old"u8.ToArray());
        var slot = KeySlot.Of(key);
        var next = initial.Next(slots: initial.Slots.Assign(slot, slot, new SlotAssignment(0)));
        cluster.InstallClusterState(next);

        // Node 2 does not forward the client's ROUTED request: it answers WrongNode at epoch 2, naming node 0.
        using var live = new CancellationTokenSource();
        await client.PutAsync(key, "new"u8.ToArray(), fastPath ? CancellationToken.None : live.Token);

        Assert.Equal(next.Epoch, client.Cluster.Epoch);
        Assert.Equal((ushort)0, client.OwnerOf(key));
        Assert.True(cluster[0].Store.TryGet(key, out var stored));
        Assert.Equal("new"u8.ToArray(), stored.ToArray());
        // A plain request (no ROUTED) at the old owner is still forwarded: clients without a table keep working.
        using var plain = await NativeTestClient.ConnectAsync(cluster.EndPointOf(2));
        Assert.Equal("new"u8.ToArray(), (await plain.GetAsync(key)).Value);
    }

    [Fact]
    public async Task A_fast_path_retry_that_fails_reports_the_new_owners_failure()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0));
        var initial = cluster[0].ClusterState;
        var key = ClusterStateChangeTests.KeyOwnedBy(initial, 2, "to-a-dead-node");
        await client.PutAsync(key, "old"u8.ToArray());
        var slot = KeySlot.Of(key);
        var next = initial.Next(slots: initial.Slots.Assign(slot, slot, new SlotAssignment(1)));
        cluster.InstallClusterState(next);
        await cluster.StopNodeAsync(1);

        // WrongNode from node 2 sends the retry to node 1, which is down: the caller gets that, not a hang.
        var e = await Assert.ThrowsAsync<DhtNodeUnavailableException>(() => client.PutAsync(key, "new"u8.ToArray()).AsTask().WaitAsync(Bounded.Timeout));
        Assert.Equal((ushort)1, e.NodeId);
        Assert.Equal(next.Epoch, client.Cluster.Epoch);
    }

    [Fact]
    public async Task A_wrong_node_from_an_older_state_is_an_error_and_the_table_never_goes_back()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0));
        var initial = cluster[0].ClusterState;
        var key = ClusterStateChangeTests.KeyOwnedBy(initial, 2, "half");
        var slot = KeySlot.Of(key);
        var next = initial.Next(slots: initial.Slots.Assign(slot, slot, new SlotAssignment(1)));
        // Only node 0 has the new state, and the client learns it from node 0 (its only open connection).
        Assert.True(cluster[0].Core.Cluster.TryInstall(next));
        Assert.Equal(next.Epoch, (await client.GetClusterInfoAsync()).Epoch);

        // Node 1, still at epoch 1, refuses the key it does not own yet: its WrongNode is older than the client's table.
        var e = await Assert.ThrowsAsync<DhtServerException>(() => client.PutAsync(key, "v"u8.ToArray()).AsTask());
        Assert.Equal(StatusCode.WrongNode, e.Status);
        Assert.Equal(next.Epoch, client.Cluster.Epoch);
        Assert.Equal((ushort)1, client.OwnerOf(key));

        // Once every node has the state, the same call succeeds at the new owner.
        Assert.True(cluster[1].Core.Cluster.TryInstall(next));
        Assert.True(cluster[2].Core.Cluster.TryInstall(next));
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
