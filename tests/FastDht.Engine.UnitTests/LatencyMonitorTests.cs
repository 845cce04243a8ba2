using FastDht.Engine.Diagnostics;

namespace FastDht.Engine.UnitTests;

/// <summary>The latency monitor keeps Redis's time series: one sample per event and second, the all-time maximum, resets.</summary>
public sealed class LatencyMonitorTests
{
    private sealed class ManualTime(long unixSeconds) : TimeProvider
    {
        public long Seconds { get; set; } = unixSeconds;

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeSeconds(Seconds);
    }

    [Fact]
    public void Spikes_within_one_second_raise_that_seconds_sample()
    {
        var time = new ManualTime(1_700_000_000);
        var monitor = new LatencyMonitor(time) { ThresholdMs = 10 };
        monitor.Add("command", 30);
        monitor.Add("command", 50);
        monitor.Add("command", 20);
        time.Seconds++;
        monitor.Add("command", 15);

        Assert.Equal([(1_700_000_000L, 50L), (1_700_000_001L, 15L)], monitor.History("command"));
        var latest = Assert.Single(monitor.Latest());
        Assert.Equal(("command", 1_700_000_001L, 15L, 50L), latest);
    }

    [Fact]
    public void Only_the_last_160_seconds_are_kept_but_the_maximum_stays()
    {
        var time = new ManualTime(1_700_000_000);
        var monitor = new LatencyMonitor(time) { ThresholdMs = 1 };
        for (var i = 0; i < 200; i++)
        {
            monitor.Add("expire-cycle", i == 0 ? 999 : 5 + i);
            time.Seconds++;
        }
        var history = monitor.History("expire-cycle");
        Assert.Equal(LatencyMonitor.SeriesLength, history.Count);
        Assert.Equal(1_700_000_040L, history[0].Time);
        Assert.Equal(1_700_000_199L, history[^1].Time);
        Assert.Equal(999L, Assert.Single(monitor.Latest()).Max);
    }

    [Fact]
    public void Below_the_threshold_or_switched_off_nothing_is_kept()
    {
        var monitor = new LatencyMonitor(new ManualTime(1_700_000_000));
        monitor.AddIfNeeded("command", long.MaxValue - 1); // threshold 0: off
        Assert.Empty(monitor.Latest());
        monitor.ThresholdMs = 100;
        monitor.AddIfNeeded("command", System.Diagnostics.Stopwatch.Frequency / 20); // 50 ms
        Assert.Empty(monitor.Latest());
        monitor.AddIfNeeded("command", System.Diagnostics.Stopwatch.Frequency / 5); // 200 ms
        Assert.Equal(200L, Assert.Single(monitor.Latest()).Latency);
    }

    [Fact]
    public void Reset_forgets_one_event_by_name_in_any_case_or_all()
    {
        var monitor = new LatencyMonitor(new ManualTime(1_700_000_000)) { ThresholdMs = 1 };
        monitor.Add("command", 5);
        monitor.Add("fast-command", 5);
        monitor.Add("expire-cycle", 5);
        Assert.Equal(0, monitor.Reset("blabla"));
        Assert.Equal(1, monitor.Reset("COMMAND"));
        Assert.Empty(monitor.History("command"));
        Assert.Equal(2, monitor.Reset(null));
        Assert.Empty(monitor.Latest());
    }

    [Fact]
    public void The_graph_draws_redis_sparkline_with_labels_and_is_null_without_samples()
    {
        var time = new ManualTime(1_700_000_000);
        var monitor = new LatencyMonitor(time) { ThresholdMs = 1 };
        Assert.Null(monitor.Graph("command"));
        monitor.Add("command", 100);
        time.Seconds++;
        monitor.Add("command", 400);
        time.Seconds += 2;
        var graph = monitor.Graph("command")!;
        var lines = graph.Split('\n');
        Assert.Equal("command - high 400 ms, low 100 ms (all time high 400 ms)", lines[0]);
        Assert.Equal(new string('-', 80), lines[1]);
        // Four rows of bars: the low sample only in the bottom row, the high one in all four; then a blank margin
        // and the labels (3s ago, 2s ago), one character per row.
        Assert.Equal([" #", " |", " |", "_|", "  ", "32", "ss", ""], lines[2..]);
    }

    [Fact]
    public void The_doctor_says_when_monitoring_is_off_and_reports_each_event()
    {
        var monitor = new LatencyMonitor(new ManualTime(1_700_000_000));
        Assert.StartsWith("I'm sorry, Dave, I can't do that. Latency monitoring is disabled", monitor.Doctor(10_000));
        monitor.ThresholdMs = 100;
        Assert.StartsWith("Dave, no latency spike was observed", monitor.Doctor(10_000));
        monitor.Add("command", 300);
        var report = monitor.Doctor(10_000);
        Assert.StartsWith("Dave, I have observed latency spikes in this Redis instance.", report);
        Assert.Contains("1. command: 1 latency spikes (average 300ms, mean deviation 0ms, period 1.00 sec). Worst all time event 300ms.", report);
        Assert.Contains("- Check your Slow Log", report);
    }
}
