using System.Text;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transactions;

/// <summary>
/// The "detect" strategy across real nodes: a deadlock whose two halves sit on two nodes, which neither lock table can
/// see alone, is found by the global detector and broken by aborting its youngest transaction, and only that one.
/// </summary>
public sealed class DeadlockDetectionTests
{
    private static readonly byte[] Value = "v"u8.ToArray();

    /// <summary>A key owned by <paramref name="node"/>.</summary>
    private static byte[] KeyOwnedBy(TestCluster cluster, int node, string prefix)
    {
        for (var i = 0; ; i++)
        {
            var key = Encoding.UTF8.GetBytes($"{prefix}:{i}");
            if (cluster.OwnerOf(key) == node)
                return key;
        }
    }

    [Fact]
    public async Task A_deadlock_across_two_nodes_is_found_and_its_youngest_transaction_aborted()
    {
        await using var cluster = await TestCluster.StartAsync(2, o => o.LockStrategy = "detect");
        var a = KeyOwnedBy(cluster, 0, "a");
        var b = KeyOwnedBy(cluster, 1, "b");
        // Explicit ids make the ages certain: the old one is coordinated by node 0, the young one by node 1.
        var old = new TxnId(1_000, 0, 1);
        var young = new TxnId(2_000, 1, 2);
        using var oldClient = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        using var youngClient = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        using var oldWaiter = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await oldClient.LockAsync(old, [a], 60_000)).Status);
        Assert.Equal(StatusCode.Ok, (await youngClient.LockAsync(young, [b], 60_000)).Status);

        // old waits for b at node 1; young waits for a at node 0: each node sees one edge, neither a cycle.
        var oldWaits = oldWaiter.LockAsync(old, [b], 60_000);
        var youngWaits = youngClient.LockAsync(young, [a], 60_000);

        // Bounded: the detector runs every 10 ms; the lease (60 s) is far beyond the test's bound, so only detection ends it.
        var youngAnswer = await youngWaits.WithinAsync("the young transaction's Lock to be aborted as the deadlock's victim", Bounded.Timeout);
        Assert.Equal(StatusCode.Wounded, youngAnswer.Status);
        Assert.False(oldWaits.IsCompleted); // the old one is not a victim: it still waits for b, which young holds

        // The victim's client lets go of what it holds (here by closing its connection): the old one gets b.
        youngClient.Dispose();
        var oldAnswer = await oldWaits.WithinAsync("the old transaction's Lock to be granted", Bounded.Timeout);
        Assert.Equal(StatusCode.Ok, oldAnswer.Status);
        Assert.True(cluster[0].Core.Deadlocks!.VictimCount >= 1);
        Assert.Equal(0, cluster[1].Core.Deadlocks!.VictimCount); // only the node with the smallest id detects
    }

    [Fact]
    public async Task Crossing_MultiPuts_under_detect_all_commit_with_their_deadlocks_broken()
    {
        await using var cluster = await TestCluster.StartAsync(2, o => o.LockStrategy = "detect");
        var a = KeyOwnedBy(cluster, 0, "x");
        var b = KeyOwnedBy(cluster, 1, "y");
        const int writers = 8, perWriter = 20;
        var committed = 0;
        async Task WriteAsync(int w)
        {
            using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(w % 2));
            for (var i = 0; i < perWriter; i++)
            {
                // Half the writers name a then b, half b then a: the coordinators lock both owners at once, so waits cross.
                var r = await client.MultiPutAsync(w % 2 == 0 ? [a, b] : [b, a], Encoding.UTF8.GetBytes($"{w}:{i}"));
                Assert.True(r.Status == StatusCode.Ok, $"{r.Status}: {r.ErrorMessage}");
                Interlocked.Increment(ref committed);
            }
        }
        var tasks = new List<Task>();
        for (var w = 0; w < writers; w++)
            tasks.Add(WriteAsync(w));
        await Task.WhenAll(tasks).WithinAsync("crossing MultiPuts under detect", TimeSpan.FromSeconds(60));
        Assert.Equal(writers * perWriter, committed);

        // Both keys hold the value of one and the same MultiPut.
        using var check = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal((await check.GetAsync(a)).Value, (await check.GetAsync(b)).Value);
    }
}
