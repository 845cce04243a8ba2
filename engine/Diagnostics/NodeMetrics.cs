using System.Diagnostics;
using System.Diagnostics.Metrics;
using FastDht.Engine.CommandTable;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Diagnostics;

/// <summary>
/// A node's metrics: requests by kind and outcome, latency histograms, forwards, and the <see cref="Meter"/>
/// (<see cref="MeterName"/>) that publishes them with the node's other counters to any listener: <c>dotnet-counters</c>,
/// OpenTelemetry, the node's Prometheus endpoint (FastDht.Monitoring).
/// </summary>
/// <remarks>
/// The request path only counts: one interlocked add on a per-processor counter (<see cref="StripedCounters"/>) per
/// request, and per latency sample one more for its bucket and one for the time. Everything the Meter shows is an
/// observable instrument read from those counters when a listener asks (a scrape, dotnet-counters' interval), so a
/// node nobody watches pays the counts and nothing else. Latency is kept as a histogram of power-of-two buckets of
/// microseconds (about 1 µs to 8.6 s, then one bucket for slower; the bounds are powers of two of clock ticks, so a sample costs a shift), exported whole to Prometheus; a Meter has no observable
/// histogram, so dotnet-counters sees the recent percentiles (<see cref="History"/>, sampled every
/// <see cref="SampleInterval"/>) as gauges.
/// </remarks>
public sealed class NodeMetrics : IDisposable
{
    /// <summary>The Meter's name: <c>dotnet-counters monitor --counters FastDht</c>.</summary>
    public const string MeterName = "FastDht";

    /// <summary>How often the recent load (<see cref="History"/>) is sampled.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(5);

    /// <summary>Samples kept: ten minutes at <see cref="SampleInterval"/>.</summary>
    public const int HistoryLength = 120;

    /// <summary>Power-of-two buckets of about a microsecond: 2^0 .. 2^23 (about 8.6 s), then everything slower.</summary>
    private const int Buckets = 25;

    // Counter layout of _latency: per class, Buckets counts then the summed Stopwatch ticks.
    private const int LatencyStride = Buckets + 1;

    private const int NativeOutcomes = 32;
    private static readonly string[] NativeKindNames = ["other", "hello", "ping", "clusterinfo", "nodeinfo", "auth", "snapshot", "get", "put", "putifabsent", "delete", "multiput", "multiget", "lock", "unlock", "renewlease"];
    private static readonly byte[] NativeKindOf = BuildNativeKinds();
    private static readonly string[] NativeOutcomeNames = BuildOutcomeNames();
    private static readonly int RespKinds = Enum.GetValues<RespCommandKind>().Length;
    private static readonly RequestClass[] RespClassOf = BuildRespClasses();
    private static readonly int ClassCount = Enum.GetValues<RequestClass>().Length;
    // Buckets are powers of two of ticks shifted by this, so a sample needs a shift, not a division: the power of two
    // of Stopwatch ticks nearest a microsecond (1024 ticks = 1.024 µs where the clock counts nanoseconds).
    private static readonly int TickShift = Math.Max(0, (int)Math.Round(Math.Log2(Math.Max(1.0, Stopwatch.Frequency / 1_000_000.0))));

    private readonly StripedCounters _operations;
    private readonly StripedCounters _latency;
    private readonly StripedCounters _forwards = new(1);
    private readonly int _respBase;
    private readonly MetricsSample[] _history = new MetricsSample[HistoryLength];
    private readonly ITimer _sampler;
    private readonly Lock _historyLock = new();
    private long[] _lastBuckets = new long[Buckets];
    private long _lastOperations;
    private long _lastSampleTicks = Stopwatch.GetTimestamp();
    private int _historyCount;
    private int _historyNext;

    /// <summary>Metrics for node <paramref name="nodeId"/>, with its Meter (tagged <c>node</c>).</summary>
    public NodeMetrics(ushort nodeId)
    {
        NodeId = nodeId;
        _respBase = NativeKindNames.Length * NativeOutcomes;
        _operations = new StripedCounters(_respBase + (RespKinds * 2));
        _latency = new StripedCounters(ClassCount * LatencyStride);
        Meter = new Meter(new MeterOptions(MeterName) { Version = "1.0", Tags = [new("node", (int)nodeId)] });
        Meter.CreateObservableCounter("fastdht.operations", ObserveOperations, "{operation}", "Requests answered, by protocol, kind and outcome.");
        Meter.CreateObservableCounter("fastdht.forwards", () => _forwards.Sum(0), "{request}", "Client requests this node sent on to the owner of their key.");
        Meter.CreateObservableGauge("fastdht.request.latency.p50", () => Latest().P50Milliseconds, "ms", "Median request latency over the last sample interval (a bucket's upper bound).");
        Meter.CreateObservableGauge("fastdht.request.latency.p99", () => Latest().P99Milliseconds, "ms", "99th percentile request latency over the last sample interval (a bucket's upper bound).");
        _sampler = TimeProvider.System.CreateTimer(static state => ((NodeMetrics)state!).Sample(), this, SampleInterval, SampleInterval);
    }

