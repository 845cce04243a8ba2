using System.Text;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transactions;

/// <summary>
/// Many clients run MultiPuts over a small key range on 3 nodes, under each strategy: the run ends, every committed
/// MultiPut is atomic, and under the strategies that never starve every transaction commits.
/// </summary>
public sealed class MultiPutAtomicityTests
{
    public static TheoryData<string> Strategies => new() { "wait-die", "wound-wait", "no-wait", "timeout", "ordered", "detect" };

    private static bool NeverStarves(string strategy) => strategy is "wait-die" or "wound-wait" or "ordered" or "detect";

    private static Task<TestCluster> StartAsync(string strategy) => TestCluster.StartAsync(3, o =>
    {
        o.LockStrategy = strategy;
        o.TxnTimeout = TimeSpan.FromSeconds(8);
        o.TxnLockLease = TimeSpan.FromSeconds(20);
        // The timeout strategy's smallest wait limit is 2 ms; waits end by the table's scan, so scan about that often.
        if (strategy == "timeout")
            o.LockExpiryScanInterval = TimeSpan.FromMilliseconds(5);
    });

    /// <summary>Keys named prefix:i, picked so that each owner gets <paramref name="perOwner"/> of them.</summary>
    private static byte[][] KeysSpread(TestCluster cluster, string prefix, int perOwner)
    {
        var counts = new int[3];
        var keys = new List<byte[]>();
        for (var i = 0; keys.Count < 3 * perOwner; i++)
        {
            var key = Encoding.UTF8.GetBytes($"{prefix}:{i}");
            var owner = cluster.OwnerOf(key);
            if (counts[owner] < perOwner)
            {
                counts[owner]++;
                keys.Add(key);
            }
        }
        return keys.ToArray();
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task MultiGet_of_a_group_always_sees_one_transaction(string strategy)
    {
        await using var cluster = await StartAsync(strategy);
        var groups = new[] { KeysSpread(cluster, "a", 2), KeysSpread(cluster, "b", 2), KeysSpread(cluster, "c", 2) };
        const int writers = 6, perWriter = 15, readers = 3;
        var committed = 0;
        var aborted = 0;
        var writersDone = 0;
        var reads = 0;

        async Task WriteAsync(int w)
        {
            using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(w % 3));
            var random = new Random(w);
            for (var n = 0; n < perWriter; n++)
            {
                var keys = groups[random.Next(groups.Length)].ToArray();
                random.Shuffle(keys);
                var r = await client.MultiPutAsync(keys, Encoding.UTF8.GetBytes($"w{w}:{n}"));
                if (r.Status == StatusCode.Ok)
                {
                    Assert.InRange(r.Attempts(), 1u, 1000u);
                    Interlocked.Increment(ref committed);
                }
                else
                {
                    Assert.True(r.Status == StatusCode.Aborted, $"{r.Status}: {r.ErrorMessage}");
                    Interlocked.Increment(ref aborted);
                }
            }
            Interlocked.Increment(ref writersDone);
        }

        async Task ReadAsync(int r)
        {
            using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(r % 3));
            var random = new Random(100 + r);
            // Bounded: stops when the writers are done, and never runs more than 2000 reads.
            for (var i = 0; i < 2000 && Volatile.Read(ref writersDone) < writers; i++)
            {
                var group = groups[random.Next(groups.Length)];
                var values = await client.MultiGetAsync(group);
                var first = values[0] is null ? null : Encoding.UTF8.GetString(values[0]!);
                foreach (var v in values)
                    Assert.Equal(first, v is null ? null : Encoding.UTF8.GetString(v));
                Interlocked.Increment(ref reads);
            }
        }

        var tasks = new List<Task>();
        for (var w = 0; w < writers; w++)
            tasks.Add(WriteAsync(w));
        for (var r = 0; r < readers; r++)
            tasks.Add(ReadAsync(r));
        await Task.WhenAll(tasks).WithinAsync($"{writers} writers and {readers} readers under {strategy}", TimeSpan.FromSeconds(45));

        Assert.Equal(writers * perWriter, committed + aborted);
        Assert.True(committed > 0);
        Assert.True(reads > 0);
        if (NeverStarves(strategy))
            Assert.Equal(0, aborted);
        using var check = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        foreach (var group in groups)
        {
            var values = await check.MultiGetAsync(group);
            Assert.All(values, v => Assert.Equal(values[0], v));
        }
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task Overlapping_MultiPuts_leave_values_explained_by_a_serial_order(string strategy)
    {
        await using var cluster = await StartAsync(strategy);
        var keyRange = KeysSpread(cluster, "o", 3);
        const int writers = 6, perWriter = 15, keysPerTxn = 3;
        var committed = new System.Collections.Concurrent.ConcurrentDictionary<string, byte[][]>();
        var aborted = 0;

        async Task WriteAsync(int w)
        {
            using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(w % 3));
            var random = new Random(7 * w + 1);
            for (var n = 0; n < perWriter; n++)
            {
                var keys = random.GetItems(keyRange, keyRange.Length).Distinct().Take(keysPerTxn).ToArray();
                var label = $"w{w}:{n}";
                var r = await client.MultiPutAsync(keys, Encoding.UTF8.GetBytes(label));
                if (r.Status == StatusCode.Ok)
                    committed[label] = keys;
                else if (r.Status == StatusCode.Aborted)
                    Interlocked.Increment(ref aborted);
                else
                    Assert.Fail($"{r.Status}: {r.ErrorMessage}");
            }
        }

        var tasks = new List<Task>();
        for (var w = 0; w < writers; w++)
            tasks.Add(WriteAsync(w));
        await Task.WhenAll(tasks).WithinAsync($"{writers} writers under {strategy}", TimeSpan.FromSeconds(45));
        if (NeverStarves(strategy))
            Assert.Equal(0, aborted);
        Assert.NotEmpty(committed);

        using var check = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        var final = new Dictionary<string, string?>();
        foreach (var key in keyRange)
        {
            var got = await check.GetAsync(key);
            final[Encoding.UTF8.GetString(key)] = got.Status == StatusCode.Ok ? Encoding.UTF8.GetString(got.Value) : null;
        }
        SerialOrderChecker.AssertExplained(final, committed.ToDictionary(p => p.Key, p => p.Value.Select(k => Encoding.UTF8.GetString(k)).ToArray()));
    }
}
