using FastDht.LoadGen.Running;
using FastDht.LoadGen.Workloads;

namespace FastDht.LoadGen.Tests;

/// <summary>
/// Under the strategies that promise it (a retry keeps its id, so it only gets older), no transaction starves even at
/// zipf 0.99: every MultiPut commits within the node's bounds, none gives up. The sweep's "gave up / most attempts"
/// table and chart show the same at scale, and what no-wait and timeout do instead (docs/benchmarks.md).
/// </summary>
public sealed class StarvationTests
{
    // 90 s: a run of 300 transactions takes a few seconds; the bound only keeps a hung run from hanging the suite.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("wait-die")]
    [InlineData("wound-wait")]
    [InlineData("detect")]
    public async Task Under_zipf_0_99_every_transaction_commits_within_the_node_s_bounds(string strategy)
    {
        var settings = new LoadSettings
        {
            // 200 keys at zipf 0.99 with 5 keys each: the hottest key is in most transactions.
            Workload = WorkloadSpec.Default(WorkloadKind.Txn) with { KeyCount = 200, Zipf = 0.99, KeysPerTransaction = 5, ReadShare = 0 },
            LockStrategy = strategy,
            Connections = 2,
            InFlightPerConnection = 8,
            OperationCount = 300,
            Warmup = TimeSpan.Zero,
            Seed = 11,
        };
        var report = await new LoadRunner(settings).RunAsync(default).WaitAsync(Bound);

        var t = Assert.IsType<Reporting.TransactionReport>(report.Transactions);
        Assert.Equal(0, t.GaveUp);
        Assert.Equal(300, t.Committed);
        Assert.InRange(t.MaxAttempts, 1, 49); // the node's TxnMaxAttempts is 50: nobody came near it
    }
}
