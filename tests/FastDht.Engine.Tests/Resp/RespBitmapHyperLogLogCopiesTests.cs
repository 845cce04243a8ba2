using System.Buffers;
using System.Text;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Resp.Internal;
using FastDht.Protocol.Resp;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// PFADD, PFMERGE, PFCOUNT's cached count, BITFIELD and BITOP go through the keyspace's one write path: logged (a PFADD
/// to a 12 KB dense value as a change record of a few bytes) so that a restart gives back exactly the acknowledged
/// values, and streamed to the replicas, whose copies hold the primary's bytes.
/// </summary>
public sealed class RespBitmapHyperLogLogCopiesTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "bits-copies-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private static string[] Elements(string key, int first, int count)
    {
        var args = new string[count + 2];
        args[0] = "PFADD";
        args[1] = key;
        for (var i = 0; i < count; i++)
            args[i + 2] = $"e{first + i}";
        return args;
    }

    /// <summary>Adds new elements one at a time until one raises a register (bounded: most do); the element's number.</summary>
    private static async Task<int> AddOneThatCountsAsync(RespTestClient c, string key, int from)
    {
        for (var i = from; i < from + 100; i++)
        {
            if (await c.CallAsync("PFADD", key, $"e{i}") == ":1\r\n")
                return i;
        }
        throw new InvalidOperationException("100 new elements raised no register");
    }

    [Fact]
    public async Task Values_come_back_exactly_after_a_restart_and_one_pfadd_to_a_dense_value_logs_a_few_bytes()
    {
        string hll, merged, field, op, count;
        await using (var cluster = await RespCluster.StartAsync(1, o => o.DataDir = Path.Combine(_root, "node0")))
        {
            var log = cluster[0].Core.Keyspace.Log!;
            await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
            for (var batch = 0; batch < 10; batch++)
                Assert.Equal(":1\r\n", await c.CallAsync(Elements("hll", batch * 500, 500)));
            Assert.StartsWith("$12304\r\nHYLL\0", await c.CallAsync("GET", "hll"), StringComparison.Ordinal); // dense
            count = await c.CallAsync("PFCOUNT", "hll"); // caches the count: a change of the value, logged too
            var next = await AddOneThatCountsAsync(c, "hll", 5000);
            var before = log.AppendedPosition;
            await AddOneThatCountsAsync(c, "hll", next + 1);
            var logged = log.AppendedPosition - before;
            Assert.True(logged < 200, $"one PFADD to a 12 KB HyperLogLog logged {logged} bytes");

            Assert.Equal(":1\r\n", await c.CallAsync(Elements("{m}small", 0, 20)));
            Assert.Equal("+OK\r\n", await c.CallAsync("PFMERGE", "{m}merged", "{m}small", "hll"));
            Assert.Equal("*2\r\n:0\r\n:9\r\n", await c.CallAsync("BITFIELD", "field", "SET", "u8", "#200", "77", "INCRBY", "i5", "3", "9"));
            Assert.Equal(":201\r\n", await c.CallAsync("BITOP", "XOR", "op", "field", "{m}small"));
            hll = await c.CallAsync("GET", "hll");
            merged = await c.CallAsync("GET", "{m}merged");
            field = await c.CallAsync("GET", "field");
            op = await c.CallAsync("GET", "op");
        }

        await using var restarted = await RespCluster.StartAsync(1, o => o.DataDir = Path.Combine(_root, "node0"));
        await using var check = await RespTestClient.ConnectAsync(RespCluster.RespOf(restarted, 0));
        Assert.Equal(hll, await check.CallAsync("GET", "hll"));
        Assert.Equal(merged, await check.CallAsync("GET", "{m}merged"));
        Assert.Equal(field, await check.CallAsync("GET", "field"));
        Assert.Equal(op, await check.CallAsync("GET", "op"));
        Assert.NotEqual(count, await check.CallAsync("PFCOUNT", "hll")); // the two elements after the cached count are there
    }

    /// <summary>The bytes <paramref name="keyspace"/> holds for <paramref name="key"/> as Latin-1 text (null when absent).</summary>
    private static string? Copy(LocalKeyspace keyspace, string key) =>
        keyspace.TryGet(Encoding.UTF8.GetBytes(key), out var value) ? Encoding.Latin1.GetString(value.Span) : null;

    /// <summary>The value of a GET reply (<c>$n\r\n...\r\n</c>) as Latin-1 text.</summary>
    private static string Body(string bulk) => bulk[(bulk.IndexOf("\r\n", StringComparison.Ordinal) + 2)..^2];

    /// <summary>Runs one command on <paramref name="keyspace"/> as a node runs a keyed command it serves (a replica's READONLY read included).</summary>
    private static string RunAt(LocalKeyspace keyspace, params string[] args)
    {
        var bytes = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(RespTestClient.Encode(args)));
        using var command = new RespCommand();
        Assert.True(RespRequestReader.TryRead(ref bytes, command, new RespLimits(), out _));
        var reply = new ArrayBufferWriter<byte>();
        RespKeyCommands.Execute(command, reply, keyspace, 2);
        return Encoding.Latin1.GetString(reply.WrittenSpan);
    }

    [Fact]
    public async Task A_replica_holds_the_primary_s_bytes_and_pfcount_there_changes_nothing()
    {
        // A failover would change which copy is the replica's midway: no node may be taken for lost within the test
        // (the default 600 ms is met under CPU load, and the primary's range then moves to its replica).
        await using var cluster = await RespCluster.StartAsync(3, o =>
        {
            o.Replicas = 1;
            o.ReplicaTimeout = Bounded.Timeout;
            o.FailoverTimeout = Bounded.Timeout;
        });
        await Bounded.UntilAsync(
            () => cluster.RunningNodes.All(n => n.ClusterState.Slots.RangeAssignments.All(a => a.InSync.Length == a.Replicas.Length)),
            "every replica to be in sync");
        // The key's primary and replica as the cluster placed them; the replica's copy is read from its own keyspace,
        // whatever routing does.
        const string hll = "{copies}hll";
        const string field = "{copies}field";
        var keyBytes = Encoding.UTF8.GetBytes(hll);
        var owner = cluster.OwnerOf(keyBytes);
        var replicaId = cluster[owner].ClusterState.Slots.AssignmentOf(FastDht.Protocol.KeySlot.Of(keyBytes)).Replicas[0];
        Assert.NotEqual(owner, replicaId);
        var replica = cluster[replicaId].Core.Keyspace;
        await using var primary = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, owner));

        Assert.Equal(":1\r\n", await primary.CallAsync(Elements(hll, 0, 200)));
        Assert.Equal("*1\r\n:4000\r\n", await primary.CallAsync("BITFIELD", field, "INCRBY", "u12", "#3", "4000"));
        var written = Body(await primary.CallAsync("GET", hll));
        var bits = Body(await primary.CallAsync("GET", field));
        await Bounded.UntilAsync(() => Copy(replica, hll) == written && Copy(replica, field) == bits, "the replica to hold the primary's bytes");

        // PFCOUNT where the copy is a replica's answers the count without caching it into the copy: only the primary
        // changes the value (its cache write reaches the replica as any write does).
        var count = RunAt(replica, "PFCOUNT", hll);
        Assert.Matches(@"^:\d+\r\n$", count);
        Assert.Equal(written, Copy(replica, hll));
        Assert.Equal(count, await primary.CallAsync("PFCOUNT", hll));
        var cached = Body(await primary.CallAsync("GET", hll));
        Assert.NotEqual(written, cached); // the header now holds the count
        await Bounded.UntilAsync(() => Copy(replica, hll) == cached, "the cached count to reach the replica");
    }
}
