namespace FastDht.LoadGen.Sweep;

/// <summary>One measured run of one strategy at one level (one repeat), as read from its report.</summary>
/// <param name="Strategy">The lock strategy.</param>
/// <param name="Level">Index of the level, in the order swept.</param>
/// <param name="Contention">The level's label ("zipf 0.9", "keys 1000", "rtt 500us").</param>
/// <param name="Repeat">Which repeat (0 = first).</param>
/// <param name="CommittedPerSecond">Committed MultiPuts per second over the measured window.</param>
/// <param name="AbortRate">Aborted attempts over all attempts, those of MultiPuts that gave up included.</param>
/// <param name="RetriesPerCommitted">Aborted attempts per committed MultiPut.</param>
/// <param name="Committed">Committed MultiPuts.</param>
/// <param name="GaveUp">MultiPuts that gave up after the node's attempt or time bound.</param>
/// <param name="Aborts">Aborted attempts.</param>
/// <param name="Errors">Operations that failed (a MultiPut that gave up is one).</param>
/// <param name="P99Microseconds">MultiPut latency, 99th percentile.</param>
/// <param name="MaxMicroseconds">MultiPut latency, the longest: the transaction that waited or retried most.</param>
/// <param name="MaxAttempts">The most attempts one MultiPut needed (committed or gave up): starvation shows here.</param>
public sealed record SweepRun(
    string Strategy,
    int Level,
    string Contention,
    int Repeat,
    double CommittedPerSecond,
    double AbortRate,
    double RetriesPerCommitted,
    long Committed,
    long GaveUp,
    long Aborts,
    long Errors,
    double P99Microseconds,
    double MaxMicroseconds,
    long MaxAttempts);
