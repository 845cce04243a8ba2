namespace FastDht.LoadGen.Rebalance;

/// <summary>One second of a rebalance run: when, in which phase, how many operations per second, their p99, the failed ones and the retries the clients made.</summary>
internal sealed record RebalanceSample(double Second, string Phase, double OperationsPerSecond, double P99Microseconds, long Errors, long Retries);
