namespace FastDht.LoadGen.Reporting;

/// <summary>What one operation kind did during the measured window.</summary>
/// <param name="Kind">The operation kind, as in the live view ("Get", "PutIfAbsent", "MultiPut", ...).</param>
/// <param name="Operations">Completed operations: Successes + Misses + Errors.</param>
/// <param name="Throughput">Operations per second over the measured window.</param>
/// <param name="Successes">Found gets, stored puts, committed transactions.</param>
/// <param name="Misses">Gets of an absent key, PutIfAbsent of a present key.</param>
/// <param name="Errors">Operations that failed (timeout, node unavailable, transaction gave up, ...).</param>
/// <param name="LatencyMicroseconds">Latency percentiles of the successful and missed operations.</param>
public sealed record OperationReport(
    string Kind,
    long Operations,
    double Throughput,
    long Successes,
    long Misses,
    long Errors,
    LatencyReport LatencyMicroseconds);
