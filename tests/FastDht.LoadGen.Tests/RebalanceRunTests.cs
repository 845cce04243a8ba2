using FastDht.LoadGen.Rebalance;
using FastDht.LoadGen.Workloads;

namespace FastDht.LoadGen.Tests;

/// <summary>`fastdht-loadgen rebalance` for real: a local cluster grows (and shrinks) under the dht load, a few seconds, a tiny key range.</summary>
public sealed class RebalanceRunTests
{
    // The run itself takes about 5-10 s; the bound only keeps a hung run from hanging the suite.
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    private static RebalanceSettings Settings(int? growTo = null, int? shrinkTo = null) => new()
    {
        Load = new LoadSettings
        {
            Workload = WorkloadSpec.Default(WorkloadKind.Dht) with { KeyCount = 2000 },
            Connections = 2,
            InFlightPerConnection = 4,
            Warmup = TimeSpan.FromMilliseconds(200),
        },
        Before = TimeSpan.FromSeconds(1),
        Hold = TimeSpan.FromSeconds(1),
        After = TimeSpan.FromSeconds(1),
        GrowTo = growTo,
        ShrinkTo = shrinkTo,
    };

    [Fact]
    public async Task A_3_5_3_resize_runs_every_step_as_the_shell_would_and_no_operation_fails()
    {
        var settings = Settings(growTo: 5, shrinkTo: 3);
        var runner = new RebalanceRunner(settings);
        var samples = await runner.RunAsync(static _ => { }, CancellationToken.None).WaitAsync(Bound);

        var summary = Assert.IsType<RebalanceSummary>(runner.Summary);
        Assert.Equal(["add node 3", "add node 4", "remove node 4", "remove node 3"], summary.Resize.Select(s => s.Name));
        // Each step moved slots: the joiners got their share, the leavers gave all of theirs away before they left.
        Assert.All(summary.Resize, s => Assert.True(s.Moves > 0, $"{s.Name} moved nothing"));
        Assert.Equal(summary.Resize.Sum(s => s.Moves), summary.Steps);
        Assert.Equal(2, summary.Intervals.Count(i => i.Phase == "join"));
        Assert.Equal(2, summary.Intervals.Count(i => i.Phase == "leave"));
        Assert.Equal(4, summary.Intervals.Count(i => i.Phase == RequestsByPhase.StepSpan));

        Assert.Empty(runner.Failures);
        Assert.Equal(0, samples.Sum(s => s.Errors));
        Assert.True(runner.CheckedReads > 0, "no read was checked against the writes before it");
        Assert.Equal("before", samples[0].Phase);
        Assert.Equal("after", samples[^1].Phase);
        Assert.True(samples.Where(s => s.Phase == "after").Sum(s => s.OperationsPerSecond) > 0, "no load after the shrink");

        var byPhase = Assert.IsType<RequestsByPhase>(runner.ByPhase);
        Assert.Equal(["add node 3", "add node 4", "remove node 4", "remove node 3"], byPhase.Steps.Select(s => s.Step));
        Assert.True(byPhase.Of("copy").TotalCount > 0);
        var markdown = RebalanceOutput.ToMarkdown(samples, summary, settings, byPhase, runner.Unlogged, runner.Failures, runner.RunStart);
        Assert.Contains("3 local nodes growing to 5", markdown);
        Assert.Contains("| remove node 3 |", markdown);
        Assert.Contains("| step: remove node 3 |", markdown);
        Assert.Contains("Failed operations: **none**", markdown);
    }

    [Fact]
    public async Task The_default_run_grows_by_one_node_in_one_rebalancing_period()
    {
        var settings = Settings();
        var runner = new RebalanceRunner(settings);
        var samples = await runner.RunAsync(static _ => { }, CancellationToken.None).WaitAsync(Bound);

        var summary = Assert.IsType<RebalanceSummary>(runner.Summary);
        Assert.Equal(["rebalancing"], summary.Resize.Select(s => s.Name));
        Assert.DoesNotContain(summary.Intervals, i => i.Phase == "leave");
        Assert.Equal(["before", "rebalancing", "after"], samples.Select(s => s.Phase).Distinct());
        Assert.Empty(runner.Failures);
        var markdown = RebalanceOutput.ToMarkdown(samples, summary, settings, runner.ByPhase, runner.Unlogged, runner.Failures, runner.RunStart);
        Assert.Contains("3 local nodes growing to 4,", markdown);
        Assert.Contains("The new node joined", markdown);
        Assert.DoesNotContain("step:", markdown);
    }

    [Theory]
    [InlineData(3, null)]  // no growth
    [InlineData(5, 2)]     // below the start: only added nodes leave
    [InlineData(5, 5)]     // no shrink
    [InlineData(65, null)] // more than a local cluster takes
    public void A_plan_that_does_not_grow_or_shrinks_the_wrong_way_is_refused_with_a_message(int growTo, int? shrinkTo)
    {
        var e = Assert.Throws<ArgumentException>(() => Settings(growTo, shrinkTo).Validate());
        Assert.Contains("--", e.Message);
    }

    [Fact]
    public async Task The_command_refuses_a_bad_plan_before_it_starts_anything()
    {
        var parse = LoadGenCommandLine.Build().Parse(["rebalance", "--grow-to", "5", "--shrink-to", "6"]);
        Assert.Empty(parse.Errors);
        Assert.Equal(LoadGenCommandLine.Failure, await parse.InvokeAsync().WaitAsync(Bound));
    }
}
