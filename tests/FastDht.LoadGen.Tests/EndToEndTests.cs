using FastDht.LoadGen.Reporting;
using FastDht.LoadGen.Running;
using FastDht.LoadGen.Workloads;

namespace FastDht.LoadGen.Tests;

/// <summary>Short runs against a real local cluster (three in-process nodes on OS-chosen loopback ports).</summary>
public sealed class EndToEndTests
{
    // 60 s: each run takes about a second; the bound only keeps a hung run from hanging the test suite.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static LoadSettings Settings(WorkloadSpec workload, long operations) => new()
    {
        Workload = workload,
        Connections = 2,
        InFlightPerConnection = 4,
        OperationCount = operations,
        Warmup = TimeSpan.FromMilliseconds(200),
        Seed = 7,
    };

    private static async Task<LoadReport> RunAsync(LoadSettings settings, CancellationToken stop = default)
    {
        var runner = new LoadRunner(settings);
        var report = await runner.RunAsync(stop).WaitAsync(Bound);
        Assert.Equal(RunPhase.Finished, runner.Progress.Phase);
        return report;
    }

    private static void AssertCountsAddUp(LoadReport report)
    {
        Assert.Equal(report.Operations, report.Successes + report.Misses + report.Errors);
        long ops = 0, successes = 0, misses = 0, errors = 0;
        foreach (var op in report.ByOperation)
        {
            Assert.Equal(op.Operations, op.Successes + op.Misses + op.Errors);
            ops += op.Operations;
            successes += op.Successes;
            misses += op.Misses;
            errors += op.Errors;
        }
        Assert.Equal(report.Operations, ops);
        Assert.Equal(report.Successes, successes);
        Assert.Equal(report.Misses, misses);
        Assert.Equal(report.Errors, errors);
        long byKind = 0;
        foreach (var (_, n) in report.ErrorsByKind)
            byKind += n;
        Assert.Equal(report.Errors, byKind);
    }

    [Fact]
    public async Task Dht_run_measures_exactly_the_requested_operations_and_its_counts_add_up()
    {
        var report = await RunAsync(Settings(WorkloadSpec.Default(WorkloadKind.Dht) with { KeyCount = 500 }, operations: 3000));

        Assert.Equal(3000, report.Operations);
        AssertCountsAddUp(report);
        Assert.Equal(0, report.Errors);
        Assert.False(report.StoppedEarly);
        Assert.Null(report.Transactions);
        Assert.Equal("dht", report.Workload);
        Assert.Equal(["Get", "PutIfAbsent"], report.ByOperation.Select(o => o.Kind).Order());
        // 500 keys and 3000 operations half of them PutIfAbsent (plus the warm-up's): some found, some already present.
        var put = report.ByOperation.Single(o => o.Kind == "PutIfAbsent");
        Assert.True(put.Successes + put.Misses == put.Operations && put.Misses > 0);
        Assert.True(report.ByOperation.Single(o => o.Kind == "Get").Successes > 0);
        Assert.All(report.ByOperation, o => Assert.True(o.LatencyMicroseconds.P50 > 0 && o.LatencyMicroseconds.P50 <= o.LatencyMicroseconds.Max));

        var json = ReportJson.Deserialize(ReportJson.Serialize(report))!;
        Assert.Equal(report.Operations, json.Operations);
        Assert.Equal(report.ByOperation.Count, json.ByOperation.Count);
    }

    [Fact]
    public async Task A_batched_run_measures_exactly_the_requested_operations_and_reads_back_what_it_wrote()
    {
        // 3000 is not a multiple of 2 x 4 workers x 64: the count cuts rounds short, and exactly 3000 are measured.
        var workload = WorkloadSpec.Default(WorkloadKind.YcsbA) with { KeyCount = 300 };
        var report = await RunAsync(Settings(workload, operations: 3000) with { Batch = 64 });

        Assert.Equal(3000, report.Operations);
        Assert.Equal(64, report.Batch);
        AssertCountsAddUp(report);
        Assert.Equal(0, report.Errors);
        // The YCSB load phase wrote every record, so every batched Get finds its key.
        Assert.Equal(300, report.LoadedRecords);
        Assert.Equal(0, report.Misses);
        Assert.Equal(["Get", "Put"], report.ByOperation.Select(o => o.Kind).Order());
    }

