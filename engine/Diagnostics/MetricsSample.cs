namespace FastDht.Engine.Diagnostics;

/// <summary>The node's load over one sampling interval (<see cref="NodeMetrics.SampleInterval"/>), for the status page.</summary>
/// <param name="At">When the interval ended (UTC).</param>
/// <param name="OperationsPerSecond">Requests answered per second, over every protocol.</param>
/// <param name="P50Milliseconds">Half the interval's requests took at most this long (a bucket's upper bound); 0 when none ran.</param>
/// <param name="P99Milliseconds">99 in 100 of the interval's requests took at most this long; 0 when none ran.</param>
public readonly record struct MetricsSample(DateTimeOffset At, double OperationsPerSecond, double P50Milliseconds, double P99Milliseconds);
