using System.Text.Json;
using FastDht.LoadGen.Reporting;
using FastDht.LoadGen.Workloads;

namespace FastDht.LoadGen.Tests;

public sealed class ReportTests
{
    private static LoadReport Header() => new()
    {
        Workload = "dht",
        Target = "local:3",
        LockStrategy = "wait-die",
        Connections = 2,
        InFlightPerConnection = 4,
        KeyCount = 1000,
        Zipf = 0,
        ValueSize = 16,
        Seed = 1,
        WarmupSeconds = 0,
        DurationSeconds = 0,
        StoppedEarly = false,
        Operations = 0,
        Successes = 0,
        Misses = 0,
        Errors = 0,
        Throughput = 0,
        ByOperation = [],
        ErrorsByKind = new Dictionary<string, long>(),
    };

    [Fact]
    public void Percentiles_of_known_samples()
    {
        var stats = new RunStatistics();
        for (var us = 1; us <= 1000; us++)
            stats.RecordSuccess(OperationKind.Get, us * 1000L); // 1..1000 µs, one each

        var report = stats.BuildReport(Header(), seconds: 2);
        var get = Assert.Single(report.ByOperation);
        var l = get.LatencyMicroseconds;
        // HdrHistogram at 3 significant digits reports a value within 0.1% of the true percentile.
        Assert.InRange(l.P50, 499.5, 500.6);
        Assert.InRange(l.P90, 899.1, 900.9);
        Assert.InRange(l.P99, 989.0, 991.0);
        Assert.InRange(l.P999, 998.0, 1001.0);
        Assert.InRange(l.Max, 999.0, 1001.0);
        Assert.InRange(l.Mean, 500.0, 501.0);
        Assert.Equal(500.0, get.Throughput);
    }

    [Fact]
    public void Ticks_between_records_lose_nothing_and_count_nothing_twice()
    {
        // The progress loop ticks while workers record: each tick hands its interval histogram back to the recorder,
        // and skips kinds that recorded nothing. Whatever the ticks, the report holds every value once.
        var stats = new RunStatistics();
        for (var round = 0; round < 50; round++)
        {
            for (var i = 0; i < 20; i++)
                stats.RecordSuccess(OperationKind.Get, (round * 20 + i + 1) * 1000L); // 1..1000 µs, one each
            stats.Accumulate();
            stats.Accumulate(); // a tick with nothing new
            if (round % 10 == 0)
                stats.RecordBatch(OperationKind.Put, 5_000_000, count: 3, misses: 1); // another kind, now and then
        }
        var report = stats.BuildReport(Header(), seconds: 1);
        var get = report.ByOperation.Single(o => o.Kind == "Get");
        Assert.Equal(1000, get.Operations);
        Assert.InRange(get.LatencyMicroseconds.P50, 499.5, 500.6);
        Assert.InRange(get.LatencyMicroseconds.Max, 999.0, 1001.0);
        var put = report.ByOperation.Single(o => o.Kind == "Put");
        Assert.Equal(20, put.Operations);
        Assert.InRange(put.LatencyMicroseconds.P50, 4990, 5010);
    }

    [Fact]
    public void Counts_add_up_and_transactions_are_summarised()
    {
        var stats = new RunStatistics();
        for (var i = 0; i < 30; i++) stats.RecordSuccess(OperationKind.MultiPut, 50_000);
        for (var i = 0; i < 5; i++) stats.RecordMiss(OperationKind.Get, 10_000);
        stats.RecordError(OperationKind.MultiPut, "Aborted");
        stats.RecordError(OperationKind.Get, "Timeout");
        stats.RecordError(OperationKind.Get, "Timeout");
        stats.RecordAborts(15);

        var r = stats.BuildReport(Header(), 1);
        Assert.Equal(38, r.Operations);
        Assert.Equal(r.Operations, r.Successes + r.Misses + r.Errors);
        Assert.Equal(r.Operations, r.ByOperation.Sum(o => o.Operations));
        Assert.Equal(2, r.ErrorsByKind["Timeout"]);
        Assert.NotNull(r.Transactions);
        Assert.Equal(30, r.Transactions.Committed);
        Assert.Equal(0.5, r.Transactions.RetriesPerCommitted);
        Assert.Equal(15.0 / 45.0, r.Transactions.AbortRate, 9);
    }