    /// <summary>The node whose metrics these are.</summary>
    public ushort NodeId { get; }

    /// <summary>The node's instruments; the node adds its connection, byte, lock and lag counters to it.</summary>
    public Meter Meter { get; }

    /// <summary>Client requests forwarded to another node since start.</summary>
    public long Forwards => _forwards.Sum(0);

    /// <summary>Counts one native request answered with <paramref name="status"/>.</summary>
    internal void CountNative(Opcode opcode, StatusCode status) =>
        _operations.Add((NativeKindOf[(byte)opcode] * NativeOutcomes) + OutcomeIndex(status));

    /// <summary>Counts one RESP command, <paramref name="refused"/> when it was not run (ACL, arity, unknown).</summary>
    internal void CountResp(RespCommandKind kind, bool refused) =>
        _operations.Add(_respBase + ((int)kind * 2) + (refused ? 1 : 0));

    /// <summary>The latency group of a RESP command.</summary>
    internal static RequestClass ClassOf(RespCommandKind kind) => (uint)kind < (uint)RespClassOf.Length ? RespClassOf[(int)kind] : RequestClass.RespOther;

    /// <summary>The latency group of a native request.</summary>
    internal static RequestClass ClassOf(Opcode opcode) => opcode switch
    {
        Opcode.Get or Opcode.MultiGet => RequestClass.NativeRead,
        Opcode.Put or Opcode.PutIfAbsent or Opcode.Delete or Opcode.MultiPut => RequestClass.NativeWrite,
        Opcode.Lock or Opcode.Unlock or Opcode.RenewLease => RequestClass.NativeLock,
        _ => RequestClass.NativeOther,
    };

    /// <summary>Records <paramref name="count"/> requests of <paramref name="requestClass"/> that each took <paramref name="elapsedTicks"/> (<see cref="Stopwatch"/> ticks).</summary>
    internal void RecordLatency(RequestClass requestClass, long elapsedTicks, int count = 1)
    {
        var units = (ulong)Math.Max(0, elapsedTicks) >> TickShift;
        // Bucket i holds up to 2^i units (about 2^i µs; BoundSeconds says exactly): 0 and 1 in bucket 0, 2 in 1, 3-4 in 2, ...
        var bucket = units <= 1 ? 0 : Math.Min(Buckets - 1, 64 - System.Numerics.BitOperations.LeadingZeroCount(units - 1));
        var at = (int)requestClass * LatencyStride;
        _latency.Add(at + bucket, count);
        _latency.Add(at + Buckets, elapsedTicks * count);
    }

    /// <summary>Counts one request sent on to its key's owner.</summary>
    internal void CountForward() => _forwards.Add(0);

    /// <summary>Every (protocol, kind, outcome) counted so far with its count; kinds never seen are left out.</summary>
    public IReadOnlyList<OperationCount> GetOperations()
    {
        var list = new List<OperationCount>();
        for (var kind = 0; kind < NativeKindNames.Length; kind++)
        {
            for (var outcome = 0; outcome < NativeOutcomes; outcome++)
            {
                var n = _operations.Sum((kind * NativeOutcomes) + outcome);
                if (n != 0)
                    list.Add(new OperationCount("native", NativeKindNames[kind], NativeOutcomeNames[outcome], n));
            }
        }
        for (var kind = 0; kind < RespKinds; kind++)
        {
            for (var refused = 0; refused < 2; refused++)
            {
                var n = _operations.Sum(_respBase + (kind * 2) + refused);
                if (n != 0)
                    list.Add(new OperationCount("resp", RespKindName((RespCommandKind)kind), refused == 0 ? "ok" : "refused", n));
            }
        }
        return list;
    }

    /// <summary>Requests answered so far, over every protocol, kind and outcome.</summary>
    public long TotalOperations()
    {
        long total = 0;
        for (var i = 0; i < _operations.Count; i++)
            total += _operations.Sum(i);
        return total;
    }

    /// <summary>The latency histogram of one group of requests.</summary>
    public LatencySnapshot GetLatency(RequestClass requestClass)
    {
        var at = (int)requestClass * LatencyStride;
        var bounds = new double[Buckets - 1];
        var counts = new long[Buckets];
        for (var i = 0; i < Buckets; i++)
        {
            counts[i] = _latency.Sum(at + i);
            if (i < Buckets - 1)
                bounds[i] = BoundSeconds(i);
        }
        return new LatencySnapshot(requestClass, bounds, counts, _latency.Sum(at + Buckets) / (double)Stopwatch.Frequency);
    }

    /// <summary>The recent load, oldest first: one sample per <see cref="SampleInterval"/>, up to <see cref="HistoryLength"/>.</summary>
    public IReadOnlyList<MetricsSample> History
    {
        get
        {
            lock (_historyLock)
            {
                var list = new MetricsSample[_historyCount];
                var start = (_historyNext - _historyCount + HistoryLength) % HistoryLength;
                for (var i = 0; i < _historyCount; i++)
                    list[i] = _history[(start + i) % HistoryLength];
                return list;
            }
        }
    }

