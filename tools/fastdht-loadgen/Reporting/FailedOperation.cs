using FastDht.LoadGen.Workloads;

namespace FastDht.LoadGen.Reporting;

/// <summary>
/// One measured operation the client gave up on (the DhtClient's own retries already spent), with when it started and
/// ended (<see cref="System.Diagnostics.Stopwatch"/> timestamps), its error kind and message, so a rebalance run can say
/// which phase and which node each failure met.
/// </summary>
public sealed record FailedOperation(long Start, long End, OperationKind Kind, string ErrorKind, string Message);