    [Fact]
    public void A_batch_is_refused_for_workloads_whose_operations_are_not_single_key_requests()
    {
        foreach (var kind in (WorkloadKind[])[WorkloadKind.Txn, WorkloadKind.YcsbF])
        {
            var settings = Settings(WorkloadSpec.Default(kind), operations: 10) with { Batch = 8 };
            var e = Assert.Throws<ArgumentException>(settings.Validate);
            Assert.Contains("--batch", e.Message, StringComparison.Ordinal);
        }
        Assert.Throws<ArgumentException>((Settings(WorkloadSpec.Default(WorkloadKind.Dht), operations: 10) with { Batch = 0 }).Validate);
    }

    [Fact]
    public async Task Ycsb_loads_every_record_first_so_every_read_finds_one()
    {
        var report = await RunAsync(Settings(WorkloadSpec.Default(WorkloadKind.YcsbF) with { KeyCount = 400 }, operations: 1000));

        Assert.Equal(400, report.LoadedRecords);
        Assert.Equal(1000, report.Operations);
        AssertCountsAddUp(report);
        Assert.Equal(0, report.Misses); // a miss would mean a read found no record: the load phase missed it
        Assert.Equal(0, report.Errors);
        Assert.Equal(["Get", "ReadModifyWrite"], report.ByOperation.Select(o => o.Kind).Order());
    }

    [Fact]
    public async Task Transactions_report_commits_and_retries_and_their_counts_add_up()
    {
        var workload = WorkloadSpec.Default(WorkloadKind.Txn) with { KeyCount = 60, KeysPerTransaction = 5, ReadShare = 0.25 };
        var report = await RunAsync(Settings(workload, operations: 400) with { LockStrategy = "no-wait" });

        Assert.Equal(400, report.Operations);
        AssertCountsAddUp(report);
        Assert.Equal("no-wait", report.LockStrategy);
        var multiPut = report.ByOperation.Single(o => o.Kind == "MultiPut");
        Assert.Contains(report.ByOperation, o => o.Kind == "MultiGet");
        var transactions = Assert.IsType<TransactionReport>(report.Transactions);
        Assert.Equal(multiPut.Successes, transactions.Committed);
        Assert.True(transactions.Committed > 0);
        Assert.True(transactions.AbortRate is >= 0 and < 1);
        Assert.Equal(transactions.Committed > 0 ? transactions.Aborts / (double)transactions.Committed : 0, transactions.RetriesPerCommitted, 9);
    }

    [Fact]
    public async Task A_stopped_run_still_reports_what_ran()
    {
        using var stop = new CancellationTokenSource();
        var settings = Settings(WorkloadSpec.Default(WorkloadKind.Dht), operations: 1) with
        {
            OperationCount = null,
            Duration = TimeSpan.FromMinutes(10),
            Warmup = TimeSpan.Zero,
        };
        var runner = new LoadRunner(settings);
        var run = runner.RunAsync(stop.Token);
        // Stop once the run has measured something (bounded: 2000 x 10 ms), as Ctrl+C would.
        for (var i = 0; i < 2000 && runner.Progress.Completed < 100 && !run.IsCompleted; i++)
            await Task.Delay(10);
        await stop.CancelAsync();
        var report = await run.WaitAsync(Bound);

        Assert.True(report.StoppedEarly);
        Assert.True(report.Operations >= 100);
        AssertCountsAddUp(report);
    }

    [Fact]
    public async Task An_unknown_lock_strategy_is_refused_with_the_known_names()
    {
        var settings = Settings(WorkloadSpec.Default(WorkloadKind.Txn), operations: 10) with { LockStrategy = "optimistic" };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => new LoadRunner(settings).RunAsync(default).WaitAsync(Bound));
        Assert.Contains("wait-die", e.Message, StringComparison.Ordinal);
    }
}