    /// <summary>Stops sampling and the Meter (its listeners see its instruments end).</summary>
    public void Dispose()
    {
        _sampler.Dispose();
        Meter.Dispose();
    }

    private MetricsSample Latest()
    {
        lock (_historyLock)
            return _historyCount == 0 ? default : _history[(_historyNext - 1 + HistoryLength) % HistoryLength];
    }

    /// <summary>Takes one sample: the rate and percentiles since the previous one (a timer, off the request path).</summary>
    private void Sample()
    {
        lock (_historyLock)
        {
            var now = Stopwatch.GetTimestamp();
            var seconds = Math.Max(1e-3, (now - _lastSampleTicks) / (double)Stopwatch.Frequency);
            var operations = TotalOperations();
            var buckets = new long[Buckets];
            for (var c = 0; c < ClassCount; c++)
            {
                for (var i = 0; i < Buckets; i++)
                    buckets[i] += _latency.Sum((c * LatencyStride) + i);
            }
            var delta = new long[Buckets];
            long total = 0;
            for (var i = 0; i < Buckets; i++)
            {
                delta[i] = Math.Max(0, buckets[i] - _lastBuckets[i]);
                total += delta[i];
            }
            _history[_historyNext] = new MetricsSample(
                DateTimeOffset.UtcNow,
                Math.Max(0, operations - _lastOperations) / seconds,
                Percentile(delta, total, 0.50),
                Percentile(delta, total, 0.99));
            _historyNext = (_historyNext + 1) % HistoryLength;
            _historyCount = Math.Min(HistoryLength, _historyCount + 1);
            _lastBuckets = buckets;
            _lastOperations = operations;
            _lastSampleTicks = now;
        }
    }

    /// <summary>The upper bound (ms) of the bucket holding the <paramref name="quantile"/>th request; the slowest bucket reports its lower bound.</summary>
    private static double Percentile(long[] counts, long total, double quantile)
    {
        if (total == 0)
            return 0;
        var rank = (long)Math.Ceiling(total * quantile);
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
                return BoundSeconds(Math.Min(i, Buckets - 2)) * 1000;
        }
        return BoundSeconds(Buckets - 2) * 1000;
    }

    /// <summary>Bucket <paramref name="bucket"/>'s upper bound in seconds: 2^(bucket + shift) Stopwatch ticks.</summary>
    private static double BoundSeconds(int bucket) => (1L << (bucket + TickShift)) / (double)Stopwatch.Frequency;

    private IEnumerable<Measurement<long>> ObserveOperations()
    {
        foreach (var op in GetOperations())
            yield return new Measurement<long>(op.Count, new("protocol", op.Protocol), new("kind", op.Kind), new("outcome", op.Outcome));
    }

    private static int OutcomeIndex(StatusCode status)
    {
        var code = (int)status;
        if (code < 3)
            return code;
        var index = code - 0x100 + 3;
        return (uint)index < NativeOutcomes - 1 ? index : NativeOutcomes - 1;
    }

    private static byte[] BuildNativeKinds()
    {
        var table = new byte[256];
        Opcode[] kinds = [Opcode.Hello, Opcode.Ping, Opcode.ClusterInfo, Opcode.NodeInfo, Opcode.Auth, Opcode.Snapshot, Opcode.Get, Opcode.Put, Opcode.PutIfAbsent, Opcode.Delete, Opcode.MultiPut, Opcode.MultiGet, Opcode.Lock, Opcode.Unlock, Opcode.RenewLease];
        for (var i = 0; i < kinds.Length; i++)
            table[(byte)kinds[i]] = (byte)(i + 1);
        return table;
    }

    private static string[] BuildOutcomeNames()
    {
        var names = new string[NativeOutcomes];
        for (var i = 0; i < NativeOutcomes; i++)
            names[i] = "other";
        foreach (var status in Enum.GetValues<StatusCode>())
        {
            var index = OutcomeIndex(status);
            if (index < NativeOutcomes - 1)
                names[index] = SnakeCase(status.ToString());
        }
        return names;
    }

    private static RequestClass[] BuildRespClasses()
    {
        var classes = new RequestClass[RespKinds];
        for (var kind = 0; kind < RespKinds; kind++)
        {
            var spec = RespCommandSpecs.Get((RespCommandKind)kind);
            classes[kind] = spec is null ? RequestClass.RespOther
                : Array.IndexOf(spec.Flags, "write") >= 0 ? RequestClass.RespWrite
                : Array.IndexOf(spec.Flags, "readonly") >= 0 ? RequestClass.RespRead
                : RequestClass.RespOther;
        }
        return classes;
    }

    private static string RespKindName(RespCommandKind kind) => RespCommandSpecs.Get(kind)?.Name ?? kind.ToString().ToLowerInvariant();

    private static string SnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
                builder.Append('_');
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }
}
