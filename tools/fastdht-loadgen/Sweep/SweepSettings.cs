namespace FastDht.LoadGen.Sweep;

/// <summary>What `fastdht-loadgen sweep` runs: every lock strategy at every contention level, on a local cluster.</summary>
public sealed record SweepSettings
{
    /// <summary>The transaction run each point repeats; its zipf constant or key count is replaced per level.</summary>
    public required LoadSettings Run { get; init; }

    /// <summary>The lock strategies, by name.</summary>
    /// <remarks>Defaults to empty: every strategy the node's plugin registry knows.</remarks>
    public IReadOnlyList<string> Strategies { get; init; } = [];

    /// <summary>Contention as zipf constants over the run's key count (ignored when <see cref="KeyRanges"/> is set).</summary>
    /// <remarks>Defaults to 0, 0.6, 0.7, 0.8, 0.9, 0.99: uniform, then the skews between mild and YCSB's default.</remarks>
    public IReadOnlyList<double> ZipfLevels { get; init; } = [0, 0.6, 0.7, 0.8, 0.9, 0.99];

    /// <summary>Contention as uniform key ranges instead, in the order given (smaller ranges contend more).</summary>
    /// <remarks>Defaults to null (zipf levels).</remarks>
    public IReadOnlyList<long>? KeyRanges { get; init; }

    /// <summary>Where sweep.csv, sweep.md and sweep.png go.</summary>
    /// <remarks>Defaults to "sweep-results" in the working directory.</remarks>
    public string OutputDirectory { get; init; } = "sweep-results";

    /// <summary>True when contention is set by key ranges.</summary>
    public bool ByKeyRange => KeyRanges is { Count: > 0 };

    /// <summary>Number of contention levels.</summary>
    public int LevelCount => ByKeyRange ? KeyRanges!.Count : ZipfLevels.Count;

    /// <summary>The run settings of one point.</summary>
    public LoadSettings RunAt(string strategy, int level) => Run with
    {
        Nodes = [],
        LockStrategy = strategy,
        Workload = ByKeyRange
            ? Run.Workload with { KeyCount = KeyRanges![level], Zipf = 0 }
            : Run.Workload with { Zipf = ZipfLevels[level] },
    };

    /// <summary>The level's label: "zipf 0.9" or "keys 1000".</summary>
    public string LabelOf(int level) => ByKeyRange
        ? FormattableString.Invariant($"keys {KeyRanges![level]}")
        : FormattableString.Invariant($"zipf {ZipfLevels[level]:0.###}");
}
