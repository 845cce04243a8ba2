using System.Diagnostics;
using FastDht.LoadGen.Rebalance;
using FastDht.LoadGen.Reporting;
using FastDht.LoadGen.Workloads;
using HdrHistogram;

namespace FastDht.LoadGen.Tests;

public sealed class RequestsByPhaseTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;

    // A rebalance from 10 s to 12 s into the run: the join, then one move's copy, catch-up, handover and drop.
    private static readonly RebalanceInterval[] Intervals =
    [
        new("join", 10_000 * Ms, 10_100 * Ms),
        new("copy", 10_100 * Ms, 11_500 * Ms),
        new("catch-up", 11_500 * Ms, 11_600 * Ms),
        new("handover", 11_600 * Ms, 11_610 * Ms),
        new("drop", 11_610 * Ms, 12_000 * Ms),
    ];

    [Fact]
    public void An_operation_counts_for_the_most_suspect_phase_it_overlapped_and_the_rest_for_before_between_or_after()
    {
        var log = new RequestLog(16);
        log.Start();
        log.Add(9_000 * Ms, 300_000);         // before
        log.Add(10_050 * Ms, 200_000);        // join
        log.Add(10_500 * Ms, 400_000);        // copy
        log.Add(11_605 * Ms, 20_000_000);     // began in the catch-up, ended in the handover: handover
        log.Add(11_620 * Ms, 15_000_000);     // began in the catch-up, overlapped the handover, ended in the drop: handover
        log.Add(11_700 * Ms, 500_000);        // drop
        log.Add(12_500 * Ms, 300_000);        // after
        var cut = RequestsByPhase.Cut(log, Intervals, 0);

        Assert.Equal(1, cut.Of("before").TotalCount);
        Assert.Equal(1, cut.Of("join").TotalCount);
        Assert.Equal(1, cut.Of("copy").TotalCount);
        Assert.Equal(0, cut.Of("catch-up").TotalCount);
        Assert.Equal(2, cut.Of("handover").TotalCount);
        Assert.Equal(1, cut.Of("drop").TotalCount);
        Assert.Equal(1, cut.Of("after").TotalCount);
        Assert.Equal(5, cut.Rebalance.TotalCount);
        Assert.Equal(4, cut.Moves.TotalCount); // the join's operation is left out
        Assert.InRange(cut.Of("handover").GetMaxValue(), 19_980_000, 20_020_000); // the slower of the two, in ns
    }

    [Fact]
    public void A_full_log_counts_what_it_left_out_and_a_stopped_one_logs_nothing()
    {
        var log = new RequestLog(2);
        log.Add(1, 1); // not started
        log.Start();
        log.Add(2, 1);
        log.Add(3, 1);
        log.Add(4, 1);
        log.Stop();
        log.Add(5, 1);
        Assert.Equal(2, log.Count);
        Assert.Equal(1, log.Dropped);
        Assert.Equal(2, log.EndOf(0));
    }

    [Fact]
    public void The_markdown_gives_each_phase_its_p99_against_the_one_before()
    {
        var log = new RequestLog(200);
        log.Start();
        for (var i = 0; i < 100; i++)
        {
            log.Add((9_000 + i) * Ms, 300_000);
            log.Add((10_200 + i) * Ms, 600_000);
        }
        var cut = RequestsByPhase.Cut(log, Intervals, 0);
        var settings = new RebalanceSettings { Load = new LoadSettings { Workload = WorkloadSpec.Default(WorkloadKind.Dht) } };
        var markdown = RebalanceOutput.ToMarkdown([], null, settings, cut);
        Assert.Contains("| before | 100 | 300 | 300 |", markdown);
        Assert.Contains("| copy | 100 | 600 | 600 |", markdown);
        Assert.Contains("2.0x |", markdown);
        Assert.Contains("second,phase,operations,p99_us", RebalanceOutput.ToWindowsCsv(cut));
    }

    [Fact]
    public void A_failed_operation_is_listed_with_the_phase_and_the_step_it_met()
    {
        RebalanceInterval[] resize =
        [
            .. Intervals,
            new(RequestsByPhase.StepSpan, 10_000 * Ms, 12_000 * Ms, "add node 3"),
            new("leave", 20_000 * Ms, 20_100 * Ms),
            new(RequestsByPhase.StepSpan, 19_000 * Ms, 20_100 * Ms, "remove node 3"),
        ];
        Assert.Equal(("handover", "add node 3"), RequestsByPhase.PhaseOf(resize, 11_590 * Ms, 11_605 * Ms));
        Assert.Equal(("leave", "remove node 3"), RequestsByPhase.PhaseOf(resize, 20_050 * Ms, 20_060 * Ms));
        Assert.Equal(("between", (string?)null), RequestsByPhase.PhaseOf(resize, 15_000 * Ms, 15_001 * Ms));
        Assert.Equal(("after", (string?)null), RequestsByPhase.PhaseOf(resize, 21_000 * Ms, 21_001 * Ms));

        var settings = new RebalanceSettings { Load = new LoadSettings { Workload = WorkloadSpec.Default(WorkloadKind.Dht) }, GrowTo = 4, ShrinkTo = 3 };
        var summary = new RebalanceSummary(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, 1, 0, TimeSpan.Zero, resize);
        FailedOperation[] failed = [new(20_050 * Ms, 20_060 * Ms, OperationKind.Get, "NodeUnavailable", "node 3 (127.0.0.1:1) is unavailable: its connection closed")];
        var markdown = RebalanceOutput.ToMarkdown([], summary, settings, null, 0, failed, 0);
        Assert.Contains("Failed operations: **1**", markdown);
        Assert.Contains("| 20.06 | leave | remove node 3 | Get | NodeUnavailable | node 3 (127.0.0.1:1) is unavailable: its connection closed |", markdown);
    }
}
