using System.Collections.Concurrent;
using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Cluster;

/// <summary>Slots move between running nodes while clients use them (docs/elasticity.md).</summary>
public sealed class SlotMoveTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_range_moves_under_load_and_every_acknowledged_write_is_readable_and_no_MultiPut_is_seen_half_applied(bool consensus)
    {
        // 48 KiB/s: the copy of about 1000 keys takes most of a second, so writes land before, during and after it.
        // consensus: the states that announce and end the move are committed by the Raft group rather than pushed by
        // the source, so the target may install them before the source does.
        await using var cluster = await TestCluster.StartAsync(3, o =>
        {
            o.SlotMoveRate = 48 * 1024;
            o.Consensus = consensus;
        });
        await using var client = await ConnectAsync(cluster);
        var range = cluster[0].ClusterState.Slots.Ranges[0];
        Assert.Equal((ushort)0, range.NodeId);
        for (var i = 0; i < 3000; i++)
            await client.PutAsync($"pre{i}", $"p{i}");

        var acknowledged = new ConcurrentDictionary<string, string>();
        var phaseOf = new ConcurrentDictionary<string, int>();
        var phase = 0;
        var halfApplied = new ConcurrentQueue<string>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = w; !stop.IsCancellationRequested; i += 4)
            {
                try
                {
                    var startPhase = Volatile.Read(ref phase);
                    await client.PutAsync($"w{i}", $"v{i}");
                    acknowledged[$"w{i}"] = $"v{i}";
                    phaseOf[$"w{i}"] = startPhase * 10 + Volatile.Read(ref phase);
                    if (i % 4 == 0)
                    {
                        // One group of three keys on (most likely) three nodes, all set to the same generation at once.
                        var g = Encoding.UTF8.GetBytes($"g{i}");
                        await client.MultiPutAsync(
                        [
                            new(Encoding.UTF8.GetBytes("group-a"), g),
                            new(Encoding.UTF8.GetBytes("group-b"), g),
                            new(Encoding.UTF8.GetBytes("group-c"), g),
                        ]);
                    }
                }
                catch (Exception e) when (e is DhtException)
                {
                    failures.Enqueue($"write {i}: {e.Message}");
                }
            }
        })).ToArray();
        var reader = Task.Run(async () =>
        {
            ReadOnlyMemory<byte>[] group = [Encoding.UTF8.GetBytes("group-a"), Encoding.UTF8.GetBytes("group-b"), Encoding.UTF8.GetBytes("group-c")];
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var values = await client.MultiGetAsync(group);
                    var seen = string.Join(",", values.Select(v => v is null ? "-" : Encoding.UTF8.GetString(v)));
                    if (values[0] is not null && !(values.All(v => v is not null && v.AsSpan().SequenceEqual(values[0]))))
                        halfApplied.Enqueue(seen);
                }
                catch (Exception e) when (e is DhtException)
                {
                    failures.Enqueue($"read: {e.Message}");
                }
            }
        });
        await Bounded.UntilAsync(() => acknowledged.Count >= 200, "writes to start");

        Volatile.Write(ref phase, 1);
        var report = await cluster[0].MoveSlotsAsync(range.FirstSlot, range.LastSlot, 1).WithinAsync("the move");
        var afterMove = acknowledged.Count;
        Volatile.Write(ref phase, 2);
        await Bounded.UntilAsync(() => acknowledged.Count >= afterMove + 200, "writes to go on after the move");
        stop.Cancel();
        await Task.WhenAll([.. writers, reader]).WithinAsync("the load to stop");

        Assert.Empty(failures);
        Assert.Empty(halfApplied);
        Assert.True(report.KeysCopied > 0, "the range had keys");
        foreach (var node in cluster.RunningNodes)
        {
            await Bounded.UntilAsync(() => node.ClusterState.Slots.OwnerOf(range.FirstSlot) == report.To, $"node {node.NodeId} to learn the new owner");
            Assert.False(node.ClusterState.Slots.AssignmentOf(range.FirstSlot).IsMoving);
        }
        for (var s = range.FirstSlot; s <= range.LastSlot; s++)
            Assert.Equal(0, cluster[0].Core.Keyspace.CountKeysInSlot(s));
        // Read through a fresh client as well as the one that lived through the move.
        await using var fresh = await ConnectAsync(cluster);
        foreach (var (key, value) in acknowledged)
        {
            var got = await fresh.GetStringAsync(key);
            if (got != value)
            {
                var k = Encoding.UTF8.GetBytes(key);
                var where = string.Join("; ", cluster.RunningNodes.Select(n => $"node {n.NodeId}: {(n.Store.TryGet(k, out var v) ? Encoding.UTF8.GetString(v.Span) : "absent")}"));
                Assert.Fail($"{key} (slot {KeySlot.Of(k)}, moved {range.FirstSlot}-{range.LastSlot}) acknowledged {value}, read {got ?? "nothing"}; {where}; phase {phaseOf[key]}, acknowledged at move end {afterMove} of {acknowledged.Count}; report {report}");
            }
        }
        for (var i = 0; i < 3000; i++)
            Assert.Equal($"p{i}", await client.GetStringAsync($"pre{i}"));
    }

    [Fact]
    public async Task Collections_move_with_their_type_and_expiry()
    {
        await using var cluster = await Resp.RespCluster.StartAsync(3);
        var range = cluster[0].ClusterState.Slots.Ranges[0];
        var keys = new List<string>();
        await using (var resp = await Resp.RespTestClient.ConnectAsync(Resp.RespCluster.RespOf(cluster, 2)))
        {
            for (var i = 0; keys.Count < 20; i++)
            {
                var key = $"mv{i}";
                if (cluster[0].ClusterState.Slots.OwnerOf(KeySlot.Of(Encoding.UTF8.GetBytes(key))) != 0)
                    continue;
                keys.Add(key);
                Assert.Equal(":2\r\n", await resp.CallAsync("RPUSH", key, "a", "b"));
                Assert.Equal(":1\r\n", await resp.CallAsync("HSET", key + "{h}", "f", "v")); // another slot, likely another node
                Assert.Equal(":1\r\n", await resp.CallAsync("EXPIRE", key, "1000"));
            }
        }
        var report = await cluster[0].MoveSlotsAsync(range.FirstSlot, range.LastSlot, 1).WithinAsync("the move");
        Assert.True(report.KeysCopied >= keys.Count);
        foreach (var node in cluster.RunningNodes)
            await Bounded.UntilAsync(() => node.ClusterState.Slots.OwnerOf(range.FirstSlot) == 1, $"node {node.NodeId} to learn the new owner");
        await using var check = await Resp.RespTestClient.ConnectAsync(Resp.RespCluster.RespOf(cluster, 0));
        foreach (var key in keys)
        {
            Assert.True(cluster[1].Store.TryGet(Encoding.UTF8.GetBytes(key), out _, out var metadata), $"{key} is at its new owner");
            Assert.Equal(Storage.EntryType.List, metadata.Type);
            Assert.True(metadata.HasExpiry);
            Assert.Equal("+list\r\n", await check.CallAsync("TYPE", key));
            Assert.Equal("*2\r\n$1\r\na\r\n$1\r\nb\r\n", await check.CallAsync("LRANGE", key, "0", "-1"));
        }
    }

    [Fact]
    public async Task Lists_pushed_to_while_their_slots_move_hold_every_acknowledged_element_once_at_the_new_owner()
    {
        // 32 KiB/s: the copy takes a second or more, so the pushes land before, during and after it; each push is a
        // change record (the slot's capture stream), applied at the target only to the value it was computed from.
        await using var cluster = await Resp.RespCluster.StartAsync(3, o => o.SlotMoveRate = 32 * 1024);
        var range = cluster[0].ClusterState.Slots.Ranges[0];
        var lists = Enumerable.Range(0, 4).Select(i => Resp.RespCluster.KeyOwnedBy(cluster, 0, $"grow{i}")).ToArray();
        await using (var fill = await Resp.RespTestClient.ConnectAsync(Resp.RespCluster.RespOf(cluster, 0)))
        {
            for (var i = 0; i < 600; i++)
                await fill.CallAsync("SET", Resp.RespCluster.KeyOwnedBy(cluster, 0, $"filler{i}"), new string('f', 40));
        }
        var moving = 0;
        var pushers = lists.Select(list => Task.Run(async () =>
        {
            await using var resp = await Resp.RespTestClient.ConnectAsync(Resp.RespCluster.RespOf(cluster, 2));
            var acknowledged = new List<string>();
            var doubtful = new HashSet<string>();
            for (var i = 0; i < 5000 && Volatile.Read(ref moving) < 2; i++)
            {
                var element = $"{list}-{i}";
                var reply = await resp.CallAsync("RPUSH", list, element);
                if (reply.StartsWith(':'))
                    acknowledged.Add(element);
                else
                    doubtful.Add(element); // may or may not have been applied; never twice
            }
            return (list, acknowledged, doubtful);
        })).ToArray();
        await Bounded.UntilAsync(() => cluster[0].Store.TryGet(Encoding.UTF8.GetBytes(lists[^1]), out _), "the pushes to start");
        Volatile.Write(ref moving, 1);
        var report = await cluster[0].MoveSlotsAsync(range.FirstSlot, range.LastSlot, 1).WithinAsync("the move");
        Volatile.Write(ref moving, 2);
        var results = await Task.WhenAll(pushers).WithinAsync("the pushes to stop");
        Assert.True(report.KeysCopied > 0);
        foreach (var node in cluster.RunningNodes)
            await Bounded.UntilAsync(() => node.ClusterState.Slots.OwnerOf(range.FirstSlot) == 1, $"node {node.NodeId} to learn the new owner");

        foreach (var (list, acknowledged, doubtful) in results)
        {
            Assert.True(cluster[1].Store.TryGet(Encoding.UTF8.GetBytes(list), out var value, out var metadata), $"{list} is at its new owner");
            Assert.Equal(Storage.EntryType.List, metadata.Type);
            var elements = new List<ReadOnlyMemory<byte>>();
            FastDht.Engine.Resp.Internal.CollectionCodec.Decode(value, elements);
            var held = elements.Select(e => Encoding.UTF8.GetString(e.Span)).ToList();
            Assert.Equal(held.Count, held.Distinct().Count()); // nothing applied twice
            Assert.Equal(acknowledged, held.Where(e => !doubtful.Contains(e)).ToList()); // every acknowledged one, in order
        }
    }

    [Fact]
    public async Task A_node_that_handed_a_slot_over_answers_reads_of_it_Moving_native_and_TRYAGAIN_over_RESP_once_the_wait_for_the_handover_is_over()
    {
        // The handover's mark without the rest of a move: between it and the state that names the new owner (with Raft
        // the new owner may install that state first and take writes), this node's copy must not be read.
        await using var cluster = await Resp.RespCluster.StartAsync(2);
        var key = Resp.RespCluster.KeyOwnedBy(cluster, 0, "handed");
        await using var resp = await Resp.RespTestClient.ConnectAsync(Resp.RespCluster.RespOf(cluster, 0));
        Assert.Equal("+OK\r\n", await resp.CallAsync("SET", key, "old"));
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(key));
        cluster[0].Core.Keyspace.EnableMoves().SetGone(slot, slot, true);

        Assert.StartsWith("-TRYAGAIN", await resp.CallAsync("GET", key), StringComparison.Ordinal);
        using var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Moving, (await native.GetAsync(Encoding.UTF8.GetBytes(key))).Status);

        cluster[0].Core.Keyspace.Moves!.SetGone(slot, slot, false);
        Assert.Equal("$3\r\nold\r\n", await resp.CallAsync("GET", key));
    }

    /// <summary>
    /// The old owner's drop after a handover (DropHandedAwayAsync, in batches that rest between them) removes its copies
    /// of the slots still marked handed away, over several batches, and leaves the keys of a slot of the range whose mark
    /// was cleared (a move bringing it back before the drop reached it) and of slots outside the range.
    /// </summary>
    [Fact]
    public async Task The_old_owners_drop_removes_the_keys_of_slots_still_handed_away_and_only_those()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var keyspace = cluster[0].Core.Keyspace;
        string[] tags = ["{gone}", "{back}", "{outside}"];
        var slots = tags.Select(t => KeySlot.Of(Encoding.UTF8.GetBytes(t))).ToArray();
        var (first, last) = (Math.Min(slots[0], slots[1]), Math.Max(slots[0], slots[1]));
        Assert.True(slots[2] < first || slots[2] > last, "the third tag's slot lies outside the dropped range");
        var perTag = 3 * FastDht.Engine.Keyspace.LocalKeyspace.DropBatch; // several batches, so rests come between them
        foreach (var tag in tags)
        {
            for (var i = 0; i < perTag; i++)
                Assert.Equal(FastDht.Engine.Keyspace.KeyWriteResult.Ok, keyspace.Put(Encoding.UTF8.GetBytes(tag + i), "v"u8));
        }
        var moves = keyspace.EnableMoves();
        moves.SetGone(first, last, true);
        moves.SetGone(slots[1], slots[1], false); // brought back before the drop
        var rests = 0;

        var removed = await keyspace.DropHandedAwayAsync(moves, first, last, _ =>
        {
            rests++;
            return TimeSpan.FromMilliseconds(1);
        }).WithinAsync("the drop");

        Assert.Equal(perTag, removed);
        Assert.True(rests >= 3, $"the drop rested {rests} times");
        for (var i = 0; i < perTag; i++)
        {
            Assert.False(keyspace.TryGet(Encoding.UTF8.GetBytes(tags[0] + i), out _), $"{tags[0]}{i} was dropped");
            Assert.True(keyspace.TryGet(Encoding.UTF8.GetBytes(tags[1] + i), out _), $"{tags[1]}{i} was kept");
            Assert.True(keyspace.TryGet(Encoding.UTF8.GetBytes(tags[2] + i), out _), $"{tags[2]}{i} was kept");
        }
    }

    [Fact]
    public async Task A_move_to_a_node_that_is_down_is_refused_and_changes_nothing()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await ConnectAsync(cluster);
        await client.PutAsync("kept", "here");
        await cluster.StopNodeAsync(2);
        await Bounded.UntilAsync(() => !cluster[0].Core.Mesh.IsUp(2), "node 0 to see node 2 down");
        var before = cluster[0].ClusterState;
        var range = before.Slots.Ranges[0];

        var e = await Assert.ThrowsAsync<SlotMoveException>(() => cluster[0].MoveSlotsAsync(range.FirstSlot, range.LastSlot, 2).WithinAsync("the refused move"));

        Assert.Contains("not reachable", e.Message, StringComparison.Ordinal);
        Assert.Same(before, cluster[0].ClusterState);
        Assert.Equal("here", await client.GetStringAsync("kept"));
    }

    [Fact]
    public async Task A_move_of_slots_the_node_does_not_own_is_refused()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var theirs = cluster[0].ClusterState.Slots.Ranges[1];
        var e = await Assert.ThrowsAsync<SlotMoveException>(() => cluster[0].MoveSlotsAsync(theirs.FirstSlot, theirs.FirstSlot, 2).WithinAsync("the refused move"));
        Assert.Contains("owned by node", e.Message, StringComparison.Ordinal);
        Assert.Equal(ClusterState.InitialEpoch, cluster[0].ClusterState.Epoch);
    }

    [Fact]
    public void A_cluster_state_survives_its_encoding_and_a_cut_or_padded_one_is_refused()
    {
        var members = MemberList.Parse("127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002");
        var initial = ClusterState.Initial(members, replicas: 1);
        var moving = initial.Next(slots: initial.Slots.Assign(10, 20, initial.Slots.AssignmentOf(10).WithImporting(2)));

        var bytes = ClusterStateCodec.Encode(moving);
        Assert.True(ClusterStateCodec.TryDecode(bytes, out var decoded, out var error), error);

        Assert.Equal(moving.Epoch, decoded.Epoch);
        Assert.Equal(moving.Members.Digest, decoded.Members.Digest);
        Assert.True(moving.Slots.SameAssignment(decoded.Slots));
        Assert.Equal((ushort)2, decoded.Slots.AssignmentOf(15).Importing);
        Assert.Equal(moving.Slots.AssignmentOf(15).Replicas.ToArray(), decoded.Slots.AssignmentOf(15).Replicas.ToArray());
        for (var cut = 0; cut < bytes.Length; cut++)
            Assert.False(ClusterStateCodec.TryDecode(bytes.AsSpan(0, cut), out _, out _), $"cut at {cut}");
        Assert.False(ClusterStateCodec.TryDecode([.. bytes, 0], out _, out _));
    }

    private static async Task<DhtClient> ConnectAsync(TestCluster cluster)
    {
        var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName };
        options.Seeds.Add(cluster.EndPointOf(0).ToString());
        return await DhtClient.ConnectAsync(options);
    }
}
