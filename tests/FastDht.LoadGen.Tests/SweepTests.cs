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

    private static IReadOnlyList<SweepPoint> Points() =>
    [
        new("wait-die", 0, "zipf 0", 1000, 0.01, 0.0101, 5000, 0, 900),
        new("wait-die", 1, "zipf 0.6", 800, 0.2, 0.25, 4000, 0, 1500),
        new("no-wait", 0, "zipf 0", 1100, 0.02, 0.0204, 5500, 0, 800),
    ];

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
    public void Csv_has_a_header_and_one_row_per_point()
    {
        var lines = SweepOutput.ToCsv(Points()).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("strategy,contention,committed_per_s,abort_rate", lines[0], StringComparison.Ordinal);
        Assert.Equal("wait-die,zipf 0.6,800.0,0.2000,0.2500,4000,0,1500.0", lines[2]);
    }

    [Fact]
    public void Markdown_has_a_row_per_strategy_and_a_dash_for_a_missing_point()
    {
        var text = SweepOutput.ToMarkdown(Points(), Settings("unused"), ["wait-die", "no-wait"]);
        Assert.Contains("| committed transactions/s | zipf 0 | zipf 0.6 | zipf 0.7 |", text, StringComparison.Ordinal);
        Assert.Contains("| no-wait | 1,100 | - |", text, StringComparison.Ordinal);
        Assert.Contains("| wait-die | 1.0% | 20.0% |", text, StringComparison.Ordinal);
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
    public async Task A_small_sweep_runs_each_strategy_at_each_level_on_a_local_cluster()
    {
        var settings = Settings("unused", [200, 20]);
        var labels = new List<string>();
        var points = await SweepRunner.RunAsync(
            settings,
            async (runner, label) =>
            {
                labels.Add(label);
                return await runner.RunAsync(default);
            },
            default).WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(["wait-die, keys 200", "wait-die, keys 20", "no-wait, keys 200", "no-wait, keys 20"], labels);
        Assert.Equal(4, points.Count);
        Assert.All(points, p => Assert.True(p.Committed + p.Errors == 150 && p.Committed > 0 && p.CommittedPerSecond > 0));
        Assert.Equal(["wait-die", "wait-die", "no-wait", "no-wait"], points.Select(p => p.Strategy));
    }
}
