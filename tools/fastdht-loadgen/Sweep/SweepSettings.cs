namespace FastDht.LoadGen.Sweep;

/// <summary>What `fastdht-loadgen sweep` runs: every lock strategy at every level of one axis, each point repeated, on local clusters.</summary>
public sealed record SweepSettings
{
    /// <summary>The transaction run each point repeats; its zipf constant, key count or link round trip is replaced per level.</summary>
    public required LoadSettings Run { get; init; }

    /// <summary>The lock strategies, by name.</summary>
    /// <remarks>Defaults to empty: every strategy the node's plugin registry knows.</remarks>
    public IReadOnlyList<string> Strategies { get; init; } = [];

    /// <summary>Contention as zipf constants over the run's key count (used when neither <see cref="KeyRanges"/> nor <see cref="RoundTrips"/> is set).</summary>
    /// <remarks>Defaults to 0, 0.6, 0.7, 0.8, 0.9, 0.99: uniform, then the skews between mild and YCSB's default.</remarks>
    public IReadOnlyList<double> ZipfLevels { get; init; } = [0, 0.6, 0.7, 0.8, 0.9, 0.99];

    /// <summary>Contention as uniform key ranges instead, in the order given (smaller ranges contend more).</summary>
    /// <remarks>Defaults to null (zipf levels).</remarks>
    public IReadOnlyList<long>? KeyRanges { get; init; }

    /// <summary>
    /// The network's price instead: the round trip every link of the local cluster gets (a relay in front of each node),
    /// at the run's own contention (its zipf constant and key count). Takes precedence over the other axes.
    /// </summary>
    /// <remarks>Defaults to null (a contention axis).</remarks>
    public IReadOnlyList<TimeSpan>? RoundTrips { get; init; }

    /// <summary>Runs per point, each on a fresh cluster; the outputs give the median and the min–max of the repeats.</summary>
    /// <remarks>Defaults to 1. Repeats are interleaved (every point once, then every point again), so a disturbance of the
    /// shared machine spreads over the strategies instead of landing on one.</remarks>
    public int Repeats { get; init; } = 1;

    /// <summary>Where sweep.csv, sweep-runs.csv, sweep.md and sweep.png go.</summary>
    /// <remarks>Defaults to "sweep-results" in the working directory.</remarks>
    public string OutputDirectory { get; init; } = "sweep-results";

    /// <summary>True when the levels are link round trips.</summary>
    public bool ByRoundTrip => RoundTrips is { Count: > 0 };

    /// <summary>True when contention is set by key ranges (and the levels are not round trips).</summary>
    public bool ByKeyRange => !ByRoundTrip && KeyRanges is { Count: > 0 };

    /// <summary>True when the levels are labels on an index axis rather than numbers (key ranges, round trips).</summary>
    public bool HasCategoryAxis => ByRoundTrip || ByKeyRange;

    /// <summary>Number of levels.</summary>
    public int LevelCount => ByRoundTrip ? RoundTrips!.Count : ByKeyRange ? KeyRanges!.Count : ZipfLevels.Count;

    /// <summary>The run settings of one repeat of one point (each repeat draws its own operation stream from the seed).</summary>
    public LoadSettings RunAt(string strategy, int level, int repeat = 0) => Run with
    {
        Nodes = [],
        LockStrategy = strategy,
        Seed = Run.Seed + repeat,
        LinkRoundTrip = ByRoundTrip ? RoundTrips![level] : Run.LinkRoundTrip,
        Workload = ByRoundTrip ? Run.Workload
            : ByKeyRange ? Run.Workload with { KeyCount = KeyRanges![level], Zipf = 0 }
            : Run.Workload with { Zipf = ZipfLevels[level] },
    };

    /// <summary>The level's label: "zipf 0.9", "keys 1000" or "rtt 500us".</summary>
    public string LabelOf(int level) => ByRoundTrip
        ? "rtt " + FastDht.Engine.Node.DurationText.Describe(RoundTrips![level])
        : ByKeyRange
            ? FormattableString.Invariant($"keys {KeyRanges![level]}")
            : FormattableString.Invariant($"zipf {ZipfLevels[level]:0.###}");

    /// <summary>The label of a level on the chart's axis (the label without its prefix).</summary>
    public string TickOf(int level) => ByRoundTrip
        ? FastDht.Engine.Node.DurationText.Describe(RoundTrips![level])
        : ByKeyRange ? KeyRanges![level].ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : LabelOf(level);
}
