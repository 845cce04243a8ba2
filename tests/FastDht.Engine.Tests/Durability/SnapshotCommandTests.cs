using System.Text;
using FastDht.Engine.Node;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.Storage.Durability;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Durability;

/// <summary>
/// Snapshots of a node with a data directory: RESP SAVE, BGSAVE and LASTSAVE answer as Redis does, a restart loads
/// the snapshot and the log after it, and what the log before a snapshot held (commit decisions) survives its drop.
/// </summary>
public sealed class SnapshotCommandTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "durability-snapcmd-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private string DirOf(ushort node) => Path.Combine(_root, $"node{node}");

    private Task<TestCluster> StartAsync(int nodes, Action<NodeOptions>? more = null) =>
        RespCluster.StartAsync(nodes, o =>
        {
            o.DataDir = DirOf(o.NodeId);
            more?.Invoke(o);
        });

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static long Integer(string reply)
    {
        Assert.StartsWith(":", reply, StringComparison.Ordinal);
        return long.Parse(reply.AsSpan(1, reply.Length - 3));
    }

    [Fact]
    public async Task Save_bgsave_and_lastsave_answer_as_redis_and_a_restart_loads_the_snapshot_then_the_log_after_it()
    {
        await using (var cluster = await StartAsync(1))
        {
            await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
            for (var i = 0; i < 200; i++)
                Assert.Equal("+OK\r\n", await resp.CallAsync("SET", $"k{i}", $"v{i}"));
            var started = Integer(await resp.CallAsync("LASTSAVE"));
            Assert.True(started > 0);
            Assert.Equal("+OK\r\n", await resp.CallAsync("SAVE"));
            var saved = Integer(await resp.CallAsync("LASTSAVE"));
            Assert.True(saved >= started);
            var log = cluster[0].Core.Keyspace.Log!;
            Assert.Equal(200, log.LastSnapshot!.Keys);
            Assert.Contains("rdb_last_bgsave_status:ok", await resp.CallAsync("INFO", "persistence"));

            Assert.Equal(":1\r\n", await resp.CallAsync("DEL", "k0"));
            Assert.Equal("+Background saving started\r\n", await resp.CallAsync("BGSAVE"));
            await Bounded.UntilAsync(() => !log.IsSnapshotting && log.LastSnapshot!.Keys == 199, "the background snapshot completes");
            Assert.Equal("-ERR syntax error\r\n", await resp.CallAsync("BGSAVE", "NOW"));
            Assert.Equal("+OK\r\n", await resp.CallAsync("SET", "after", "x"));
            Assert.Equal(2, Directory.GetFiles(DirOf(0), "*.snap").Length);
        }

        await using var restarted = await StartAsync(1);
        await using var check = await RespTestClient.ConnectAsync(RespCluster.RespOf(restarted, 0));
        Assert.Equal(":200\r\n", await check.CallAsync("DBSIZE"));
        Assert.Equal("$-1\r\n", await check.CallAsync("GET", "k0"));
        Assert.Equal("$4\r\nv199\r\n", await check.CallAsync("GET", "k199"));
        Assert.Equal("$1\r\nx\r\n", await check.CallAsync("GET", "after"));
    }

    [Fact]
    public async Task Without_a_data_directory_save_and_bgsave_are_refused_and_lastsave_is_the_start_time()
    {
        await using var cluster = await RespCluster.StartAsync(1);
        await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.StartsWith("-ERR this node keeps its keys in memory only", await resp.CallAsync("SAVE"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR this node keeps its keys in memory only", await resp.CallAsync("BGSAVE"), StringComparison.Ordinal);
        var lastSave = Integer(await resp.CallAsync("LASTSAVE"));
        Assert.Equal(cluster[0].Core.Statistics.StartedAt.ToUnixTimeSeconds(), lastSave);
        Assert.Contains("aof_enabled:0", await resp.CallAsync("INFO", "persistence"));
    }

    [Fact]
    public async Task A_commit_decision_whose_log_was_dropped_after_two_snapshots_is_still_answered_after_a_restart()
    {
        FastDht.Engine.Transactions.Internal.TxnDecision decision;
        await using (var cluster = await StartAsync(3))
        {
            var k1 = RespCluster.KeyOwnedBy(cluster, 1, "dec");
            var k2 = RespCluster.KeyOwnedBy(cluster, 2, "dec");
            using (var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0)))
            {
                var entries = new[] { new KeyValue(B(k1), B("1")), new KeyValue(B(k2), B("2")) };
                Assert.Equal(StatusCode.Ok, (await native.RequestAsync((w, id) => FrameWriter.WriteMultiPut(w, id, entries))).Status);
            }
            var log = cluster[0].Core.Keyspace.Log!;
            Assert.True(log.TryStartSnapshot(out var first));
            await first.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(log.TryStartSnapshot(out var second));
            await second.WaitAsync(TimeSpan.FromSeconds(30));
            decision = FindCommitted(cluster[0].Core.Decisions);
        }
        // The segment that held the decision record is gone: only the snapshots carry it now.
        Assert.DoesNotContain(Directory.GetFiles(DirOf(0), "*.wal"), f => Path.GetFileName(f) == "00000000000000000000.wal");

        await using var restarted = await StartAsync(3);
        Assert.Equal(TxnOutcome.Committed, restarted[0].Core.Coordinator.Status(decision.Txn, decision.Attempt));
    }

    private static FastDht.Engine.Transactions.Internal.TxnDecision FindCommitted(FastDht.Engine.Transactions.Internal.TxnDecisions decisions)
    {
        var record = Assert.Single(decisions.CommitRecords());
        Assert.True(FastDht.Engine.Transactions.Internal.TxnDecisionRecord.TryRead(record, out var decision, out _));
        Assert.True(decision.Commit);
        return decision;
    }

    [Fact]
    public async Task Snapshots_taken_while_msets_run_restore_every_pair_whole()
    {
        const int Pairs = 50;
        await using (var cluster = await StartAsync(1, o => o.SnapshotLogSize = 16 * 1024))
        {
            await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
            var log = cluster[0].Core.Keyspace.Log!;
            for (var round = 0; round < 40; round++)
            {
                // Each MSET writes the same value to both keys of a pair: a restored pair that differs was half-applied.
                for (var p = 0; p < Pairs; p++)
                    Assert.Equal("+OK\r\n", await resp.CallAsync("MSET", $"{{p{p}}}:a", $"r{round}", $"{{p{p}}}:b", $"r{round}"));
                if (round % 10 == 0)
                    log.TryStartSnapshot(out _);
            }
            await Bounded.UntilAsync(() => !log.IsSnapshotting, "the last snapshot completes");
            Assert.NotNull(log.LastSnapshot);
        }

        await using var restarted = await StartAsync(1);
        await using var check = await RespTestClient.ConnectAsync(RespCluster.RespOf(restarted, 0));
        for (var p = 0; p < Pairs; p++)
        {
            var a = await check.CallAsync("GET", $"{{p{p}}}:a");
            Assert.Equal("$3\r\nr39\r\n", a);
            Assert.Equal(a, await check.CallAsync("GET", $"{{p{p}}}:b"));
        }
    }
}
