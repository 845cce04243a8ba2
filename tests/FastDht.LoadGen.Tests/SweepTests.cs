using FastDht.LoadGen.Reporting;
using FastDht.LoadGen.Sweep;
using FastDht.LoadGen.Workloads;

namespace FastDht.LoadGen.Tests;

public sealed class SweepTests
{
    private static SweepSettings Settings(string directory, IReadOnlyList<long>? ranges = null) => new()
    {
        Run = new LoadSettings
        {
            Workload = WorkloadSpec.Default(WorkloadKind.Txn) with { KeysPerTransaction = 4 },
            Connections = 1,
            InFlightPerConnection = 4,
            OperationCount = 150,
            Warmup = TimeSpan.Zero,
        },
        Strategies = ["wait-die", "no-wait"],
        KeyRanges = ranges,
        OutputDirectory = directory,
    };

    private static SweepRun Run(string strategy, int level, int repeat, double committedPerSecond, double abortRate, long maxAttempts = 1) =>
        new(strategy, level, level == 0 ? "zipf 0" : "zipf 0.6", repeat, committedPerSecond, abortRate, abortRate / (1 - abortRate),
            (long)committedPerSecond * 5, 0, 0, 0, 900, 5000, maxAttempts);

    // wait-die at zipf 0 runs 3 times (900, 1000, 1100), no-wait twice (1250, 1300): their ranges do not overlap. At
    // zipf 0.6 only wait-die has a run (no-wait's cell is a dash).
    private static IReadOnlyList<SweepRun> Runs() =>
    [
        Run("wait-die", 0, 0, 1000, 0.01),
        Run("wait-die", 0, 1, 900, 0.02),
        Run("wait-die", 0, 2, 1100, 0.03, maxAttempts: 4),
        Run("wait-die", 1, 0, 800, 0.2),
        Run("no-wait", 0, 0, 1300, 0.02),
        Run("no-wait", 0, 1, 1250, 0.04),
    ];

    private static IReadOnlyList<SweepPoint> Points() => SweepRunner.Summarise(Runs(), ["wait-die", "no-wait"], 6);

    [Fact]
    public void Levels_replace_the_zipf_constant_or_the_key_range()
    {
        var byZipf = Settings("unused");
        Assert.Equal(6, byZipf.LevelCount);
        Assert.Equal(0.9, byZipf.RunAt("no-wait", 4).Workload.Zipf);
        Assert.Equal("no-wait", byZipf.RunAt("no-wait", 4).LockStrategy);
        Assert.Equal("zipf 0.99", byZipf.LabelOf(5));

        var byRange = Settings("unused", [1000, 100]);
        Assert.True(byRange.ByKeyRange);
        Assert.Equal(100, byRange.RunAt("wait-die", 1).Workload.KeyCount);
        Assert.Equal(0, byRange.RunAt("wait-die", 1).Workload.Zipf);
        Assert.Equal("keys 100", byRange.LabelOf(1));
    }

    [Fact]
    public void A_point_summarises_its_repeats_as_median_and_min_max()
    {
        var points = Points();
        Assert.Equal(3, points.Count);
        var waitDie = points[0];
        Assert.Equal(("wait-die", 0, 3), (waitDie.Strategy, waitDie.Level, waitDie.Repeats));
        Assert.Equal(new SweepStat(1000, 900, 1100), waitDie.CommittedPerSecond);
        Assert.Equal(new SweepStat(0.02, 0.01, 0.03), waitDie.AbortRate);
        Assert.Equal(4, waitDie.MaxAttempts);
        Assert.Equal(new SweepStat(1275, 1250, 1300), points[2].CommittedPerSecond); // an even count: the mean of the middle two
        Assert.True(points[2].CommittedPerSecond.IsAbove(waitDie.CommittedPerSecond));
        Assert.False(waitDie.CommittedPerSecond.IsAbove(new SweepStat(950, 850, 1050)));
    }

