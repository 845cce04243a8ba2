using FastDht.LoadGen.Running;

namespace FastDht.LoadGen.Rebalance;

/// <summary>What a rebalance run does: the load (a run's settings on a local cluster), the sizes it grows and shrinks to, how long before, at the grown size and after, how fast slots move, where the outputs go.</summary>
internal sealed class RebalanceSettings
{
    /// <summary>The workload, clients and local cluster size (the cluster gets one spare node per node it grows by).</summary>
    public required LoadSettings Load { get; init; }

    /// <summary>How many nodes the cluster grows to, one node at a time (each as <c>fastdht cluster add-node</c>); null: one more than it starts with.</summary>
    public int? GrowTo { get; init; }

    /// <summary>How many nodes it shrinks back to after <see cref="Hold"/>, the newest first (each as <c>fastdht cluster remove-node</c>, then stopped); null: no shrink.</summary>
    public int? ShrinkTo { get; init; }

    /// <summary>Measured seconds at the grown size before the shrink begins (with <see cref="ShrinkTo"/> only).</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The size the cluster grows to.</summary>
    public int GrownSize => GrowTo ?? Load.LocalNodes + 1;

    /// <summary>Whether this is the single 3 to 4 style rebalance (one node joins, no shrink), whose outputs keep their one "rebalancing" period.</summary>
    public bool IsSingleJoin => GrownSize == Load.LocalNodes + 1 && ShrinkTo is null;

    /// <summary>The cluster sizes the run goes through, e.g. 3, 5, 3.</summary>
    public string PlanText => ShrinkTo is { } shrink ? $"{Load.LocalNodes} -> {GrownSize} -> {shrink}" : $"{Load.LocalNodes} -> {GrownSize}";

    /// <summary>Checks the sizes against the local cluster's.</summary>
    /// <exception cref="ArgumentException">The plan does not grow, or shrinks below the start size or not at all.</exception>
    public void Validate()
    {
        var start = Load.LocalNodes;
        if (GrownSize <= start || GrownSize > 64)
            throw new ArgumentException($"--grow-to must be more than the {start} local nodes the run starts with and at most 64 (got {GrownSize})");
        if (ShrinkTo is { } shrink && (shrink < start || shrink >= GrownSize))
            throw new ArgumentException($"--shrink-to must be from the {start} local nodes the run starts with to below --grow-to {GrownSize} (got {shrink}): only the nodes the run added leave");
        if (Hold < TimeSpan.Zero)
            throw new ArgumentException("--hold must not be negative");
    }

    /// <summary>Measured seconds before the new node joins.</summary>
    public TimeSpan Before { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Measured seconds after the rebalance ended.</summary>
    public TimeSpan After { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes per second each node copies moving slots (NodeOptions.SlotMoveRate); 0 for no limit.</summary>
    public long SlotMoveRate { get; init; } = 16L << 20;

    /// <summary>Percent of the time a throttled copy works (NodeOptions.SlotMoveDutyPercent); 100 for the byte rate alone.</summary>
    public int SlotMoveDutyPercent { get; init; } = 20;

    /// <summary>Where rebalance.csv, rebalance.md and rebalance.png go.</summary>
    public string OutputDirectory { get; init; } = "rebalance-results";
}
