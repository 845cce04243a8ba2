using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using FastDht.Engine.Diagnostics;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Benchmarks.Diagnostics;

/// <summary>
/// What the metrics add to one request: the native count (kind and status), the RESP count with its latency sample,
/// and a native batch's latency record, against doing nothing. Single-threaded: the per-processor counters make the
/// multi-threaded cost the same uncontended interlocked add.
/// </summary>
public class MetricsBenchmarks
{
    private const int Operations = 1000;
    private NodeMetrics _metrics = null!;
    private long _sink;

    [GlobalSetup]
    public void Setup() => _metrics = new NodeMetrics(0);

    [GlobalCleanup]
    public void Cleanup() => _metrics.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public long Nothing()
    {
        for (var i = 0; i < Operations; i++)
            _sink += i;
        return _sink;
    }

    /// <summary>A native request answered on the read loop: its count (its time is taken once per batch).</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public long NativeCount()
    {
        for (var i = 0; i < Operations; i++)
            _metrics.CountNative(Opcode.Get, StatusCode.Ok);
        return _sink;
    }

    /// <summary>A RESP command: its count and its latency sample (the session already reads the clock per command).</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public long RespCountAndLatency()
    {
        for (var i = 0; i < Operations; i++)
        {
            _metrics.CountResp(RespCommandKind.Get, refused: false);
            _metrics.RecordLatency(NodeMetrics.ClassOf(RespCommandKind.Get), 1500);
        }
        return _sink;
    }

    /// <summary>A native batch's end: one clock read and one latency record (per batch, not per request).</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public long NativeBatchLatency()
    {
        for (var i = 0; i < Operations; i++)
            _metrics.RecordLatency(RequestClass.NativeRead, Stopwatch.GetTimestamp() - _sink, 16);
        return _sink;
    }
}
