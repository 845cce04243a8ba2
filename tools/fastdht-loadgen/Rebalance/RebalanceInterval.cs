namespace FastDht.LoadGen.Rebalance;

/// <summary>A stretch of the rebalance in one phase (join, copy, catch-up, handover, drop), between two <see cref="System.Diagnostics.Stopwatch"/> timestamps.</summary>
internal sealed record RebalanceInterval(string Phase, long Start, long End);
