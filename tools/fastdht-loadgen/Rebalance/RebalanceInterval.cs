namespace FastDht.LoadGen.Rebalance;

/// <summary>
/// A stretch of the rebalance in one phase (join, copy, catch-up, handover, drop, leave), between two
/// <see cref="System.Diagnostics.Stopwatch"/> timestamps; or, with the phase <see cref="RequestsByPhase.StepSpan"/> or
/// <see cref="RequestsByPhase.MovesSpan"/>, the whole of one step of a resize (<paramref name="Step"/> names it, e.g.
/// "add node 3") or its moves alone.
/// </summary>
internal sealed record RebalanceInterval(string Phase, long Start, long End, string? Step = null);
