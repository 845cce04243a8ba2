using FastDht.LoadGen.Reporting;
using FastDht.LoadGen.Running;
using FastDht.LoadGen.Targets;

namespace FastDht.LoadGen.Sweep;

/// <summary>Runs the sweep's points one after another, each on a fresh local cluster, and collects a point per run.</summary>
/// <remarks>A fresh cluster per point keeps one strategy's leftover locks, keys and warm caches out of the next one's figures.</remarks>
internal static class SweepRunner
{
    /// <summary>Runs every (strategy, level) pair; <paramref name="runOne"/> runs one (and may show its progress).</summary>
    /// <returns>The points measured, in order; fewer than planned when <paramref name="stop"/> fired.</returns>
    public static async Task<IReadOnlyList<SweepPoint>> RunAsync(
        SweepSettings settings,
        Func<LoadRunner, string, Task<LoadReport>> runOne,
        CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(runOne);
        var strategies = settings.Strategies.Count > 0 ? settings.Strategies : LocalClusterTarget.KnownLockStrategies;
        var points = new List<SweepPoint>();
        foreach (var strategy in strategies)
        {
            for (var level = 0; level < settings.LevelCount; level++)
            {
                if (stop.IsCancellationRequested)
                    return points;
                var runner = new LoadRunner(settings.RunAt(strategy, level));
                var label = settings.LabelOf(level);
                var report = await runOne(runner, $"{strategy}, {label}").ConfigureAwait(false);
                if (report.StoppedEarly)
                    return points; // a partial window would skew its point; stop the sweep with what is whole
                points.Add(ToPoint(strategy, level, label, report));
            }
        }
        return points;
    }

    /// <summary>Reads a point out of a transaction run's report.</summary>
    public static SweepPoint ToPoint(string strategy, int level, string label, LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var t = report.Transactions;
        double p99 = 0;
        foreach (var op in report.ByOperation)
        {
            if (op.Kind == nameof(Workloads.OperationKind.MultiPut))
                p99 = op.LatencyMicroseconds.P99;
        }
        var committed = t?.Committed ?? 0;
        return new SweepPoint(
            strategy,
            level,
            label,
            report.DurationSeconds > 0 ? committed / report.DurationSeconds : 0,
            t?.AbortRate ?? 0,
            t?.RetriesPerCommitted ?? 0,
            committed,
            report.Errors,
            p99);
    }
}
