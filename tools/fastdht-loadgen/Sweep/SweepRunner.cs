using FastDht.LoadGen.Reporting;
using FastDht.LoadGen.Running;
using FastDht.LoadGen.Targets;

namespace FastDht.LoadGen.Sweep;

/// <summary>Runs the sweep's points, each repeat on a fresh local cluster, and collects one run per (repeat, strategy, level).</summary>
/// <remarks>
/// A fresh cluster per run keeps one strategy's leftover locks, keys and warm caches out of the next one's figures.
/// Repeats are the outer loop, so the K runs of a point are spread over the whole sweep's duration: a slow minute of
/// the shared machine touches one repeat of many points, not every repeat of one.
/// </remarks>
internal static class SweepRunner
{
    /// <summary>Runs every (repeat, strategy, level); <paramref name="runOne"/> runs one (and may show its progress).</summary>
    /// <returns>The runs measured, in order; fewer than planned when <paramref name="stop"/> fired.</returns>
    public static async Task<IReadOnlyList<SweepRun>> RunAsync(
        SweepSettings settings,
        Func<LoadRunner, string, Task<LoadReport>> runOne,
        CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(runOne);
        var strategies = StrategiesOf(settings);
        var runs = new List<SweepRun>();
        for (var repeat = 0; repeat < settings.Repeats; repeat++)
        {
            foreach (var strategy in strategies)
            {
                for (var level = 0; level < settings.LevelCount; level++)
                {
                    if (stop.IsCancellationRequested)
                        return runs;
                    var runner = new LoadRunner(settings.RunAt(strategy, level, repeat));
                    var label = settings.LabelOf(level);
                    var title = settings.Repeats > 1 ? $"{strategy}, {label}, repeat {repeat + 1}/{settings.Repeats}" : $"{strategy}, {label}";
                    var report = await runOne(runner, title).ConfigureAwait(false);
                    if (report.StoppedEarly)
                        return runs; // a partial window would skew its run; stop the sweep with what is whole
                    runs.Add(ToRun(strategy, level, label, repeat, report));
                }
            }
        }
        return runs;
    }

    /// <summary>The strategies a sweep runs: those named, or every one the node knows.</summary>
    public static IReadOnlyList<string> StrategiesOf(SweepSettings settings) =>
        settings.Strategies.Count > 0 ? settings.Strategies : LocalClusterTarget.KnownLockStrategies;

    /// <summary>One point per (strategy, level) that has runs, in strategy order then level order.</summary>
    public static IReadOnlyList<SweepPoint> Summarise(IReadOnlyList<SweepRun> runs, IReadOnlyList<string> strategies, int levelCount)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(strategies);
        var points = new List<SweepPoint>();
        foreach (var strategy in strategies)
        {
            for (var level = 0; level < levelCount; level++)
            {
                var of = new List<SweepRun>();
                foreach (var r in runs)
                {
                    if (r.Strategy == strategy && r.Level == level)
                        of.Add(r);
                }
                if (of.Count > 0)
                    points.Add(SweepPoint.Of(of));
            }
        }
        return points;
    }

    /// <summary>Reads a run out of a transaction run's report.</summary>
    public static SweepRun ToRun(string strategy, int level, string label, int repeat, LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var t = report.Transactions;
        double p99 = 0, max = 0;
        foreach (var op in report.ByOperation)
        {
            if (op.Kind == nameof(Workloads.OperationKind.MultiPut))
            {
                p99 = op.LatencyMicroseconds.P99;
                max = op.LatencyMicroseconds.Max;
            }
        }
        var committed = t?.Committed ?? 0;
        return new SweepRun(
            strategy,
            level,
            label,
            repeat,
            report.DurationSeconds > 0 ? committed / report.DurationSeconds : 0,
            t?.AbortRate ?? 0,
            t?.RetriesPerCommitted ?? 0,
            committed,
            t?.GaveUp ?? 0,
            t?.Aborts ?? 0,
            report.Errors,
            p99,
            max,
            t?.MaxAttempts ?? 0);
    }
}