    [Fact]
    public void A_transaction_that_gave_up_counts_every_attempt_it_made_as_aborted()
    {
        var stats = new RunStatistics();
        for (var i = 0; i < 10; i++) stats.RecordSuccess(OperationKind.MultiPut, 50_000);
        stats.RecordAborts(5);                           // retries of the committed ones
        stats.RecordError(OperationKind.MultiPut, "Aborted");
        stats.RecordGaveUp(50);                          // the one that gave up made 50 attempts, all aborted

        var t = stats.BuildReport(Header(), 1).Transactions;
        Assert.NotNull(t);
        Assert.Equal(10, t.Committed);
        Assert.Equal(1, t.GaveUp);
        Assert.Equal(55, t.Aborts);
        Assert.Equal(55.0 / 65.0, t.AbortRate, 9);       // committed + aborts = every attempt made
        Assert.Equal(5.5, t.RetriesPerCommitted, 9);
    }

    [Fact]
    public void Reset_forgets_the_warmup()
    {
        var stats = new RunStatistics();
        stats.RecordSuccess(OperationKind.Put, 1000);
        stats.RecordError(OperationKind.Put, "Timeout");
        stats.Reset();
        Assert.Equal(0, stats.Completed);
        Assert.Empty(stats.BuildReport(Header(), 1).ByOperation);
    }

    [Fact]
    public void Json_schema_is_stable()
    {
        var stats = new RunStatistics();
        stats.RecordSuccess(OperationKind.Get, 20_000);
        var json = ReportJson.Serialize(stats.BuildReport(Header(), 1));
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        foreach (var name in new[] { "workload", "target", "lockStrategy", "connections", "inFlightPerConnection", "keyCount",
                     "zipf", "valueSize", "seed", "warmupSeconds", "durationSeconds", "stoppedEarly", "operations",
                     "successes", "misses", "errors", "throughput", "byOperation", "errorsByKind" })
            Assert.True(root.TryGetProperty(name, out _), $"missing {name}");
        var op = root.GetProperty("byOperation")[0];
        Assert.Equal("Get", op.GetProperty("kind").GetString());
        var lat = op.GetProperty("latencyMicroseconds");
        foreach (var name in new[] { "p50", "p90", "p99", "p999", "max", "mean" })
            Assert.True(lat.TryGetProperty(name, out _), $"missing latency {name}");
        Assert.False(root.TryGetProperty("transactions", out _));

        var back = ReportJson.Deserialize(json);
        Assert.NotNull(back);
        Assert.Equal(1, back.Operations);
    }
}

public sealed class ReportSeparationTests
{
    [Fact]
    public void Each_operation_kind_has_its_own_latencies()
    {
        var stats = new RunStatistics();
        for (var i = 0; i < 1000; i++)
        {
            stats.RecordSuccess(OperationKind.Get, 10_000);          // 10 µs
            stats.RecordMiss(OperationKind.PutIfAbsent, 900_000);    // 900 µs
        }
        var report = stats.BuildReport(new LoadReport
        {
            Workload = "dht", Target = "t", LockStrategy = "wait-die", Connections = 1, InFlightPerConnection = 1,
            KeyCount = 1, Zipf = 0, ValueSize = 1, Seed = 1, WarmupSeconds = 0, DurationSeconds = 0, StoppedEarly = false,
            Operations = 0, Successes = 0, Misses = 0, Errors = 0, Throughput = 0, ByOperation = [],
            ErrorsByKind = new Dictionary<string, long>(),
        }, 1);
        var get = report.ByOperation.Single(o => o.Kind == "Get").LatencyMicroseconds;
        var put = report.ByOperation.Single(o => o.Kind == "PutIfAbsent").LatencyMicroseconds;
        Assert.InRange(get.P50, 9.9, 10.1);
        Assert.InRange(put.P50, 890, 910);
    }
}
