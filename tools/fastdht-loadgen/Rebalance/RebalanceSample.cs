namespace FastDht.LoadGen.Rebalance;

/// <summary>
/// One second of a rebalance run: when, in which phase, how many operations per second, their p99, the failed ones and
/// the retries the clients made, and the garbage collector's pauses in that second (the nodes run in the loadgen's
/// process, so a pause stops them and the clients alike).
/// </summary>
internal sealed record RebalanceSample(double Second, string Phase, double OperationsPerSecond, double P99Microseconds, long Errors, long Retries, double GcPauseMilliseconds = 0, int Collections = 0, int Gen2Collections = 0);
