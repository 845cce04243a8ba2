using System.Globalization;
using System.Text;
using ScottPlot;

namespace FastDht.LoadGen.Sweep;

/// <summary>Writes a sweep's points as CSV (for scripts), a markdown table (for the README) and a PNG chart.</summary>
internal static class SweepOutput
{
    private const string Header = "strategy,contention,committed_per_s,abort_rate,retries_per_commit,committed,errors,multiput_p99_us";

    public static string ToCsv(IReadOnlyList<SweepPoint> points)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder().AppendLine(Header);
        foreach (var p in points)
        {
            text.Append(c, $"{p.Strategy},{p.Contention},{p.CommittedPerSecond:F1},{p.AbortRate:F4},{p.RetriesPerCommitted:F4},")
                .Append(c, $"{p.Committed},{p.Errors},{p.P99Microseconds:F1}").AppendLine();
        }
        return text.ToString();
    }

    /// <summary>Two tables, strategies as rows and contention levels as columns: committed/s, then abort rate.</summary>
    public static string ToMarkdown(IReadOnlyList<SweepPoint> points, SweepSettings settings, IReadOnlyList<string> strategies)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var run = settings.Run;
        text.Append(c, $"Transactions of {run.Workload.KeysPerTransaction} keys, {run.Workload.ReadShare * 100:0}% read-only, ")
            .Append(c, $"{run.LocalNodes} local nodes, {run.Connections} x {run.InFlightPerConnection} in flight, ")
            .Append(c, $"{(run.OperationCount is { } n ? $"{n} operations" : $"{run.Duration.TotalSeconds:0.#} s")} per point, seed {run.Seed}.")
            .AppendLine().AppendLine();
        Table(text, "committed transactions/s", points, settings, strategies, static p => p.CommittedPerSecond.ToString("N0", CultureInfo.InvariantCulture));
        text.AppendLine();
        Table(text, "abort rate (aborted attempts / all attempts)", points, settings, strategies, static p => (p.AbortRate * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%");
        return text.ToString();
    }

    /// <summary>Committed transactions/s (top) and abort rate (bottom) against contention, one line per strategy.</summary>
    public static void WritePng(string path, IReadOnlyList<SweepPoint> points, SweepSettings settings, IReadOnlyList<string> strategies)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var xLabel = settings.ByKeyRange ? "key range (fewer keys = more contention)" : "zipf constant (higher = more contention)";
        var figure = new Multiplot();
        figure.AddPlots(2); // a new Multiplot already holds one empty plot: this adds or removes plots until there are two
        Chart(figure.GetPlot(0), "Committed transactions/s", xLabel, "transactions/s", points, settings, strategies, static p => p.CommittedPerSecond);
        Chart(figure.GetPlot(1), "Abort rate", xLabel, "aborted attempts / attempts", points, settings, strategies, static p => p.AbortRate);
        // 1000 x 1200: two charts of 1000 x 600, wide enough for a legend of five strategies beside the lines.
        figure.SavePng(path, 1000, 1200);
    }

    /// <summary>The x coordinate of a level: the zipf constant itself, or the level's index for key ranges (labelled).</summary>
    private static double X(SweepSettings settings, int level) => settings.ByKeyRange ? level : settings.ZipfLevels[level];

    private static void Chart(Plot plot, string title, string xLabel, string yLabel, IReadOnlyList<SweepPoint> points, SweepSettings settings, IReadOnlyList<string> strategies, Func<SweepPoint, double> value)
    {
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        foreach (var strategy in strategies)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            foreach (var p in points)
            {
                if (p.Strategy == strategy)
                {
                    xs.Add(X(settings, p.Level));
                    ys.Add(value(p));
                }
            }
            if (xs.Count == 0)
                continue;
            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            line.LegendText = strategy;
            line.LineWidth = 2;
            line.MarkerSize = 7;
        }
        if (settings.ByKeyRange)
        {
            var positions = new double[settings.LevelCount];
            var labels = new string[settings.LevelCount];
            for (var i = 0; i < positions.Length; i++)
            {
                positions[i] = i;
                labels[i] = settings.KeyRanges![i].ToString("N0", CultureInfo.InvariantCulture);
            }
            plot.Axes.Bottom.SetTicks(positions, labels);
        }
        // Rates and throughputs are drawn from zero: an axis fitted to the data would exaggerate small differences.
        plot.Axes.AutoScale();
        var top = plot.Axes.GetLimits().Top;
        plot.Axes.SetLimitsY(0, top > 0 ? top * 1.1 : 1);
        plot.ShowLegend(Alignment.UpperRight);
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
