namespace FastDht.LoadGen.Sweep;

/// <summary>One strategy at one contention level: how many transactions committed and how many attempts were aborted.</summary>
/// <param name="Strategy">The lock strategy.</param>
/// <param name="Level">Index of the contention level, in the order swept.</param>
/// <param name="Contention">The level's label ("zipf 0.9", "keys 1000").</param>
/// <param name="CommittedPerSecond">Committed MultiPuts per second over the measured window.</param>
/// <param name="AbortRate">Aborted attempts over all attempts.</param>
/// <param name="RetriesPerCommitted">Aborted attempts per committed transaction.</param>
/// <param name="Committed">Committed MultiPuts.</param>
/// <param name="Errors">Operations that failed (a MultiPut that gave up is an "Aborted" error).</param>
/// <param name="P99Microseconds">MultiPut latency, 99th percentile.</param>
public sealed record SweepPoint(
    string Strategy,
    int Level,
    string Contention,
    double CommittedPerSecond,
    double AbortRate,
    double RetriesPerCommitted,
    long Committed,
    long Errors,
    double P99Microseconds);
