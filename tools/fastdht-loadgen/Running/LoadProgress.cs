using System.Diagnostics;
using FastDht.LoadGen.Reporting;

namespace FastDht.LoadGen.Running;

/// <summary>
/// A run's state as the progress display reads it, from another thread: the phase, when it began, how much of it is
/// planned, and the live counters. Written by the runner, read without locks.
/// </summary>
public sealed class LoadProgress
{
    private readonly RunStatistics _statistics;
    private int _phase;
    private long _phaseStartTimestamp = Stopwatch.GetTimestamp();
    private long _loaded;
    private long _warmupCompleted;

    internal LoadProgress(RunStatistics statistics, TimeSpan? plannedDuration, long? plannedOperations, long recordsToLoad)
    {
        _statistics = statistics;
        PlannedDuration = plannedDuration;
        PlannedOperations = plannedOperations;
        RecordsToLoad = recordsToLoad;
    }

    public RunPhase Phase => (RunPhase)Volatile.Read(ref _phase);

    /// <summary>Time spent in the current phase.</summary>
    public TimeSpan PhaseElapsed => Stopwatch.GetElapsedTime(Volatile.Read(ref _phaseStartTimestamp));

    /// <summary>The measured window's planned length, in duration mode.</summary>
    public TimeSpan? PlannedDuration { get; }

    /// <summary>The measured operations planned, in operation-count mode.</summary>
    public long? PlannedOperations { get; }

    /// <summary>The planned warm-up.</summary>
    public TimeSpan Warmup { get; internal init; }

    /// <summary>Records the load phase inserts (0 for workloads without one).</summary>
    public long RecordsToLoad { get; }

    /// <summary>Records inserted so far.</summary>
    public long RecordsLoaded => Volatile.Read(ref _loaded);

    /// <summary>Operations completed in the current phase (the count restarts when the warm-up ends).</summary>
    public long Completed => Phase == RunPhase.WarmingUp ? Volatile.Read(ref _warmupCompleted) : _statistics.Completed;

    /// <summary>Failed operations in the current phase.</summary>
    public long Errors => _statistics.ErrorCount;

    internal void RecordLoaded() => Interlocked.Increment(ref _loaded);

    /// <summary>Counts an unmeasured (warm-up) operation, for the live view only.</summary>
    internal void RecordWarmup() => Interlocked.Increment(ref _warmupCompleted);

    internal void Enter(RunPhase phase)
    {
        Volatile.Write(ref _phaseStartTimestamp, Stopwatch.GetTimestamp());
        Volatile.Write(ref _phase, (int)phase);
    }
}
