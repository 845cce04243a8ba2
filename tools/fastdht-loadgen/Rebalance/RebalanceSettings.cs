using FastDht.LoadGen.Running;

namespace FastDht.LoadGen.Rebalance;

/// <summary>What a rebalance run does: the load (a run's settings on a local cluster), how long before and after, how fast slots move, where the outputs go.</summary>
internal sealed class RebalanceSettings
{
    /// <summary>The workload, clients and local cluster size (the cluster gets one spare node, which joins).</summary>
    public required LoadSettings Load { get; init; }

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
