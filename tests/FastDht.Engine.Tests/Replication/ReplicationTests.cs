using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Node;
using FastDht.Engine.Plugins;
using FastDht.Engine.Tests.Client;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.Storage;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Replication;

/// <summary>
/// <c>--replicas 1</c> on loopback, in-process nodes: every write path reaches the replica before it is acknowledged,
/// a replica that goes away leaves the in-sync set before writes go on without it, and one that returns catches up.
/// </summary>
public sealed class ReplicationTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>With 3 members and one replica, member i's range is copied by member i+1 (mod 3).</summary>
    private static int ReplicaOf(int primary) => (primary + 1) % 3;

    /// <remarks>
    /// A replica that does not answer within its timeout rightly leaves the in-sync set; on a loaded test machine that
    /// must not happen by accident, so the timeout is the tests' bound unless a test is about it.
    /// </remarks>
    private static Task<TestCluster> StartAsync(Action<NodeOptions>? more = null, bool proxied = false)
    {
        void Configure(NodeOptions o)
        {
            o.Replicas = 1;
            o.ReplicaTimeout = Bounded.Timeout;
            // These tests are about the data path with fixed primaries: no failover on a slow machine's hiccup.
            o.FailoverTimeout = Bounded.Timeout;
            more?.Invoke(o);
        }
        return proxied ? TestCluster.StartAsync(3, Configure, proxied: true) : RespCluster.StartAsync(3, Configure);
    }

    private static bool InSync(TestCluster cluster, int primary) =>
        cluster[primary].Core.Replicator!.Stream.IsInSync((ushort)ReplicaOf(primary));

    private static Task AllInSyncAsync(TestCluster cluster) =>
        Bounded.UntilAsync(() => InSync(cluster, 0) && InSync(cluster, 1) && InSync(cluster, 2), "every primary's replica to be in sync");

    private static int TimesOutOfSync(TestCluster cluster, int primary) =>
        cluster[primary].Core.Replicator!.Stream.TimesOutOfSync((ushort)ReplicaOf(primary));

    /// <summary>
    /// The guarantee itself: once <paramref name="write"/> is acknowledged, the primary's replica has its effect, unless
    /// the replica left the in-sync set meanwhile (a link can drop on a loaded machine; then the write may rightly go on
    /// without it). Checked against the primary's count of such departures, taken before the write.
    /// </summary>
    private static async Task AssertReplicatedAsync(TestCluster cluster, int primary, string key, string? expected, Func<Task> write)
    {
        var departures = TimesOutOfSync(cluster, primary);
        await write();
        var seen = ValueAt(cluster, ReplicaOf(primary), key);
        if (seen != expected)
        {
            var stream = cluster[primary].Core.Replicator!.Stream;
            Assert.True(TimesOutOfSync(cluster, primary) > departures,
                $"{key} was acknowledged by node {primary} while its replica had {seen ?? "nothing"}, not {expected ?? "nothing"}, and never left the in-sync set (last reason: {stream.LastOutOfSyncReason((ushort)ReplicaOf(primary))})");
        }
    }

    private static string? ValueAt(TestCluster cluster, int node, string key) =>
        cluster[node].Store.TryGet(B(key), out var value) ? Encoding.UTF8.GetString(value.Span) : null;

    [Fact]
    public async Task Every_write_path_is_at_the_replica_when_it_is_acknowledged()
    {
        await using var cluster = await StartAsync();
        await AllInSyncAsync(cluster);
        var k0 = RespCluster.KeyOwnedBy(cluster, 0, "r");
        var k2 = RespCluster.KeyOwnedBy(cluster, 2, "r");

        // Native, at the owner and forwarded by a node that does not own the key.
        using (var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0)))
        {
            await AssertReplicatedAsync(cluster, 0, k0, "n0", async () => Assert.Equal(StatusCode.Ok, (await native.PutAsync(B(k0), B("n0"))).Status));
            await AssertReplicatedAsync(cluster, 2, k2, "n2", async () => Assert.Equal(StatusCode.Ok, (await native.PutAsync(B(k2), B("n2"))).Status));
            await AssertReplicatedAsync(cluster, 2, k2, null, async () => Assert.Equal(StatusCode.Ok, (await native.DeleteAsync(B(k2))).Status));
            await AssertReplicatedAsync(cluster, 2, k2, "p2", async () => Assert.Equal(StatusCode.Ok, (await native.PutIfAbsentAsync(B(k2), B("p2"))).Status));
        }

        // RESP, at the owner and through RespExecute; an expiry travels with its value.
        await using (var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0)))
        {
            await AssertReplicatedAsync(cluster, 0, k0, "r0", async () => Assert.Equal("+OK\r\n", await resp.CallAsync("SET", k0, "r0")));
            await AssertReplicatedAsync(cluster, 2, k2, "r2", async () => Assert.Equal("+OK\r\n", await resp.CallAsync("SET", k2, "r2", "EX", "1000")));
            Assert.True(!cluster[ReplicaOf(2)].Store.TryGet(B(k2), out _, out var metadata) || metadata.HasExpiry);
            await AssertReplicatedAsync(cluster, 0, k0, "r0x", async () => Assert.Equal(":3\r\n", await resp.CallAsync("APPEND", k0, "x")));
        }

        // A transaction across every node: each participant's writes are at its replica when the MultiPut returns.
        await using (var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster)))
        {
            var keys = Enumerable.Range(0, 12).Select(i => $"rtx:{i}").ToArray();
            var departures = new[] { TimesOutOfSync(cluster, 0), TimesOutOfSync(cluster, 1), TimesOutOfSync(cluster, 2) };
            await client.MultiPutAsync(keys.Select(k => KeyValuePair.Create((ReadOnlyMemory<byte>)B(k), (ReadOnlyMemory<byte>)B("t:" + k))).ToArray());
            foreach (var key in keys)
            {
                var owner = cluster.OwnerOf(B(key));
                Assert.True("t:" + key == ValueAt(cluster, ReplicaOf(owner), key) || TimesOutOfSync(cluster, owner) > departures[owner],
                    $"{key}: the MultiPut was acknowledged while node {owner}'s replica did not have it and never left the in-sync set");
            }
        }
    }

    /// <summary>
    /// A plugin's write is released with many others by the thread that took its replica's answer (the replication
    /// sender); the plugin's code after its await must not run there: a synchronous wait for a second write on that
    /// thread would wait for the sender it blocks, for ever.
    /// </summary>
    [Fact]
    public async Task A_plugin_that_waits_synchronously_after_a_replicated_write_does_not_stall_replication()
    {
        await using var cluster = await StartAsync();
        await AllInSyncAsync(cluster);
        var context = cluster[0].Context;
        var first = RespCluster.KeyOwnedBy(cluster, 0, "plugin-a");
        var second = RespCluster.KeyOwnedBy(cluster, 0, "plugin-b");
        var (firstStatus, secondDone) = await WriteThenWaitSynchronouslyAsync(context, first, second);
        Assert.Equal(KeyOperationStatus.Ok, firstStatus);
        Assert.True(secondDone, "a second write waited for synchronously after the first one's await never completed");
    }

    private static async Task<(KeyOperationStatus, bool)> WriteThenWaitSynchronouslyAsync(INodeContext context, string first, string second)
    {
        // ConfigureAwait(false): the code below runs wherever the first write was released, as a plugin's would.
        var result = await context.PutAsync(B(first), B("1")).ConfigureAwait(false);
        var done = context.PutAsync(B(second), B("2")).AsTask().Wait(Bounded.Timeout);
        return (result.Status, done);
    }

    [Fact]
    public async Task A_collection_reaches_the_replica_with_its_type_and_bytes()
    {
        await using var cluster = await StartAsync();
        await AllInSyncAsync(cluster);
        var key = RespCluster.KeyOwnedBy(cluster, 0, "rcol");
        await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 2));
        var departures = TimesOutOfSync(cluster, 0);
        Assert.Equal(":3\r\n", await resp.CallAsync("ZADD", key, "1", "a", "2", "b", "3", "c"));
        Assert.Equal(":1\r\n", await resp.CallAsync("EXPIRE", key, "1000"));
        Assert.True(cluster[0].Store.TryGet(B(key), out var primary, out var primaryMetadata));
        if (!cluster[ReplicaOf(0)].Store.TryGet(B(key), out var copy, out var copyMetadata))
        {
            Assert.True(TimesOutOfSync(cluster, 0) > departures, "the sorted set was acknowledged while its replica had nothing");
            return;
        }
        Assert.Equal(EntryType.SortedSet, copyMetadata.Type);
        Assert.Equal(primaryMetadata.ExpiresAt, copyMetadata.ExpiresAt);
        Assert.Equal(primary.ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task A_replica_does_not_list_or_serve_the_keys_it_copies()
    {
        await using var cluster = await StartAsync();
        await AllInSyncAsync(cluster);
        var k0 = RespCluster.KeyOwnedBy(cluster, 0, "list");
        await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, ReplicaOf(0)));
        Assert.Equal("+OK\r\n", await resp.CallAsync("SET", k0, "v"));
        Assert.Equal("v", ValueAt(cluster, ReplicaOf(0), k0)); // the copy is there...
        Assert.Equal($"*1\r\n${k0.Length}\r\n{k0}\r\n", await resp.CallAsync("KEYS", "list:*")); // ...and listed once, by its primary
        // A write at the replica's node goes to the primary (forwarded), never applied at the replica alone.
        Assert.Equal("+OK\r\n", await resp.CallAsync("SET", k0, "w"));
        Assert.Equal("w", ValueAt(cluster, 0, k0));
    }

    [Fact]
    public async Task A_stopped_replica_leaves_the_in_sync_set_before_writes_go_on_and_catches_up_when_it_returns()
    {
        await using var cluster = await StartAsync();
        await AllInSyncAsync(cluster);
        var replica = ReplicaOf(0);
        var keys = Enumerable.Range(0, 400).Select(i => RespCluster.KeyOwnedBy(cluster, 0, $"cu{i}")).Distinct().ToArray();
        using var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        for (var i = 0; i < keys.Length; i++)
            Assert.Equal(StatusCode.Ok, (await native.PutAsync(B(keys[i]), B($"a{i}"))).Status);

        await cluster.StopNodeAsync(replica);
        // Writes are acknowledged again only once the replica is out of the in-sync set.
        Assert.Equal(StatusCode.Ok, (await native.PutAsync(B(keys[0]), B("after-stop"))).Status);
        Assert.False(InSync(cluster, 0));
        for (var i = 0; i < keys.Length; i += 2)
            Assert.Equal(StatusCode.Ok, (await native.DeleteAsync(B(keys[i]))).Status);
        for (var i = 1; i < keys.Length; i += 2)
            Assert.Equal(StatusCode.Ok, (await native.PutAsync(B(keys[i]), B($"b{i}"))).Status);

        // It returns empty (no data directory) and is resynchronized from a snapshot, while writes go on.
        await cluster.StartNodeAsync(replica);
        await cluster.WaitForMeshAsync();
        Assert.Equal(StatusCode.Ok, (await native.PutAsync(B(keys[1]), B("during"))).Status);
        await Bounded.UntilAsync(() => InSync(cluster, 0), "the returning replica to be in sync");
        Assert.Equal(StatusCode.Ok, (await native.PutAsync(B(keys[3]), B("in-sync"))).Status);
        Assert.Equal("in-sync", ValueAt(cluster, replica, keys[3])); // synchronous again

        var range = cluster[0].ClusterState.Slots.Ranges[0];
        Assert.Equal(0, range.NodeId);
        var primaryKeys = KeysIn(cluster[0].Store, range.FirstSlot, range.LastSlot);
        var replicaKeys = KeysIn(cluster[replica].Store, range.FirstSlot, range.LastSlot);
        Assert.Equal(keys.Length - (keys.Length + 1) / 2, primaryKeys.Count); // the even ones were deleted
        Assert.Equal(primaryKeys.Count, replicaKeys.Count);
        foreach (var (key, value) in primaryKeys)
            Assert.Equal(value, replicaKeys[key]);
        Assert.Equal("during", primaryKeys[keys[1]]);
        Assert.False(primaryKeys.ContainsKey(keys[2])); // deleted while the replica was away: gone there too
    }

    [Fact]
    public async Task A_replica_resynchronized_while_a_list_and_a_string_grow_by_change_records_ends_with_the_primary_s_bytes()
    {
        await using var cluster = await StartAsync();
        await AllInSyncAsync(cluster);
        var replica = ReplicaOf(0);
        var list = RespCluster.KeyOwnedBy(cluster, 0, "grow-list");
        var text = RespCluster.KeyOwnedBy(cluster, 0, "grow-text");
        await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        var pushed = 0;
        var appended = new StringBuilder();
        async Task WriteAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                Assert.Equal($":{++pushed}\r\n", await resp.CallAsync("RPUSH", list, $"e{pushed}"));
                appended.Append(pushed).Append(',');
                Assert.Equal($":{appended.Length}\r\n", await resp.CallAsync("APPEND", text, $"{pushed},"));
                if (pushed % 25 == 0)
                    Assert.Equal(":1\r\n", await resp.CallAsync("EXPIRE", list, (100_000 + pushed).ToString()));
            }
        }
        await WriteAsync(100);
        await cluster.StopNodeAsync(replica);
        await WriteAsync(100);

        // It returns empty and is sent the values as they are while the writes go on: some of the changes streamed after
        // the copy began are already in the copy, and must not be applied twice.
        await cluster.StartNodeAsync(replica);
        await cluster.WaitForMeshAsync();
        var rounds = 0;
        while (!InSync(cluster, 0) && rounds++ < 2000)
            await WriteAsync(1);
        await Bounded.UntilAsync(() => InSync(cluster, 0), "the returning replica to be in sync");
        await WriteAsync(20);

        Assert.True(cluster[0].Store.TryGet(B(list), out _, out var listMetadata));
        Assert.True(listMetadata.HasVersion, "the list's writes were not logged as changes");
        await Bounded.UntilAsync(
            () => Same(cluster, 0, replica, list) && Same(cluster, 0, replica, text),
            "the replica to hold the primary's bytes of both keys");
        Assert.Equal(appended.ToString(), ValueAt(cluster, replica, text));
        Assert.Equal($":{pushed}\r\n", await resp.CallAsync("LLEN", list));
    }

    private static bool Same(TestCluster cluster, int primary, int replica, string key) =>
        cluster[primary].Store.TryGet(B(key), out var a, out var am) && cluster[replica].Store.TryGet(B(key), out var b, out var bm)
        && a.Span.SequenceEqual(b.Span) && am.Type == bm.Type && am.Version == bm.Version && am.ExpiresAt == bm.ExpiresAt;

    [Fact]
    public async Task A_write_waits_for_a_frozen_replica_until_it_is_out_of_the_in_sync_set()
    {
        // The primary's own in-sync bookkeeping, without a Raft group: the stalled proxies would hold the consensus
        // traffic too (a one-way freeze of a whole node), and with it, rightly, the in-sync change the write waits for.
        await using var cluster = await StartAsync(
            o =>
            {
                o.ReplicaTimeout = TimeSpan.FromMilliseconds(500);
                o.Consensus = false;
            },
            proxied: true);
        await AllInSyncAsync(cluster);
        var replica = ReplicaOf(0);
        var key = RespCluster.KeyOwnedBy(cluster, 0, "frozen");
        using var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));

        cluster.StallLink(0, replica, stall: true);
        var put = native.PutAsync(B(key), B("v"));
        Assert.Equal(StatusCode.Ok, (await put.WithinAsync("the write to be acknowledged without the frozen replica")).Status);
        // Acknowledged only after the replica left the in-sync set, and it does not have the write.
        Assert.False(InSync(cluster, 0));
        Assert.Null(ValueAt(cluster, replica, key));

        cluster.StallLink(0, replica, stall: false);
        await Bounded.UntilAsync(() => InSync(cluster, 0), "the replica to catch up once the link thaws");
        Assert.Equal("v", ValueAt(cluster, replica, key));
    }

    [Fact]
    public async Task Nodes_that_replicate_each_other_and_forward_to_each_other_never_deadlock()
    {
        // Every node forwards writes to the two others while each replicates another's range over the same links: a
        // link that held its output for replicas would hold the acknowledgements the other side waits for.
        await using var cluster = await StartAsync();
        await AllInSyncAsync(cluster);
        var writers = new List<Task>();
        for (var node = 0; node < 3; node++)
        {
            for (var target = 0; target < 3; target++)
            {
                if (target == node)
                    continue;
                var (from, to) = (node, target);
                writers.Add(Task.Run(async () =>
                {
                    using var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(from));
                    for (var i = 0; i < 150; i++)
                    {
                        var key = RespCluster.KeyOwnedBy(cluster, to, $"x{from}-{i}");
                        await AssertReplicatedAsync(cluster, to, key, $"{from}:{i}", async () =>
                            Assert.Equal(StatusCode.Ok, (await native.PutAsync(B(key), B($"{from}:{i}"))).Status));
                    }
                }));
            }
        }
        await Task.WhenAll(writers).WithinAsync("every forwarded write to be acknowledged");
        await AllInSyncAsync(cluster);
    }

    [Fact]
    public async Task Replicas_are_refused_when_there_are_not_enough_members()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestCluster.StartAsync(2, o => o.Replicas = 2));
        Assert.Contains("Replicas", error.ToString(), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> KeysIn(IKeyValueStore store, int first, int last)
    {
        // The whole store, filtered by each key's cluster slot: the store groups keys by a slot function of its own.
        var visitor = new Collector(first, last);
        var cursor = 0UL;
        do
            cursor = store.Scan(cursor, Storage.SlotRange.All, 256, ref visitor);
        while (cursor != 0);
        return visitor.Keys;
    }

    private readonly struct Collector(int first, int last) : IStoreEntryVisitor
    {
        public Dictionary<string, string> Keys { get; } = [];

        public void Visit(in StoreEntry entry)
        {
            var slot = KeySlot.Of(entry.Key.Span);
            if (slot >= first && slot <= last)
                Keys[Encoding.UTF8.GetString(entry.Key.Span)] = Encoding.UTF8.GetString(entry.Value.Span);
        }
    }
}
