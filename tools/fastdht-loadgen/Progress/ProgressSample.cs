using System.Globalization;
using FastDht.LoadGen.Running;

namespace FastDht.LoadGen.Progress;

/// <summary>One reading of a run's progress, with the throughput since the previous reading.</summary>
internal readonly record struct ProgressSample(RunPhase Phase, TimeSpan Elapsed, long Completed, double CurrentThroughput, long Errors, string Remaining)
{
    /// <summary>The phase as the display names it.</summary>
    public string PhaseName => Phase switch
    {
        RunPhase.Starting => "starting",
        RunPhase.Loading => "loading",
        RunPhase.WarmingUp => "warming up",
        RunPhase.Measuring => "measuring",
        RunPhase.Stopping => "stopping",
        _ => "finished",
    };

    /// <summary>One plain line, for logs and pipes.</summary>
    public string ToLine() => string.Create(
        CultureInfo.InvariantCulture,
        $"[{Elapsed.TotalSeconds,7:F1}s] {PhaseName,-10} ops {Completed,12:N0}  {CurrentThroughput,12:N0} ops/s  errors {Errors:N0}  remaining {Remaining}");
}