    [Fact]
    public void Csv_has_a_header_and_one_row_per_point_and_the_runs_file_one_per_run()
    {
        var lines = SweepOutput.ToCsv(Points()).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("strategy,contention,repeats,committed_per_s,committed_per_s_min,committed_per_s_max,abort_rate", lines[0], StringComparison.Ordinal);
        Assert.Equal("wait-die,zipf 0,3,1000.0,900.0,1100.0,0.0200,0.0100,0.0300,0.0204,0,0,900.0,900.0,900.0,5000.0,4", lines[1]);
        var runs = SweepOutput.ToRunsCsv(Runs()).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(7, runs.Length);
        Assert.StartsWith("wait-die,zipf 0,1,900.0,0.0200,", runs[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_shows_ranges_a_dash_for_a_missing_point_and_which_differences_are_beyond_the_noise()
    {
        var text = SweepOutput.ToMarkdown(Points(), Settings("unused"), ["wait-die", "no-wait"]);
        Assert.Contains("| committed transactions/s | zipf 0 | zipf 0.6 | zipf 0.7 |", text, StringComparison.Ordinal);
        Assert.Contains("| no-wait | 1,275 (1,250–1,300) | - |", text, StringComparison.Ordinal);
        Assert.Contains("| wait-die | 2.0% (1.0%–3.0%) | 20.0% |", text, StringComparison.Ordinal);
        Assert.Contains("- zipf 0: no-wait > wait-die", text, StringComparison.Ordinal);
        Assert.Contains("- zipf 0.6: wait-die", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Round_trips_are_an_axis_of_their_own_at_the_run_s_contention()
    {
        var settings = Settings("unused") with
        {
            Run = Settings("unused").Run with { Workload = WorkloadSpec.Default(WorkloadKind.Txn) with { Zipf = 0.9 } },
            RoundTrips = [TimeSpan.Zero, TimeSpan.FromMicroseconds(100), TimeSpan.FromMilliseconds(2)],
            Repeats = 5,
        };
        Assert.True(settings.ByRoundTrip);
        Assert.Equal(3, settings.LevelCount);
        var run = settings.RunAt("detect", 2, repeat: 3);
        Assert.Equal(TimeSpan.FromMilliseconds(2), run.LinkRoundTrip);
        Assert.Equal(0.9, run.Workload.Zipf);
        Assert.Equal(settings.Run.Seed + 3, run.Seed);
        Assert.Equal(TimeSpan.Zero, settings.RunAt("detect", 0).LinkRoundTrip); // zero: relays, no delay
        Assert.Equal(["rtt 0", "rtt 100us", "rtt 2ms"], Enumerable.Range(0, 3).Select(settings.LabelOf));
    }

    [Fact]
    public void Png_chart_is_written()
    {
        var directory = Directory.CreateTempSubdirectory("fastdht-sweep-");
        try
        {
            var path = Path.Combine(directory.FullName, "sweep.png");
            SweepOutput.WritePng(path, Points(), Settings(directory.FullName), ["wait-die", "no-wait"]);
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length > 1000);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_small_sweep_runs_each_strategy_at_each_level_on_a_local_cluster_repeats_interleaved()
    {
        var settings = Settings("unused", [200, 20]) with { Repeats = 2 };
        var labels = new List<string>();
        var runs = await SweepRunner.RunAsync(
            settings,
            async (runner, label) =>
            {
                labels.Add(label);
                return await runner.RunAsync(default);
            },
            default).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(8, labels.Count);
        Assert.Equal(["wait-die, keys 200, repeat 1/2", "wait-die, keys 20, repeat 1/2", "no-wait, keys 200, repeat 1/2", "no-wait, keys 20, repeat 1/2"], labels.Take(4));
        Assert.Equal("wait-die, keys 200, repeat 2/2", labels[4]);
        Assert.All(runs, r => Assert.True(r.Committed + r.Errors == 150 && r.Committed > 0 && r.CommittedPerSecond > 0));
        Assert.All(runs, r => Assert.True(r.MaxAttempts >= 1));
        var points = SweepRunner.Summarise(runs, settings.Strategies, settings.LevelCount);
        Assert.Equal(4, points.Count);
        Assert.All(points, p => Assert.Equal(2, p.Repeats));
    }

    [Fact]
    public async Task A_round_trip_level_runs_behind_relays_and_no_MultiPut_is_quicker_than_its_client_round_trip()
    {
        var settings = Settings("unused") with { Strategies = ["detect"], RoundTrips = [TimeSpan.FromMilliseconds(2)] };
        var runs = await SweepRunner.RunAsync(settings, (runner, _) => runner.RunAsync(default), default).WaitAsync(TimeSpan.FromSeconds(120));

        var run = Assert.Single(runs);
        Assert.Equal("rtt 2ms", run.Contention);
        Assert.True(run.Committed + run.Errors == 150 && run.Committed > 0);
        // A lower bound, not a timing: a MultiPut's answer cannot come back before one client round trip through the relay.
        Assert.True(run.P99Microseconds >= 2000, $"p99 {run.P99Microseconds} µs under a 2 ms round trip");
    }
}
