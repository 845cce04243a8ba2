using System.Globalization;
using System.Text;
using FastDht.LoadGen.Reporting;
using HdrHistogram;
using ScottPlot;

namespace FastDht.LoadGen.Rebalance;

/// <summary>Writes a rebalance run as CSV (one row per second), a markdown summary (before, during, after) and a PNG time series.</summary>
internal static class RebalanceOutput
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string ToCsv(IReadOnlyList<RebalanceSample> samples)
    {
        var text = new StringBuilder().AppendLine("second,phase,ops_per_s,p99_us,errors,retries,gc_pause_ms,gcs,gen2_gcs");
        foreach (var s in samples)
            text.Append(C, $"{s.Second:F1},{s.Phase},{s.OperationsPerSecond:F0},{s.P99Microseconds:F1},{s.Errors},{s.Retries},{s.GcPauseMilliseconds:F1},{s.Collections},{s.Gen2Collections}").AppendLine();
        return text.ToString();
    }

    /// <summary>One row per period (before, each step, the hold, after): seconds, median throughput, median and worst p99 of its seconds, failed operations, retries; then what moved, by phase and by step, and every failed operation.</summary>
    public static string ToMarkdown(IReadOnlyList<RebalanceSample> samples, RebalanceSummary? summary, RebalanceSettings settings, RequestsByPhase? byPhase = null, long unlogged = 0, IReadOnlyList<FailedOperation>? failures = null, long runStart = 0, long checkedReads = 0)
    {
        var load = settings.Load;
        var text = new StringBuilder();
        if (settings.IsSingleJoin)
            text.Append(C, $"{load.LocalNodes} local nodes growing to {load.LocalNodes + 1}");
        else
            text.Append(C, $"{load.LocalNodes} local nodes growing to {settings.GrownSize} one node at a time (each as `fastdht cluster add-node`)")
                .Append(settings.ShrinkTo is { } shrink
                    ? string.Create(C, $", {settings.Hold.TotalSeconds:0.#} s at {settings.GrownSize}, then shrinking to {shrink}, the newest node first (each as `fastdht cluster remove-node`, then stopped)")
                    : "");
        text.Append(C, $", workload {FastDht.LoadGen.Workloads.WorkloadNames.Of(load.Workload.Kind)} over {load.Workload.KeyCount:N0} keys ")
            .Append(C, $"({load.Workload.ValueSize} B values), {load.Connections} x {load.InFlightPerConnection} in flight, slot move rate ")
            .Append(settings.SlotMoveRate == 0 ? "unlimited" : string.Create(C, $"{settings.SlotMoveRate / (1024.0 * 1024):0.#} MiB/s, working {settings.SlotMoveDutyPercent}% of the time"))
            .Append(". Each second is one sample; the table gives the median of a period's seconds (p99: median and worst).")
            .AppendLine().AppendLine()
            .AppendLine("| phase | seconds | ops/s (median) | p99 µs (median) | p99 µs (worst) | failed | retried | GC pause ms/s (worst) |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        // The periods in the order they first came: before, the rebalancing (or each step and the hold), after.
        var periods = new List<string>();
        foreach (var sample in samples)
        {
            if (!periods.Contains(sample.Phase))
                periods.Add(sample.Phase);
        }
        foreach (var phase in periods)
        {
            var of = samples.Where(s => s.Phase == phase).ToList();
            text.Append(C, $"| {phase} | {of.Count} | {Median(of.Select(s => s.OperationsPerSecond)):N0} | {Median(of.Select(s => s.P99Microseconds)):N0} | ")
                .Append(C, $"{of.Max(s => s.P99Microseconds):N0} | {of.Sum(s => s.Errors)} | {of.Sum(s => s.Retries)} | {of.Max(s => s.GcPauseMilliseconds):0.#} |").AppendLine();
        }
        if (summary is not null && settings.IsSingleJoin)
        {
            text.AppendLine()
                .Append(C, $"The new node joined {summary.JoinTime.TotalMilliseconds:0} ms after it started; the rebalance moved {summary.KeysMoved:N0} keys in ")
                .Append(C, $"{summary.Steps} steps, {summary.TotalTime.TotalSeconds:0.0} s from the start of the node, writes to a step's slots paused at most ")
                .Append(C, $"{summary.LongestPause.TotalMilliseconds:0} ms.").AppendLine();
        }
        else if (summary is not null)
        {
            text.AppendLine()
                .Append(C, $"The plan {settings.PlanText} moved {summary.KeysMoved:N0} keys in {summary.Steps} moves, {summary.TotalTime.TotalSeconds:0.0} s from the start of the first new node to the stop of the last removed one:").AppendLine()
                .AppendLine()
                .AppendLine("| step | joined / left in ms | moves | keys | writes paused at most ms | step s |")
                .AppendLine("|---|---:|---:|---:|---:|---:|");
            foreach (var step in summary.Resize)
            {
                text.Append(C, $"| {step.Name} | {step.MembershipTime.TotalMilliseconds:0} | {step.Moves} | {step.Keys:N0} | {step.LongestPause.TotalMilliseconds:0} | {step.Time.TotalSeconds:0.0} |").AppendLine();
            }
            text.AppendLine().AppendLine("A join is from the node's start until every node lists it and links to it; a leave from the removal's request (after the node's slots moved away) until every other node has installed the state without it and the node stopped.");
        }
        if (byPhase is not null)
            AppendByPhase(text, byPhase, unlogged);
        if (failures is not null && summary is not null)
            AppendFailures(text, failures, summary.Intervals, runStart, checkedReads);
        return text.ToString();
    }

    /// <summary>Every failed operation (the first 50) with when, in which phase and step, and what the client said (its message names the node).</summary>
    private static void AppendFailures(StringBuilder text, IReadOnlyList<FailedOperation> failures, IReadOnlyList<RebalanceInterval> intervals, long runStart, long checkedReads)
    {
        text.AppendLine();
        if (checkedReads > 0)
            text.Append(C, $"{checkedReads:N0} reads were of keys already known to hold a value (a write acknowledged, or a read found it, before the read began); one that found nothing would be a failed `LostWrite` below.").AppendLine().AppendLine();
        if (failures.Count == 0)
        {
            text.AppendLine("Failed operations: **none** (a failure is an operation the client gave up on after its own retries; the retried calls are counted apart).");
            return;
        }
        text.Append(C, $"Failed operations: **{failures.Count:N0}** (each one the client gave up on after its own retries):").AppendLine()
            .AppendLine()
            .AppendLine("| second | while | step | operation | error | message |")
            .AppendLine("|---:|---|---|---|---|---|");
        for (var i = 0; i < failures.Count && i < 50; i++)
        {
            var f = failures[i];
            var (phase, step) = RequestsByPhase.PhaseOf(intervals, f.Start, f.End);
            var second = (f.End - runStart) / (double)System.Diagnostics.Stopwatch.Frequency;
            text.Append(C, $"| {second:F2} | {phase} | {step ?? "-"} | {f.Kind} | {f.ErrorKind} | {f.Message.Replace('|', '/').ReplaceLineEndings(" ")} |").AppendLine();
        }
        if (failures.Count > 50)
            text.Append(C, $"and {failures.Count - 50:N0} more.").AppendLine();
    }

    /// <summary>
    /// The operations from 5 s before the rebalance to 5 s after it, by what the cluster did while each ran (an operation
    /// that overlapped a handover counts for it, else the drop, catch-up, copy, join): the p99 of all of a phase's
    /// operations, not the median of seconds, so a phase that lasts milliseconds is not averaged away.
    /// </summary>
    private static void AppendByPhase(StringBuilder text, RequestsByPhase byPhase, long unlogged)
    {
        var before = byPhase.Of("before");
        var beforeP99 = before.TotalCount == 0 ? 0 : before.GetValueAtPercentile(99);
        text.AppendLine()
            .AppendLine("Operations by what the cluster did while they ran (before and after: the 5 s around the rebalance; an operation that overlapped a handover counts for it, else the drop of the old owner's copies, the catch-up, the copy, the join, a node's leave; between: the gaps between them, in a resize also the first and last 5 s of the hold):")
            .AppendLine()
            .AppendLine("| while | operations | p50 µs | p99 µs | p99.9 µs | max µs | p99 / before |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var phase in RequestsByPhase.Phases)
            AppendRow(text, phase, byPhase.Of(phase), beforeP99);
        var resize = byPhase.Steps.Count > 1;
        AppendRow(text, resize ? "**the moves** (each step's first copy to its last drop)" : "**the moves** (first copy to last drop)", byPhase.Moves, beforeP99);
        AppendRow(text, resize ? "**the resize** (every step: joins, moves, leaves; not the hold)" : "**the rebalance** (join and moves)", byPhase.Rebalance, beforeP99);
        if (resize)
        {
            // Each step apart (its join or leave and its moves), against the same before.
            foreach (var (step, operations) in byPhase.Steps)
                AppendRow(text, $"step: {step}", operations, beforeP99);
        }
        if (unlogged > 0)
            text.AppendLine().Append(C, $"{unlogged:N0} operations were not logged (the log was full).").AppendLine();
    }

    private static void AppendRow(StringBuilder text, string phase, HistogramBase histogram, long beforeP99)
    {
        if (histogram.TotalCount == 0)
            return;
        var p99 = histogram.GetValueAtPercentile(99);
        text.Append(C, $"| {phase} | {histogram.TotalCount:N0} | {histogram.GetValueAtPercentile(50) / 1000.0:N0} | {p99 / 1000.0:N0} | ")
            .Append(C, $"{histogram.GetValueAtPercentile(99.9) / 1000.0:N0} | {histogram.GetMaxValue() / 1000.0:N0} | ")
            .Append(beforeP99 > 0 ? string.Create(C, $"{p99 / (double)beforeP99:0.0}x") : "-").AppendLine(" |");
    }

    /// <summary>The rebalance in 100 ms windows (by the end of their operations), from 1 s before to 1 s after.</summary>
    public static string ToWindowsCsv(RequestsByPhase byPhase)
    {
        var text = new StringBuilder().AppendLine("second,phase,operations,p99_us");
        foreach (var (second, phase, operations, p99) in byPhase.Windows)
            text.Append(C, $"{second:F1},{phase},{operations},{p99:F1}").AppendLine();
        return text.ToString();
    }

    /// <summary>Throughput and p99 per second against time, the rebalance's seconds shaded.</summary>
    public static void WritePng(string path, IReadOnlyList<RebalanceSample> samples)
    {
        var figure = new Multiplot();
        figure.AddPlots(2);
        Chart(figure.GetPlot(0), "Operations per second", "ops/s", samples, static s => s.OperationsPerSecond);
        Chart(figure.GetPlot(1), "p99 latency per second", "µs", samples, static s => s.P99Microseconds);
        // 1000 x 1000: two charts of 1000 x 500, one point per second.
        figure.SavePng(path, 1000, 1000);
    }

    private static void Chart(Plot plot, string title, string yLabel, IReadOnlyList<RebalanceSample> samples, Func<RebalanceSample, double> value)
    {
        plot.Title(title);
        plot.XLabel("seconds");
        plot.YLabel(yLabel);
        var during = samples.Where(s => s.Phase == "rebalancing").ToList();
        if (during.Count > 0)
        {
            var span = plot.Add.HorizontalSpan(during[0].Second - 1, during[^1].Second);
            span.LegendText = "rebalancing (join + moves)";
        }
        else
        {
            MarkSteps(plot, samples);
        }
        var line = plot.Add.Scatter(samples.Select(s => s.Second).ToArray(), samples.Select(value).ToArray());
        line.LineWidth = 2;
        line.MarkerSize = 4;
        plot.Axes.SetLimitsY(0, Math.Max(1, samples.Max(value) * 1.1));
    }

    /// <summary>A resize: each step's seconds shaded in its own colour and named in the legend (the hold and the before and after left clear).</summary>
    private static void MarkSteps(Plot plot, IReadOnlyList<RebalanceSample> samples)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var colour = 0;
        for (var i = 0; i < samples.Count;)
        {
            var phase = samples[i].Phase;
            var j = i;
            while (j + 1 < samples.Count && samples[j + 1].Phase == phase)
                j++;
            if (phase is not ("before" or "hold" or "after"))
            {
                var span = plot.Add.HorizontalSpan(samples[i].Second - 1, samples[j].Second);
                span.FillColor = palette.GetColor(colour++).WithAlpha(0.25);
                span.LegendText = phase;
            }
            i = j + 1;
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }
}
