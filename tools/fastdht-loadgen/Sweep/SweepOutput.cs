using System.Globalization;
using System.Text;
using ScottPlot;

namespace FastDht.LoadGen.Sweep;

/// <summary>Writes a sweep as CSV (for scripts: one row per point, and one per run), markdown tables and a PNG chart with error bars.</summary>
internal static class SweepOutput
{
    private const string Header = "strategy,contention,repeats,committed_per_s,committed_per_s_min,committed_per_s_max," +
        "abort_rate,abort_rate_min,abort_rate_max,retries_per_commit,gave_up,errors," +
        "multiput_p99_us,multiput_p99_us_min,multiput_p99_us_max,multiput_max_us,max_attempts";

    private const string RunsHeader = "strategy,contention,repeat,committed_per_s,abort_rate,retries_per_commit,committed,gave_up," +
        "aborted_attempts,errors,multiput_p99_us,multiput_max_us,max_attempts";

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>One row per point: medians with their min and max over the repeats, and the worst case seen.</summary>
    public static string ToCsv(IReadOnlyList<SweepPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var text = new StringBuilder().AppendLine(Header);
        foreach (var p in points)
        {
            text.Append(C, $"{p.Strategy},{p.Contention},{p.Repeats},")
                .Append(C, $"{p.CommittedPerSecond.Median:F1},{p.CommittedPerSecond.Min:F1},{p.CommittedPerSecond.Max:F1},")
                .Append(C, $"{p.AbortRate.Median:F4},{p.AbortRate.Min:F4},{p.AbortRate.Max:F4},{p.RetriesPerCommitted:F4},{p.GaveUp},{p.Errors},")
                .Append(C, $"{p.P99Microseconds.Median:F1},{p.P99Microseconds.Min:F1},{p.P99Microseconds.Max:F1},{p.MaxMicroseconds:F1},{p.MaxAttempts}")
                .AppendLine();
        }
        return text.ToString();
    }

    /// <summary>One row per run, in the order run.</summary>
    public static string ToRunsCsv(IReadOnlyList<SweepRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var text = new StringBuilder().AppendLine(RunsHeader);
        foreach (var r in runs)
        {
            text.Append(C, $"{r.Strategy},{r.Contention},{r.Repeat},{r.CommittedPerSecond:F1},{r.AbortRate:F4},{r.RetriesPerCommitted:F4},")
                .Append(C, $"{r.Committed},{r.GaveUp},{r.Aborts},{r.Errors},{r.P99Microseconds:F1},{r.MaxMicroseconds:F1},{r.MaxAttempts}")
                .AppendLine();
        }
        return text.ToString();
    }

    /// <summary>
    /// Tables with strategies as rows and levels as columns (committed/s and abort rate as "median (min–max)", then
    /// gave up / most attempts / longest MultiPut), and the ranking at each level with the differences beyond the noise.
    /// </summary>
    public static string ToMarkdown(IReadOnlyList<SweepPoint> points, SweepSettings settings, IReadOnlyList<string> strategies)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(settings);
        var text = new StringBuilder();
        var run = settings.Run;
        text.Append(C, $"Transactions of {run.Workload.KeysPerTransaction} keys, {run.Workload.ReadShare * 100:0}% read-only, ")
            .Append(C, $"{run.LocalNodes} local nodes, {run.Connections} x {run.InFlightPerConnection} in flight, ")
            .Append(C, $"{(run.OperationCount is { } n ? $"{n} operations" : $"{run.Duration.TotalSeconds:0.#} s")} per run, ")
            .Append(C, $"{settings.Repeats} run(s) per point on a fresh cluster each (seeds {run.Seed}..{run.Seed + settings.Repeats - 1})");
        if (settings.ByRoundTrip)
            text.Append(C, $", {run.Workload.KeyCount:N0} keys at zipf {run.Workload.Zipf:0.###}, every link delayed to the round trip shown");
        text.Append(". Cells: median (min–max) over the runs.").AppendLine().AppendLine();
        Table(text, "committed transactions/s", points, settings, strategies, static p => Range(p.CommittedPerSecond, static v => v.ToString("N0", C)));
        text.AppendLine();
        Table(text, "abort rate (aborted attempts / all attempts)", points, settings, strategies, static p => Range(p.AbortRate, static v => (v * 100).ToString("0.0", C) + "%"));
        text.AppendLine();
        Table(text, "gave up / most attempts / longest MultiPut (ms)", points, settings, strategies,
            static p => string.Create(C, $"{p.GaveUp} / {p.MaxAttempts} / {p.MaxMicroseconds / 1000:0.#}"));
        text.AppendLine();
        Ranking(text, points, settings, strategies);
        return text.ToString();
    }

    /// <summary>Committed transactions/s, abort rate and the most attempts of one MultiPut against the levels; medians with min–max error bars.</summary>
    public static void WritePng(string path, IReadOnlyList<SweepPoint> points, SweepSettings settings, IReadOnlyList<string> strategies)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var xLabel = settings.ByRoundTrip ? "round trip of every link"
            : settings.ByKeyRange ? "key range (fewer keys = more contention)"
            : "zipf constant (higher = more contention)";
        var figure = new Multiplot();
        figure.AddPlots(3); // a new Multiplot already holds one empty plot: this adds or removes plots until there are three
        Chart(figure.GetPlot(0), "Committed transactions/s (median, bars: min–max)", xLabel, "transactions/s", points, settings, strategies, static p => p.CommittedPerSecond);
        Chart(figure.GetPlot(1), "Abort rate, every attempt counted (median, bars: min–max)", xLabel, "aborted attempts / attempts", points, settings, strategies, static p => p.AbortRate);
        Chart(figure.GetPlot(2), "Most attempts one MultiPut needed (all runs)", xLabel, "attempts", points, settings, strategies, static p => new SweepStat(p.MaxAttempts, p.MaxAttempts, p.MaxAttempts));
        // 1000 x 1800: three charts of 1000 x 600, wide enough for a legend of six strategies beside the lines.
        figure.SavePng(path, 1000, 1800);
    }

