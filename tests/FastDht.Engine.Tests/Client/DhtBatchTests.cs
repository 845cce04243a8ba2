using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Engine.Tests.Node;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Client;

/// <summary>
/// The smart client's batches: one result per request, matched to it, errors per request, a lost connection failing every
/// pending one and only those, requests that meet a change of owners retried as single calls are, cancellation, and the
/// batch's bounds.
/// </summary>
public sealed class DhtBatchTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task Every_result_answers_its_own_request_across_every_owner()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster));
        var keys = Enumerable.Range(0, 300).Select(i => Bytes($"batch:{i}")).ToArray();
        Assert.Equal(3, keys.Select(cluster.OwnerOf).Distinct().Count());

        var puts = new DhtBatch();
        foreach (var key in keys)
            puts.Put(key, Bytes("v-" + Encoding.UTF8.GetString(key)));
        await client.ExecuteAsync(puts);
        for (var i = 0; i < puts.Count; i++)
            Assert.Equal(StatusCode.Ok, puts[i].Status);

        // Gets of present and absent keys interleaved with deletes and put-if-absents: each index gets its own answer.
        var mixed = new DhtBatch(4);
        var expected = new List<(StatusCode Status, string? Value)>();
        for (var i = 0; i < keys.Length; i++)
        {
            mixed.Get(keys[i]);
            expected.Add((StatusCode.Ok, "v-batch:" + i));
            mixed.Get(Bytes($"absent:{i}"));
            expected.Add((StatusCode.NotFound, null));
            if (i % 10 == 0)
            {
                mixed.PutIfAbsent(keys[i], Bytes("other"));
                expected.Add((StatusCode.Exists, null));
                mixed.Delete(Bytes($"absent:{i}"));
                expected.Add((StatusCode.NotFound, null));
            }
        }
        await client.ExecuteAsync(mixed);
        Assert.Equal(expected.Count, mixed.Count);
        for (var i = 0; i < mixed.Count; i++)
        {
            Assert.Equal(expected[i].Status, mixed[i].Status);
            Assert.Equal(expected[i].Value, mixed[i].Value is { } value ? Encoding.UTF8.GetString(value) : null);
            Assert.False(mixed[i].IsError);
        }

        // A batch runs again as it is, with fresh results.
        await client.PutAsync(keys[0], Bytes("changed"));
        await client.ExecuteAsync(mixed);
        Assert.Equal("changed", Encoding.UTF8.GetString(mixed[0].Value!));
    }

    [Fact]
    public async Task A_request_that_cannot_be_sent_fails_alone()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster));
        var batch = new DhtBatch();
        batch.Put(Bytes("a"), Bytes("1"));
        var tooLarge = batch.Put(Bytes("b"), new byte[ProtocolLimits.DefaultMaxFrameSize + 1]);
        batch.Put(Bytes("c"), Bytes("3"));
        var get = batch.Get(Bytes("c"));
        await client.ExecuteAsync(batch);

        Assert.Equal(StatusCode.FrameTooLarge, batch[tooLarge].Status);
        Assert.True(batch[tooLarge].IsError);
        Assert.Contains("frame limit", batch[tooLarge].Error);
        Assert.Equal(StatusCode.Ok, batch[0].Status);
        Assert.Equal(StatusCode.Ok, batch[2].Status);
        Assert.Equal("3", Encoding.UTF8.GetString(batch[get].Value!));
        Assert.Null(await client.GetAsync(Bytes("b")));
    }

    [Fact]
    public async Task A_lost_connection_fails_every_pending_request_of_the_batch()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await using var proxy = LoopbackProxy.Start(cluster.EndPointOf(0));
        var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName, RequestTimeout = TimeSpan.FromMinutes(5) };
        options.Seeds.Add(proxy.EndPoint.ToString());
        await using var client = await DhtClient.ConnectAsync(options);

        var batch = new DhtBatch();
        for (var i = 0; i < 50; i++)
            batch.Get(Bytes($"k{i}"));
        // The requests reach the proxy and stop there: all fifty are pending when the link is cut.
        proxy.Stall(true, ProxyDirection.ClientToServer);
        var run = client.ExecuteAsync(batch).AsTask();
        await proxy.WaitUntilAsync(() => proxy.HeldChunks > 0, "the batch's frames to reach the proxy", TimeSpan.FromSeconds(30));
        Assert.False(run.IsCompleted);
        proxy.CutAll();
        await Bounded.WithinAsync(run, "the batch to end once its connection is lost");

        for (var i = 0; i < batch.Count; i++)
        {
            Assert.Equal(StatusCode.NodeUnavailable, batch[i].Status);
            Assert.Null(batch[i].Value);
            Assert.NotNull(batch[i].Error);
        }
    }

    [Fact]
    public async Task A_batch_is_bounded_and_cannot_change_or_run_twice_while_it_runs()
    {
        var batch = new DhtBatch(1);
        for (var i = 0; i < DhtBatch.MaxCount; i++)
            batch.Get("k"u8.ToArray());
        Assert.Throws<InvalidOperationException>(() => batch.Get("k"u8.ToArray()));
        Assert.Throws<ArgumentException>(() => new DhtBatch().Get(ReadOnlyMemory<byte>.Empty));
        batch.Clear();
        Assert.Equal(0, batch.Count);

        await using var cluster = await TestCluster.StartAsync(1);
        await using var proxy = LoopbackProxy.Start(cluster.EndPointOf(0));
        var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName, RequestTimeout = TimeSpan.FromMinutes(5) };
        options.Seeds.Add(proxy.EndPoint.ToString());
        await using var client = await DhtClient.ConnectAsync(options);
        batch.Put("k"u8.ToArray(), "v"u8.ToArray());
        proxy.Stall(true, ProxyDirection.ClientToServer);
        var run = client.ExecuteAsync(batch).AsTask();
        await proxy.WaitUntilAsync(() => proxy.HeldChunks > 0, "the batch's frame to reach the proxy", TimeSpan.FromSeconds(30));
        Assert.Throws<InvalidOperationException>(() => batch.Get("k"u8.ToArray()));
        Assert.Throws<InvalidOperationException>(() => batch.Clear());
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await client.ExecuteAsync(batch));
        proxy.Stall(false, ProxyDirection.ClientToServer);
        await Bounded.WithinAsync(run, "the batch to end once the proxy relays it");
        Assert.Equal(StatusCode.Ok, batch[0].Status);
        Assert.Equal("v"u8.ToArray(), await client.GetAsync("k"u8.ToArray()));
    }

    [Fact]
    public async Task A_node_lost_mid_batch_fails_only_the_requests_it_owns()
    {
        await using var cluster = await TestCluster.StartAsync(3, proxied: true);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0, 1, 2));
        var state = cluster[0].ClusterState;
        var keys = new List<(byte[] Key, ushort Owner)>();
        for (ushort owner = 0; owner < 3; owner++)
        {
            for (var i = 0; i < 20; i++)
                keys.Add((ClusterStateChangeTests.KeyOwnedBy(state, owner, $"mid-{owner}-{i}-"), owner));
        }
        foreach (var (key, _) in keys)
            await client.PutAsync(key, key); // every owner's connection is open, every key present

        // Node 1's answers are held, then its connection is cut while its share of the batch is pending.
        cluster.ProxyOf(1).Stall(true, ProxyDirection.ServerToClient);
        var batch = new DhtBatch();
        foreach (var (key, _) in keys)
            batch.Get(key);
        var run = client.ExecuteAsync(batch).AsTask();
        await Bounded.UntilAsync(() => cluster.ProxyOf(1).HeldChunks > 0, "node 1's answers to reach the proxy");
        Assert.False(run.IsCompleted);
        cluster.ProxyOf(1).CutAll();
        await run.WithinAsync("the batch to end once node 1's connection is lost");

        for (var i = 0; i < keys.Count; i++)
        {
            if (keys[i].Owner == 1)
            {
                Assert.Equal(StatusCode.NodeUnavailable, batch[i].Status);
                Assert.Null(batch[i].Value);
                Assert.Contains("connection lost", batch[i].Error);
            }
            else
            {
                Assert.Equal(StatusCode.Ok, batch[i].Status);
                Assert.Equal(keys[i].Key, batch[i].Value);
            }
        }
    }

    [Fact]
    public async Task Requests_answered_wrong_node_from_a_later_state_are_retried_at_the_new_owner_after_one_refresh()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0));
        var initial = cluster[0].ClusterState;
        var moved = Enumerable.Range(0, 10).Select(i => ClusterStateChangeTests.KeyOwnedBy(initial, 2, $"moved-{i}-")).ToArray();
        var stayed = Enumerable.Range(0, 10).Select(i => ClusterStateChangeTests.KeyOwnedBy(initial, 1, $"stayed-{i}-")).ToArray();
        await client.PutAsync(moved[0], "old"u8.ToArray()); // the connection to node 2 is open
        cluster.InstallClusterState(initial.Next(slots: ClusterStateChangeTests.ReassignSlotsOf(initial.Slots, from: 2, to: 0)));
        Assert.Equal(1UL, client.Cluster.Epoch);

        // The client still routes node 2's keys to node 2, which answers WrongNode naming the new state.
        var batch = new DhtBatch();
        foreach (var key in moved.Concat(stayed))
            batch.Put(key, key);
        await client.ExecuteAsync(batch).AsTask().WithinAsync("the batch");

        for (var i = 0; i < batch.Count; i++)
            Assert.Equal(StatusCode.Ok, batch[i].Status);
        Assert.Equal(cluster[0].ClusterState.Epoch, client.Cluster.Epoch);
        Assert.All(moved, key => Assert.True(cluster[0].Store.TryGet(key, out var v) && v.Span.SequenceEqual(key)));
        Assert.All(stayed, key => Assert.True(cluster[1].Store.TryGet(key, out var v) && v.Span.SequenceEqual(key)));
    }

    [Fact]
    public async Task Requests_answered_by_a_node_behind_the_clients_state_wait_and_succeed_once_it_catches_up()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0));
        var (batch, key, next) = await PrepareLaggingOwnerAsync(cluster, client);

        // Node 1 is still at the old state and refuses the key it does not own yet: the batch waits and retries...
        var run = client.ExecuteAsync(batch).AsTask();
        await Bounded.UntilAsync(() => client.MovingRetries > 0, "the batch to retry the refused request");
        // ... until node 1 installs the state; the write then lands there, and the other requests were answered once.
        Assert.True(cluster[1].Core.Cluster.TryInstall(next));
        Assert.True(cluster[2].Core.Cluster.TryInstall(next));
        await run.WithinAsync("the batch to end once node 1 owns the key");

        for (var i = 0; i < batch.Count; i++)
            Assert.Equal(StatusCode.Ok, batch[i].Status);
        Assert.True(cluster[1].Store.TryGet(key, out var stored) && stored.Span.SequenceEqual("lagging"u8));
    }

    [Fact]
    public async Task A_cancelled_batch_throws_keeps_each_requests_last_answer_and_can_run_again()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0));

        // Cancelled before it starts: nothing is sent.
        var early = new DhtBatch();
        early.Put("never"u8.ToArray(), "v"u8.ToArray());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.ExecuteAsync(early, new CancellationToken(true)));
        Assert.Equal(StatusCode.Timeout, early[0].Status);
        Assert.Equal("cancelled by the caller", early[0].Error);
        Assert.Null(await client.GetAsync("never"u8.ToArray()));

        // Cancelled while it waits to retry a refused request: the run ends, the request keeps its refusal.
        var (batch, key, next) = await PrepareLaggingOwnerAsync(cluster, client);
        using var cancel = new CancellationTokenSource();
        var run = client.ExecuteAsync(batch, cancel.Token).AsTask();
        await Bounded.UntilAsync(() => client.MovingRetries > 0, "the batch to retry the refused request");
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WithinAsync("the cancelled batch to end"));
        Assert.Equal(StatusCode.WrongNode, batch[0].Status);
        Assert.True(batch[0].IsError);
        for (var i = 1; i < batch.Count; i++)
            Assert.Equal(StatusCode.Ok, batch[i].Status);

        // The batch is not left running: once node 1 catches up it runs again, whole.
        Assert.True(cluster[1].Core.Cluster.TryInstall(next));
        Assert.True(cluster[2].Core.Cluster.TryInstall(next));
        await client.ExecuteAsync(batch).AsTask().WithinAsync("the batch's second run");
        Assert.Equal(StatusCode.Ok, batch[0].Status);
        Assert.True(cluster[1].Store.TryGet(key, out _));
        early.Clear();
    }

    /// <summary>
    /// Moves one key of node 2's to node 1 in a state only node 0 has, and has the client learn it there: node 1,
    /// still behind, refuses the key (WrongNode from an older state). The batch: a Put of that key first, then Puts of
    /// node 0's keys.
    /// </summary>
    private static async Task<(DhtBatch Batch, byte[] Key, ClusterState Next)> PrepareLaggingOwnerAsync(TestCluster cluster, DhtClient client)
    {
        var initial = cluster[0].ClusterState;
        var key = ClusterStateChangeTests.KeyOwnedBy(initial, 2, "lagging-");
        var slot = KeySlot.Of(key);
        var next = initial.Next(slots: initial.Slots.Assign(slot, slot, new SlotAssignment(1)));
        Assert.True(cluster[0].Core.Cluster.TryInstall(next));
        Assert.Equal(next.Epoch, (await client.GetClusterInfoAsync()).Epoch);
        var batch = new DhtBatch();
        batch.Put(key, "lagging"u8.ToArray());
        for (var i = 0; i < 5; i++)
            batch.Put(ClusterStateChangeTests.KeyOwnedBy(initial, 0, $"steady-{i}-"), "v"u8.ToArray());
        return (batch, key, next);
    }
}
