namespace FastDht.LoadGen.Rebalance;

/// <summary>What a rebalance did: when it began (into the run), how long the join and the whole took, its steps and keys, the longest write pause of a step, and when each phase of each step ran.</summary>
internal sealed record RebalanceSummary(TimeSpan StartedAt, TimeSpan JoinTime, TimeSpan TotalTime, int Steps, long KeysMoved, TimeSpan LongestPause, IReadOnlyList<RebalanceInterval> Intervals)
{
    /// <summary>Each node's join or leave with its moves, in order (one entry for a single join).</summary>
    public IReadOnlyList<ResizeStep> Resize { get; init; } = [];
}