    /// <summary>The x coordinate of a level: the zipf constant itself, or the level's index for labelled axes; strategies are nudged apart so their bars do not hide each other.</summary>
    private static double X(SweepSettings settings, int level, int strategyIndex, int strategyCount)
    {
        var spread = settings.HasCategoryAxis ? 0.06 : 0.004;
        var nudge = (strategyIndex - (strategyCount - 1) / 2.0) * spread;
        return (settings.HasCategoryAxis ? level : settings.ZipfLevels[level]) + nudge;
    }

    private static void Chart(Plot plot, string title, string xLabel, string yLabel, IReadOnlyList<SweepPoint> points, SweepSettings settings, IReadOnlyList<string> strategies, Func<SweepPoint, SweepStat> value)
    {
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        for (var s = 0; s < strategies.Count; s++)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            var below = new List<double>();
            var above = new List<double>();
            foreach (var p in points)
            {
                if (p.Strategy != strategies[s])
                    continue;
                var v = value(p);
                xs.Add(X(settings, p.Level, s, strategies.Count));
                ys.Add(v.Median);
                below.Add(v.Median - v.Min);
                above.Add(v.Max - v.Median);
            }
            if (xs.Count == 0)
                continue;
            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            line.LegendText = strategies[s];
            line.LineWidth = 2;
            line.MarkerSize = 7;
            var bars = new ScottPlot.Plottables.ErrorBar(xs, ys, null, null, above, below) { Color = line.Color, LineWidth = 2 };
            plot.Add.Plottable(bars);
        }
        if (settings.HasCategoryAxis)
        {
            var positions = new double[settings.LevelCount];
            var labels = new string[settings.LevelCount];
            for (var i = 0; i < positions.Length; i++)
            {
                positions[i] = i;
                labels[i] = settings.TickOf(i);
            }
            plot.Axes.Bottom.SetTicks(positions, labels);
        }
        // Rates and throughputs are drawn from zero: an axis fitted to the data would exaggerate small differences.
        plot.Axes.AutoScale();
        var top = plot.Axes.GetLimits().Top;
        plot.Axes.SetLimitsY(0, top > 0 ? top * 1.1 : 1);
        plot.ShowLegend(Alignment.UpperRight);
    }

    /// <summary>
    /// Per level, the strategies by median committed/s, joined by "&gt;" when the higher one's worst run beat the
    /// lower one's best (beyond the noise of these runs) and by "≈" when their ranges overlap.
    /// </summary>
    private static void Ranking(StringBuilder text, IReadOnlyList<SweepPoint> points, SweepSettings settings, IReadOnlyList<string> strategies)
    {
        text.AppendLine("Ranking by committed/s: `>` the ranges do not overlap (beyond the noise), `≈` they do.").AppendLine();
        for (var level = 0; level < settings.LevelCount; level++)
        {
            var at = new List<SweepPoint>();
            foreach (var p in points)
            {
                if (p.Level == level && Contains(strategies, p.Strategy))
                    at.Add(p);
            }
            if (at.Count == 0)
                continue;
            at.Sort(static (a, b) => b.CommittedPerSecond.Median.CompareTo(a.CommittedPerSecond.Median));
            text.Append("- ").Append(settings.LabelOf(level)).Append(": ").Append(at[0].Strategy);
            for (var i = 1; i < at.Count; i++)
                text.Append(at[i - 1].CommittedPerSecond.IsAbove(at[i].CommittedPerSecond) ? " > " : " ≈ ").Append(at[i].Strategy);
            text.AppendLine();
        }
    }

    private static string Range(SweepStat stat, Func<double, string> format) =>
        stat.Min == stat.Max ? format(stat.Median) : $"{format(stat.Median)} ({format(stat.Min)}–{format(stat.Max)})";

    private static bool Contains(IReadOnlyList<string> names, string name)
    {
        foreach (var n in names)
        {
            if (n == name)
                return true;
        }
        return false;
    }

    private static void Table(StringBuilder text, string title, IReadOnlyList<SweepPoint> points, SweepSettings settings, IReadOnlyList<string> strategies, Func<SweepPoint, string> cell)
    {
        text.Append("| ").Append(title).Append(" |");
        for (var level = 0; level < settings.LevelCount; level++)
            text.Append(' ').Append(settings.LabelOf(level)).Append(" |");
        text.AppendLine().Append("|---|");
        for (var level = 0; level < settings.LevelCount; level++)
            text.Append("---:|");
        text.AppendLine();
        foreach (var strategy in strategies)
        {
            text.Append("| ").Append(strategy).Append(" |");
            for (var level = 0; level < settings.LevelCount; level++)
            {
                var found = "-";
                foreach (var p in points)
                {
                    if (p.Strategy == strategy && p.Level == level)
                        found = cell(p);
                }
                text.Append(' ').Append(found).Append(" |");
            }
            text.AppendLine();
        }
    }
}
