using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Engine.Tests.Client;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

/// <summary>
/// A node's graceful stop (docs/protocol.md §3, "going away"): a request that reaches a stopping node gets an answer,
/// its result or a ShuttingDown refusal that ran nothing, never a closed connection; the smart client then runs the call
/// where its refreshed table says. Issue 12's defect: a removed node's stop failed the last calls a client sent it
/// (a PutIfAbsent in doubt, a Get unavailable).
/// </summary>
public sealed class GracefulStopTests
{
    // Long enough that no part of the drain ends by time during a test on a loaded machine: each test ends it by closing
    // its clients, as the smart client does (a test that hung would fail on the Bounded wait of the stop instead).
    private static readonly TimeSpan LongDrain = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_stopping_node_tells_its_client_and_refuses_what_it_reads_after_unrun_until_the_client_closes()
    {
        await using var cluster = await TestCluster.StartAsync(1, o => o.DrainTimeout = LongDrain);
        var node = cluster[0];
        using var raw = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await raw.PutAsync("before"u8.ToArray(), "v"u8.ToArray())).Status);

        var stop = cluster.StopNodeAsync(0);

        // The going-away notice, unasked (the old node closed the connection without a word: null).
        var notice = await raw.ReadResponseAsync();
        Assert.NotNull(notice);
        Assert.True(ProtocolConstants.IsGoAway(notice.Header), $"not a going-away notice: {notice.Header.Opcode} {notice.Status} id {notice.Header.RequestId}");
        // Requests sent after it are read and answered, and nothing is run: a write is definitely not applied.
        var put = await raw.PutAsync("after"u8.ToArray(), "v"u8.ToArray());
        Assert.Equal(StatusCode.ShuttingDown, put.Status);
        var get = await raw.GetAsync("before"u8.ToArray());
        Assert.Equal(StatusCode.ShuttingDown, get.Status);
        Assert.False(node.Store.TryGet("after"u8.ToArray(), out _));
        Assert.False(stop.IsCompleted);

        // The client closes: nothing more can arrive, so the node finishes its stop.
        raw.Dispose();
        await stop.WithinAsync("the node to stop once its only client closed");
    }

    [Fact]
    public async Task Calls_that_reach_a_stopping_node_owning_none_of_their_keys_are_refused_unrun_and_succeed_at_the_new_owner()
    {
        await using var cluster = await TestCluster.StartAsync(2, o => o.DrainTimeout = LongDrain, proxied: true);
        // A client whose table will predate the change below (it never looks again on its own), as in issue 12.
        var options = ClientClusterTests.OptionsFor(cluster, 0);
        options.RequestTimeout = TimeSpan.FromSeconds(30); // the calls wait on the wire for the stop to begin: never a timeout
        await using var stale = await DhtClient.ConnectAsync(options);
        var initial = cluster[0].ClusterState;
        var inserted = Keys(initial, "insert");
        var replaced = Keys(initial, "replace");
        var read = Keys(initial, "read");
        await stale.PutAsync(inserted[0], "warm"u8.ToArray()); // opens its connection to node 1 (through node 1's proxy)
        await stale.DeleteAsync(inserted[0]);

        // Every slot of those keys goes to node 0; node 1 stays a member owning none of them (a node about to leave).
        var next = await MoveToNode0Async(cluster, initial, inserted.Concat(replaced).Concat(read), read);

        // The stale client's calls all go to node 1 and are held on the wire until node 1 has begun to stop.
        var proxy = cluster.ProxyOf(1);
        proxy.Stall(true, ProxyDirection.ClientToServer);
        var puts = new List<Task<bool>>();
        var writes = new List<Task>();
        var reads = new List<Task<byte[]?>>();
        foreach (var key in inserted)
            puts.Add(stale.PutIfAbsentAsync(key, key).AsTask());
        foreach (var key in replaced)
            writes.Add(stale.PutAsync(key, key).AsTask());
        foreach (var key in read)
            reads.Add(stale.GetAsync(key).AsTask());
        await Bounded.UntilAsync(() => proxy.HeldChunks > 0, "the stale client's calls to reach node 1's proxy");

        using var watcher = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        var node1 = cluster[1];
        var stop = cluster.StopNodeAsync(1);
        // The node has begun its drain once another client of it hears (the notice, or the old node's close).
        await watcher.ReadResponseAsync();
        proxy.Stall(false, ProxyDirection.ClientToServer);

        // Every call gets its result: refused unrun by node 1, then run at node 0 (the old node lost them with the connection:
        // the PutIfAbsent in doubt, the Get unavailable).
        for (var i = 0; i < inserted.Length; i++)
            Assert.True(await puts[i].WithinAsync("a PutIfAbsent sent to the stopping node"), "PutIfAbsent found the key present");
        foreach (var write in writes)
            await write.WithinAsync("a Put sent to the stopping node");
        for (var i = 0; i < read.Length; i++)
            Assert.Equal(read[i], await reads[i].WithinAsync("a Get sent to the stopping node"));
        foreach (var key in inserted.Concat(replaced))
        {
            Assert.True(cluster[0].Store.TryGet(key, out var stored), $"{Encoding.UTF8.GetString(key)} is not at node 0");
            Assert.Equal(key, stored.ToArray());
            Assert.False(node1.Store.TryGet(key, out _), $"{Encoding.UTF8.GetString(key)} was applied at the stopping node");
        }
        Assert.Equal(next.Epoch, stale.Cluster.Epoch);

        watcher.Dispose();
        await stop.WithinAsync("node 1 to stop once its clients closed");
    }

    /// <summary>
    /// The multi-key calls, coordinated by the owner of their first key: a MultiPut and a MultiGet that reach a stopping
    /// node owning none of their keys are refused unrun and run once at the new owner (the old client threw
    /// DhtNodeUnavailableException, "shutting down", for both, though nothing had been applied).
    /// </summary>
    [Fact]
    public async Task A_MultiPut_and_a_MultiGet_refused_by_a_stopping_coordinator_run_once_at_the_new_owner()
    {
        await using var cluster = await TestCluster.StartAsync(2, o => o.DrainTimeout = LongDrain, proxied: true);
        var options = ClientClusterTests.OptionsFor(cluster, 0);
        options.RequestTimeout = TimeSpan.FromSeconds(30); // the calls wait on the wire for the stop to begin: never a timeout
        await using var stale = await DhtClient.ConnectAsync(options);
        var initial = cluster[0].ClusterState;
        var written = Keys(initial, "multi-put");
        var read = Keys(initial, "multi-get");
        await stale.PutAsync(written[0], "warm"u8.ToArray()); // opens its connection to node 1 (through node 1's proxy)
        await stale.DeleteAsync(written[0]);

        var next = await MoveToNode0Async(cluster, initial, written.Concat(read), read);

        // Both calls go to node 1 (the owner of their first key in the stale table) and are held on the wire.
        var proxy = cluster.ProxyOf(1);
        proxy.Stall(true, ProxyDirection.ClientToServer);
        var put = stale.MultiPutAsync(written.Select(k => KeyValuePair.Create<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>(k, k)).ToArray()).AsTask();
        var get = stale.MultiGetAsync(read.Select(k => (ReadOnlyMemory<byte>)k).ToArray()).AsTask();
        await Bounded.UntilAsync(() => proxy.HeldChunks > 0, "the stale client's calls to reach node 1's proxy");

        using var watcher = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        var node1 = cluster[1];
        var stop = cluster.StopNodeAsync(1);
        await watcher.ReadResponseAsync();
        proxy.Stall(false, ProxyDirection.ClientToServer);

        // One transaction ran, at node 0 (one attempt: the refused one ran nothing), and every key of it is there.
        Assert.Equal(1, await put.WithinAsync("a MultiPut sent to the stopping node"));
        var values = await get.WithinAsync("a MultiGet sent to the stopping node");
        for (var i = 0; i < read.Length; i++)
            Assert.Equal(read[i], values[i]);
        foreach (var key in written)
        {
            Assert.True(cluster[0].Store.TryGet(key, out var stored), $"{Encoding.UTF8.GetString(key)} is not at node 0");
            Assert.Equal(key, stored.ToArray());
            Assert.False(node1.Store.TryGet(key, out _), $"{Encoding.UTF8.GetString(key)} was applied at the stopping node");
        }
        Assert.Equal(next.Epoch, stale.Cluster.Epoch);

        watcher.Dispose();
        await stop.WithinAsync("node 1 to stop once its clients closed");
    }

    [Fact]
    public async Task A_Get_on_the_fast_path_whose_connection_is_lost_before_its_answer_is_retried_once()
    {
        await using var cluster = await TestCluster.StartAsync(3, proxied: true);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0));
        var key = ClusterStateChangeTests.KeyOwnedBy(cluster[0].ClusterState, 1, "lost-read-");
        await client.PutAsync(key, key); // opens the client's connection to node 1

        // The answer is held, then the connection is cut under it: the read left, its answer never came back.
        var proxy = cluster.ProxyOf(1);
        proxy.Stall(true, ProxyDirection.ServerToClient);
        var read = client.GetAsync(key).AsTask(); // no token: the pooled fast path
        await Bounded.UntilAsync(() => proxy.HeldChunks > 0, "node 1's answer to reach its proxy");
        proxy.CutAll();
        proxy.Stall(false, ProxyDirection.ServerToClient);

        // A read is idempotent: retried on a new connection, as the async path always did (the old fast path threw
        // DhtNodeUnavailableException, "connection lost").
        Assert.Equal(key, await read.WithinAsync("the read to be retried"));
    }

    /// <summary>
    /// Gives the slots of <paramref name="moved"/> to node 0 (node 1 stays a member owning none of them, as a node about
    /// to leave), stores each key of <paramref name="read"/> as its own value there through a client that knows, and returns the installed state.
    /// </summary>
    private static async Task<ClusterState> MoveToNode0Async(TestCluster cluster, ClusterState initial, IEnumerable<byte[]> moved, byte[][] read)
    {
        var slots = initial.Slots;
        foreach (var key in moved)
            slots = slots.Assign(KeySlot.Of(key), KeySlot.Of(key), new SlotAssignment(0));
        var next = initial.Next(slots: slots);
        cluster.InstallClusterState(next);
        await using var current = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0));
        foreach (var key in read)
            await current.PutAsync(key, key);
        return next;
    }

    private static byte[][] Keys(ClusterState state, string prefix)
    {
        var keys = new byte[8][];
        for (var i = 0; i < keys.Length; i++)
            keys[i] = ClusterStateChangeTests.KeyOwnedBy(state, 1, $"drain-{prefix}-{i}-");
        return keys;
    }
}
