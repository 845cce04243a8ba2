using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using FastDht.Engine.Plugins;
using FastDht.Engine.Tests.Client;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.Storage.Durability;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Durability;

/// <summary>
/// A cluster with a data directory per node: every write path is logged, a restarted node has every acknowledged
/// write, a reply leaves only once its write is durable, and a damaged log stops the start with the file and offset.
/// </summary>
public sealed class DataDirTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fastdht-datadir-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private string DirOf(ushort node) => Path.Combine(_root, $"node{node}");

    private Task<TestCluster> StartAsync(FsyncPolicy fsync = FsyncPolicy.Always, Action<NodeOptions>? more = null) =>
        RespCluster.StartAsync(3, o =>
        {
            o.DataDir = DirOf(o.NodeId);
            o.Fsync = fsync;
            more?.Invoke(o);
        });

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData(FsyncPolicy.Always)]
    [InlineData(FsyncPolicy.EverySec)]
    public async Task Every_write_path_survives_a_restart_of_the_whole_cluster(FsyncPolicy fsync)
    {
        string k0, k1, k2;
        await using (var cluster = await StartAsync(fsync))
        {
            k0 = RespCluster.KeyOwnedBy(cluster, 0, "d");
            k1 = RespCluster.KeyOwnedBy(cluster, 1, "d");
            k2 = RespCluster.KeyOwnedBy(cluster, 2, "d");
            using (var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0)))
            {
                Assert.Equal(StatusCode.Ok, (await native.PutAsync(B(k0 + ":native"), B("n0"))).Status);
                Assert.Equal(StatusCode.Ok, (await native.PutAsync(B(k2 + ":native"), B("n2"))).Status); // forwarded
                Assert.Equal(StatusCode.Ok, (await native.PutIfAbsentAsync(B(k1 + ":pia"), B("p1"))).Status);
                Assert.Equal(StatusCode.Ok, (await native.PutAsync(B(k1 + ":gone"), B("x"))).Status);
                Assert.Equal(StatusCode.Ok, (await native.DeleteAsync(B(k1 + ":gone"))).Status);
            }
            await using (var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1)))
            {
                Assert.Equal("+OK\r\n", await resp.CallAsync("SET", k0, "r0"));
                Assert.Equal(":1\r\n", await resp.CallAsync("INCR", k1));
                Assert.Equal(":2\r\n", await resp.CallAsync("INCR", k1));
                Assert.Equal(":2\r\n", await resp.CallAsync("APPEND", k2, "ab"));
                Assert.Equal("+OK\r\n", await resp.CallAsync("MSET", k0 + ":m", "m0", k1 + ":m", "m1", k2 + ":m", "m2"));
                Assert.Equal("+OK\r\n", await resp.CallAsync("SET", k2 + ":del", "x"));
                Assert.Equal(":1\r\n", await resp.CallAsync("DEL", k2 + ":del"));
                // A transaction's puts with a TTL, deletes and renames across nodes: one commit record per owner.
                Assert.Equal("+OK\r\n", await resp.CallAsync("SET", k0 + ":src", "s", "EX", "1000"));
                Assert.Equal("+OK\r\n", await resp.CallAsync("SET", k1 + ":txdel", "x"));
                Assert.Equal("+OK\r\n", await resp.CallAsync("MULTI"));
                Assert.Equal("+QUEUED\r\n", await resp.CallAsync("SET", k2 + ":tx", "t", "EX", "1000"));
                Assert.Equal("+QUEUED\r\n", await resp.CallAsync("DEL", k1 + ":txdel"));
                Assert.Equal("+QUEUED\r\n", await resp.CallAsync("RENAME", k0 + ":src", k2 + ":renamed"));
                Assert.Equal("*3\r\n+OK\r\n:1\r\n+OK\r\n", await resp.CallAsync("EXEC"));
                Assert.Equal(":1\r\n", await resp.CallAsync("COPY", k2 + ":renamed", k1 + ":copied"));
            }
            Assert.Equal(KeyOperationStatus.Ok, (await cluster[2].Context.PutAsync(B(k0 + ":api"), B("a0"))).Status);
            await using (var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster)))
            {
                await client.MultiPutAsync(
                [
                    new(B(k0 + ":mp"), B("mp0")),
                    new(B(k1 + ":mp"), B("mp1")),
                    new(B(k2 + ":mp"), B("mp2")),
                ]);
            }
        }

        await using var restarted = await StartAsync(fsync);
        await using var check = await RespTestClient.ConnectAsync(RespCluster.RespOf(restarted, 0));
        async Task ExpectAsync(string key, string? value) =>
            Assert.Equal(value is null ? "$-1\r\n" : $"${value.Length}\r\n{value}\r\n", await check.CallAsync("GET", key));
        await ExpectAsync(k0 + ":native", "n0");
        await ExpectAsync(k2 + ":native", "n2");
        await ExpectAsync(k1 + ":pia", "p1");
        await ExpectAsync(k1 + ":gone", null);
        await ExpectAsync(k0, "r0");
        await ExpectAsync(k1, "2");
        await ExpectAsync(k2, "ab");
        await ExpectAsync(k0 + ":m", "m0");
        await ExpectAsync(k1 + ":m", "m1");
        await ExpectAsync(k2 + ":m", "m2");
        await ExpectAsync(k2 + ":del", null);
        await ExpectAsync(k0 + ":api", "a0");
        await ExpectAsync(k0 + ":mp", "mp0");
        await ExpectAsync(k1 + ":mp", "mp1");
        await ExpectAsync(k2 + ":mp", "mp2");
        await ExpectAsync(k2 + ":tx", "t");
        await ExpectAsync(k1 + ":txdel", null);
        await ExpectAsync(k0 + ":src", null);
        await ExpectAsync(k2 + ":renamed", "s");
        await ExpectAsync(k1 + ":copied", "s");
        foreach (var expiring in new[] { k2 + ":tx", k2 + ":renamed", k1 + ":copied" })
            Assert.InRange(long.Parse((await check.CallAsync("TTL", expiring))[1..^2]), 900, 1000);
    }

    [Fact]
    public async Task Collections_keep_their_type_and_content_through_snapshots_the_log_transactions_and_a_restart()
    {
        string k0, k1, k2;
        await using (var cluster = await StartAsync())
        {
            k0 = RespCluster.KeyOwnedBy(cluster, 0, "col");
            k1 = RespCluster.KeyOwnedBy(cluster, 1, "col");
            k2 = RespCluster.KeyOwnedBy(cluster, 2, "col");
            await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1));
            // Before a snapshot of every node: the snapshot carries them (put-typed records).
            Assert.Equal(":3\r\n", await resp.CallAsync("RPUSH", k0 + ":l", "a", "b", "c"));
            Assert.Equal(":2\r\n", await resp.CallAsync("HSET", k1 + ":h", "f1", "v1", "f2", "v2"));
            for (var node = 0; node < 3; node++)
            {
                await using var local = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, node));
                Assert.Equal("+OK\r\n", await local.CallAsync("SAVE"));
            }
            // After it, in the log only: plain writes, an expiry, and transactions across nodes (one batch per owner).
            Assert.Equal(":2\r\n", await resp.CallAsync("SADD", k2 + ":s", "x", "y"));
            Assert.Equal(":2\r\n", await resp.CallAsync("ZADD", k0 + ":z", "1", "one", "2", "two"));
            Assert.Equal(":1\r\n", await resp.CallAsync("EXPIRE", k0 + ":z", "1000"));
            Assert.Equal("$1\r\nc\r\n", await resp.CallAsync("LMOVE", k0 + ":l", k2 + ":l2", "RIGHT", "LEFT"));
            Assert.Equal("+OK\r\n", await resp.CallAsync("RENAME", k1 + ":h", k2 + ":h2"));
            Assert.Equal("+OK\r\n", await resp.CallAsync("MULTI"));
            Assert.Equal("+QUEUED\r\n", await resp.CallAsync("RPUSH", k1 + ":tx", "t"));
            Assert.Equal("+QUEUED\r\n", await resp.CallAsync("SADD", k2 + ":s", "z"));
            Assert.Equal("*2\r\n:1\r\n:1\r\n", await resp.CallAsync("EXEC"));
        }

        await using var restarted = await StartAsync();
        await using var check = await RespTestClient.ConnectAsync(RespCluster.RespOf(restarted, 0));
        Assert.Equal("*2\r\n$1\r\na\r\n$1\r\nb\r\n", await check.CallAsync("LRANGE", k0 + ":l", "0", "-1"));
        Assert.Equal("*1\r\n$1\r\nc\r\n", await check.CallAsync("LRANGE", k2 + ":l2", "0", "-1"));
        Assert.Equal(":0\r\n", await check.CallAsync("EXISTS", k1 + ":h"));
        Assert.Equal("+hash\r\n", await check.CallAsync("TYPE", k2 + ":h2"));
        Assert.Equal("*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n", await check.CallAsync("HGETALL", k2 + ":h2"));
        Assert.Equal(":3\r\n", await check.CallAsync("SCARD", k2 + ":s"));
        Assert.Equal("+zset\r\n", await check.CallAsync("TYPE", k0 + ":z"));
        Assert.Equal("*2\r\n$3\r\none\r\n$3\r\ntwo\r\n", await check.CallAsync("ZRANGE", k0 + ":z", "0", "-1"));
        Assert.InRange(long.Parse((await check.CallAsync("TTL", k0 + ":z"))[1..^2]), 900, 1000);
        Assert.Equal("+list\r\n", await check.CallAsync("TYPE", k1 + ":tx"));
        Assert.StartsWith("-WRONGTYPE", await check.CallAsync("GET", k1 + ":tx"));
    }

    [Fact]
    public async Task Under_always_every_reply_leaves_after_its_write_is_on_disk()
    {
        await using var cluster = await StartAsync(FsyncPolicy.Always);
        // One writer, keys all owned by node 2, sent through node 0: with no other writer, when a reply arrives
        // everything node 2 appended must already be durable.
        var log = cluster[2].Core.Keyspace.Log!;
        bool AllDurable() => log.IsDurable(log.AppendedPosition);
        var key = RespCluster.KeyOwnedBy(cluster, 2, "w");
        var other = RespCluster.KeyOwnedBy(cluster, 2, "x");
        using var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(2));
        using var forwarding = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 2));
        await using var respForwarding = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(StatusCode.Ok, (await native.PutAsync(B(key), B($"n{i}"))).Status);
            Assert.True(AllDurable(), "native Put answered before its record was durable");
            Assert.Equal(StatusCode.Ok, (await forwarding.PutAsync(B(key), B($"f{i}"))).Status);
            Assert.True(AllDurable(), "forwarded Put answered before its record was durable");
            Assert.Equal("+OK\r\n", await resp.CallAsync("SET", key, $"r{i}"));
            Assert.True(AllDurable(), "RESP SET answered before its record was durable");
            Assert.Equal("+OK\r\n", await respForwarding.CallAsync("SET", key, $"s{i}"));
            Assert.True(AllDurable(), "forwarded RESP SET answered before its record was durable");
            Assert.Equal("+OK\r\n", await resp.CallAsync("MSET", key, $"m{i}", other, $"m{i}"));
            Assert.True(AllDurable(), "MSET answered before its record was durable");
            Assert.Equal(KeyOperationStatus.Ok, (await cluster[2].Context.PutAsync(B(key), B($"a{i}"))).Status);
            Assert.True(AllDurable(), "the embedding API's Put returned before its record was durable");
        }
    }

    [Fact]
    public async Task A_flipped_byte_in_the_middle_of_a_log_stops_the_node_naming_file_and_offset_and_the_option_cuts_there()
    {
        string key;
        await using (var cluster = await StartAsync())
        {
            // A hash tag keeps every key of the test in node 1's slot.
            key = "{" + RespCluster.KeyOwnedBy(cluster, 1, "c") + "}";
            await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1));
            for (var i = 0; i < 10; i++)
                Assert.Equal("+OK\r\n", await resp.CallAsync("SET", $"{key}:{i}", $"value{i}"));
        }
        var segment = Directory.GetFiles(DirOf(1), "*.wal").Single();
        var bytes = File.ReadAllBytes(segment);
        var middle = (bytes.AsSpan().LastIndexOfAnyExcept((byte)0) + 1) / 2; // half way through its records (zeros follow them)
        bytes[middle] ^= 0x01;
        File.WriteAllBytes(segment, bytes);

        var cluster2 = await TestCluster.StartAsync(3, o => o.DataDir = DirOf(o.NodeId), start: false);
        await using (cluster2)
        {
            var refused = await Assert.ThrowsAsync<ClusterConfigurationException>(() => cluster2.StartNodeAsync(1));
            Assert.Contains(segment, refused.Message);
            Assert.Contains("offset", refused.Message);
            Assert.DoesNotContain('\n', refused.Message);
        }

        await using var truncated = await StartAsync(more: o => o.TruncateCorruptLog = true);
        await using var check = await RespTestClient.ConnectAsync(RespCluster.RespOf(truncated, 1));
        Assert.Equal("$6\r\nvalue0\r\n", await check.CallAsync("GET", $"{key}:0"));
        Assert.Equal("$-1\r\n", await check.CallAsync("GET", $"{key}:9"));
        // Writes go on after the cut, and survive another restart.
        Assert.Equal("+OK\r\n", await check.CallAsync("SET", $"{key}:9", "again"));
    }

    [SmallDiskTheory]
    [InlineData(FsyncPolicy.Always)]
    [InlineData(FsyncPolicy.EverySec)]
    [InlineData(FsyncPolicy.No)]
    public async Task On_a_full_disk_resp_writes_get_MISCONF_before_changing_anything_every_OK_survives_a_restart_and_writes_resume_when_space_returns(FsyncPolicy fsync)
    {
        const int Segment = 64 * 1024;
        using var disk = SmallDisk.Mount(512);
        var dir = Path.Combine(disk.Path, "node");
        var value = new string('v', 1000);
        var acked = 0;
        await using (var cluster = await RespCluster.StartAsync(1, o => { o.DataDir = dir; o.Fsync = fsync; o.LogSegmentSize = Segment; }))
        {
            await using var writer = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
            Assert.Equal("+OK\r\n", await writer.CallAsync("SET", "before", "1"));
            disk.Fill();
            var log = cluster[0].Core.Keyspace.Log!;

            // The open segment's room was reserved when it was made: until it is half full, writes go on and each is
            // acknowledged once durable, full disk or not.
            while (log.AppendedPosition < Segment / 2)
            {
                Assert.Equal("+OK\r\n", await writer.CallAsync("SET", $"k{acked}", value));
                acked++;
            }
            // Then the next segment is asked for, cannot be reserved, and writes are refused before they change anything.
            await Bounded.UntilAsync(() => !log.IsWritable, "the node refuses writes once its next log segment cannot be reserved");
            var refused = await writer.CallAsync("SET", "during", "x");
            Assert.StartsWith("-MISCONF", refused, StringComparison.Ordinal);
            Assert.Contains("nothing was changed", refused, StringComparison.Ordinal);
            Assert.StartsWith("-MISCONF", await writer.CallAsync("DEL", "before"), StringComparison.Ordinal);
            Assert.StartsWith("-MISCONF", await writer.CallAsync("INCR", "counter"), StringComparison.Ordinal);
            Assert.Contains("MISCONF", await writer.CallAsync("EVAL", "return redis.call('SET', KEYS[1], 'x')", "1", "script"), StringComparison.Ordinal);
            Assert.Equal("+OK\r\n", await writer.CallAsync("MULTI"));
            var queued = await writer.CallAsync("SET", "multi", "x");
            var exec = await writer.CallAsync("EXEC");
            Assert.True(queued.Contains("MISCONF", StringComparison.Ordinal) || exec.Contains("MISCONF", StringComparison.Ordinal), $"MULTI/EXEC refused: {queued} then {exec}");
            Assert.Contains("aof_last_write_status:err", await writer.CallAsync("INFO", "persistence"), StringComparison.Ordinal);

            // Reads go on, and see nothing of what was refused.
            Assert.Equal("$1\r\n1\r\n", await writer.CallAsync("GET", "before"));
            Assert.Equal($"$1000\r\n{value}\r\n", await writer.CallAsync("GET", "k0"));
            Assert.Equal("$-1\r\n", await writer.CallAsync("GET", "during"));
            Assert.Equal("$-1\r\n", await writer.CallAsync("GET", "script"));
            Assert.Equal("$-1\r\n", await writer.CallAsync("GET", "multi"));

            disk.Free();
            await Bounded.UntilAsync(() => log.IsWritable, "the node writes again once the next segment can be reserved");
            Assert.Equal("+OK\r\n", await writer.CallAsync("SET", "after", "3"));
        }

        await using var restarted = await RespCluster.StartAsync(1, o => { o.DataDir = dir; o.Fsync = fsync; o.LogSegmentSize = Segment; });
        await using var check = await RespTestClient.ConnectAsync(RespCluster.RespOf(restarted, 0));
        Assert.Equal("$1\r\n1\r\n", await check.CallAsync("GET", "before"));
        for (var i = 0; i < acked; i++)
            Assert.Equal($"$1000\r\n{value}\r\n", await check.CallAsync("GET", $"k{i}"));
        Assert.Equal("$1\r\n3\r\n", await check.CallAsync("GET", "after"));
        Assert.Equal("$-1\r\n", await check.CallAsync("GET", "during"));
        Assert.Equal("$-1\r\n", await check.CallAsync("GET", "counter"));
    }

    [SmallDiskTheory]
    [InlineData(FsyncPolicy.Always, ProtocolNames.Resp)]
    [InlineData(FsyncPolicy.EverySec, ProtocolNames.Native)]
    [InlineData(FsyncPolicy.No, ProtocolNames.Resp)]
    public async Task A_write_whose_record_cannot_be_logged_is_never_acknowledged_its_client_is_answered_at_once_and_it_is_logged_when_space_returns(FsyncPolicy fsync, string protocol)
    {
        using var disk = SmallDisk.Mount(512);
        var dir = Path.Combine(disk.Path, "node");
        // 64 KiB segments: the big write below needs a segment of its own, which the full disk cannot give it.
        await using (var cluster = await RespCluster.StartAsync(1, o => { o.DataDir = dir; o.Fsync = fsync; o.LogSegmentSize = 64 * 1024; }))
        {
            using var other = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
            Assert.Equal(StatusCode.Ok, (await other.PutAsync(B("before"), B("1"))).Status);
            disk.Fill();

            // Its round fails: the reply is not sent as if durable, and the client is not left waiting for the disk
            // either: its connection is closed (outcome unknown), as for any reply the node cannot stand behind.
            if (protocol == ProtocolNames.Resp)
            {
                await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
                await resp.SendAsync(RespTestClient.Encode("SET", "big", new string('x', 64 * 1024)));
                Assert.True(await resp.IsClosedByServerAsync(), "the RESP client was answered (its connection closed) while the disk is full");
            }
            else
            {
                using var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
                var closed = await Assert.ThrowsAsync<IOException>(() => native.PutAsync(B("big"), new byte[64 * 1024]));
                Assert.Contains("closed the connection", closed.Message, StringComparison.Ordinal);
            }
            var log = cluster[0].Core.Keyspace.Log!;
            Assert.False(log.IsWritable);
            var refused = await other.PutAsync(B("during"), B("x"));
            Assert.Equal(StatusCode.LogUnavailable, refused.Status);
            Assert.Contains("disk", refused.ErrorMessage, StringComparison.OrdinalIgnoreCase);
            // Applied in memory before its record met the disk: readers may see it; it is logged once the disk takes it.
            Assert.Equal(64 * 1024, (await other.GetAsync(B("big"))).Value.Length);
            Assert.Equal("1", Encoding.UTF8.GetString((await other.GetAsync(B("before"))).Value));

            disk.Free();
            await Bounded.UntilAsync(() => log.IsWritable, "the node writes again");
            Assert.Equal(StatusCode.Ok, (await other.PutAsync(B("after"), B("a"))).Status);
        }

        await using var restarted = await RespCluster.StartAsync(1, o => { o.DataDir = dir; o.Fsync = fsync; o.LogSegmentSize = 64 * 1024; });
        using var check = await NativeTestClient.ConnectAsync(restarted.EndPointOf(0));
        Assert.Equal(64 * 1024, (await check.GetAsync(B("big"))).Value.Length);
        Assert.Equal("a", Encoding.UTF8.GetString((await check.GetAsync(B("after"))).Value));
        Assert.Equal(StatusCode.NotFound, (await check.GetAsync(B("during"))).Status);
    }

    [SmallDiskTheory]
    [InlineData(FsyncPolicy.Always)]
    [InlineData(FsyncPolicy.EverySec)]
    public async Task A_replica_whose_log_cannot_write_leaves_the_in_sync_set_at_once_its_primary_goes_on_and_it_is_resynchronized_when_space_returns(FsyncPolicy fsync)
    {
        const int Segment = 64 * 1024;
        using var disk = SmallDisk.Mount(512);
        // Node 1 copies node 0's range; its log is on the small disk. Its Raft folder is kept on the ordinary disk by a
        // link: this test is about the keyspace's log (the Raft log meeting a full disk is not covered here).
        var replicaDir = Path.Combine(disk.Path, "node1");
        Directory.CreateDirectory(replicaDir);
        Directory.CreateDirectory(Path.Combine(_root, "raft1"));
        Directory.CreateSymbolicLink(Path.Combine(replicaDir, "raft"), Path.Combine(_root, "raft1"));
        await using var cluster = await RespCluster.StartAsync(3, o =>
        {
            o.DataDir = o.NodeId == 1 ? replicaDir : DirOf(o.NodeId);
            o.Fsync = fsync;
            o.LogSegmentSize = Segment;
            o.Replicas = 1;
            // A replica leaves the in-sync set here because it refuses, never because it was slow on a loaded machine.
            o.ReplicaTimeout = Bounded.Timeout;
            o.FailoverTimeout = Bounded.Timeout;
        });
        var stream = cluster[0].Core.Replicator!.Stream;
        await Bounded.UntilAsync(() => stream.IsInSync(1), "node 1 in sync as node 0's replica");
        var replicaLog = cluster[1].Core.Keyspace.Log!;
        await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        var value = new string('v', 1000);
        disk.Fill();

        // Node 0's writes reach node 1's log until its next segment cannot be reserved; then node 1 refuses the
        // batches, leaves the in-sync set, and node 0 goes on acknowledging without it (nothing waits for its disk).
        var keys = new List<string>();
        for (var i = 0; stream.IsInSync(1); i++)
        {
            var key = RespCluster.KeyOwnedBy(cluster, 0, $"rep{i}:");
            Assert.Equal("+OK\r\n", await resp.CallAsync("SET", key, value));
            keys.Add(key);
            Assert.True(i < 10 * Segment / 1000, $"node 1 still in sync after {i} writes of 1 KB onto a full disk");
        }
        Assert.False(replicaLog.IsWritable);
        Assert.Contains("cannot write its log", stream.LastOutOfSyncReason(1), StringComparison.Ordinal);
        for (var i = 0; i < 5; i++)
        {
            var key = RespCluster.KeyOwnedBy(cluster, 0, $"alone{i}:");
            Assert.Equal("+OK\r\n", await resp.CallAsync("SET", key, value));
            keys.Add(key);
        }
        Assert.False(stream.IsInSync(1), "node 1 counted in sync while its log refuses writes");

        disk.Free();
        await Bounded.UntilAsync(() => stream.IsInSync(1), "node 1 resynchronized once its disk has room");
        foreach (var key in keys)
            Assert.True(cluster[1].Store.TryGet(B(key), out _), $"{key} missing at the resynchronized replica");
    }

    [Fact]
    public async Task A_coordinators_commit_decision_is_logged_and_answered_after_its_restart()
    {
        string k1, k2;
        await using (var cluster = await StartAsync())
        {
            k1 = RespCluster.KeyOwnedBy(cluster, 1, "dec");
            k2 = RespCluster.KeyOwnedBy(cluster, 2, "dec");
            using var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
            var entries = new[] { new KeyValue(B(k1), B("1")), new KeyValue(B(k2), B("2")) };
            Assert.Equal(StatusCode.Ok, (await native.RequestAsync((w, id) => FrameWriter.WriteMultiPut(w, id, entries))).Status);
        }

        // Node 0 coordinated the MultiPut (neither key is its own): its log holds the commit decision.
        var decisions = new List<FastDht.Engine.Transactions.Internal.TxnDecision>();
        using (WriteAheadLog.Open(new WriteAheadLogOptions
        {
            Directory = DirOf(0),
            ApplicationRecord = body =>
            {
                Assert.True(FastDht.Engine.Transactions.Internal.TxnDecisionRecord.TryRead(body, out var d, out var ended));
                Assert.False(ended); // node 0 holds neither key: no prepare or end record of a participant
                decisions.Add(d);
                return true;
            },
        }, new FastDht.Storage.ShardedStore(), out _))
        {
        }
        var decision = Assert.Single(decisions);
        Assert.True(decision.Commit);
        Assert.Equal(0, decision.Txn.NodeId);

        // Restarted, the coordinator answers "committed" for it: a participant asking after a crash learns the truth.
        await using var restarted = await StartAsync();
        Assert.Equal(TxnOutcome.Committed, restarted[0].Core.Coordinator.Status(decision.Txn, decision.Attempt));
    }
}
