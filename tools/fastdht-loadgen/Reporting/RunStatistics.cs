using System.Collections.Concurrent;
using FastDht.LoadGen.Workloads;
using HdrHistogram;

namespace FastDht.LoadGen.Reporting;

/// <summary>
/// Thread-safe counters and latency recorders for a run, shared by every worker: recording is wait-free
/// (HdrHistogram's Recorder) and counting is one interlocked add, so measuring does not become the bottleneck.
/// </summary>
/// <remarks>
/// Latencies are recorded in nanoseconds from 1 ns to 60 s at 3 significant digits (0.1% resolution), enough to
/// tell a 20 µs p50 from a 21 µs one and to keep a multi-second stall visible as the max.
/// </remarks>
public sealed class RunStatistics
{
    private const long HighestTrackableNanoseconds = 60_000_000_000;

    /// <summary>How many operation kinds there are (an array indexed by kind has this length).</summary>
    public static readonly int KindCount = Enum.GetValues<OperationKind>().Length;

    private readonly Recorder[] _recorders;
    // The interval histogram each recorder last handed out, handed back to it at the next tick: without it every tick
    // allocated a new ~200 KiB histogram per kind on the large-object heap (a gen2 collection's trigger) and the
    // loadgen's progress loop took 14% of the client's CPU samples at three nodes (docs/benchmarks.md).
    private readonly HistogramBase?[] _intervals;
    // 1 once a kind recorded something since the last tick: a tick skips the kinds a workload never uses.
    private readonly int[] _recordedSinceTick;
    private readonly HistogramBase[] _totals;
    private readonly long[] _successes;
    private readonly long[] _misses;
    private readonly long[] _errors;
    private readonly LongHistogram _window = new(1, HighestTrackableNanoseconds, 3);
    private readonly ConcurrentDictionary<string, long> _errorsByKind = new(StringComparer.Ordinal);
    private long _aborts;
    private long _gaveUp;
    private long _maxAttempts;

    public RunStatistics()
    {
        _recorders = new Recorder[KindCount];
        _intervals = new HistogramBase?[KindCount];
        _recordedSinceTick = new int[KindCount];
        _totals = new HistogramBase[KindCount];
        for (var i = 0; i < KindCount; i++)
        {
            _recorders[i] = HistogramFactory.With64BitBucketSize()
                .WithValuesFrom(1)
                .WithValuesUpTo(HighestTrackableNanoseconds)
                .WithPrecisionOf(3)
                .WithThreadSafeWrites()
                .WithThreadSafeReads()
                .Create();
            _totals[i] = new LongHistogram(1, HighestTrackableNanoseconds, 3);
        }
        _successes = new long[KindCount];
        _misses = new long[KindCount];
        _errors = new long[KindCount];
    }

    public void RecordSuccess(OperationKind kind, long nanoseconds) => Record(kind, nanoseconds, _successes);

    public void RecordMiss(OperationKind kind, long nanoseconds) => Record(kind, nanoseconds, _misses);

    /// <summary>
    /// Counts <paramref name="count"/> successes and <paramref name="misses"/> misses of one kind that took the same time
    /// (the requests of one batch): one interlocked add each and one histogram record with a count, not one per request.
    /// </summary>
    public void RecordBatch(OperationKind kind, long nanoseconds, long count, long misses)
    {
        if (count > 0)
            Interlocked.Add(ref _successes[(int)kind], count);
        if (misses > 0)
            Interlocked.Add(ref _misses[(int)kind], misses);
        if (count + misses == 0)
            return;
        _recorders[(int)kind].RecordValueWithCount(Math.Clamp(nanoseconds, 1, HighestTrackableNanoseconds), count + misses);
        MarkRecorded(kind);
        if (Log is { } log)
        {
            // Each request is logged, as a single call's is: they all ended now.
            var end = System.Diagnostics.Stopwatch.GetTimestamp();
            for (var i = 0; i < count + misses; i++)
                log.Add(end, nanoseconds);
        }
    }

    /// <summary>Counts a failed operation; its latency is not recorded (a timeout would only say "the timeout").</summary>
    public void RecordError(OperationKind kind, string errorKind)
    {
        Interlocked.Increment(ref _errors[(int)kind]);
        _errorsByKind.AddOrUpdate(errorKind, 1, static (_, n) => n + 1);
    }

    /// <summary>Counts attempts the lock strategy aborted (and the coordinator retried).</summary>
    public void RecordAborts(long aborts)
    {
        if (aborts > 0)
            Interlocked.Add(ref _aborts, aborts);
    }

    /// <summary>Counts a transaction that gave up after <paramref name="attempts"/> attempts, every one of them aborted.</summary>
    public void RecordGaveUp(long attempts)
    {
        Interlocked.Increment(ref _gaveUp);
        RecordAborts(attempts);
        RecordAttempts(attempts);
    }

    /// <summary>Notes how many attempts one transaction took, for the largest (how long the unluckiest one had to retry).</summary>
    public void RecordAttempts(long attempts)
    {
        var seen = Volatile.Read(ref _maxAttempts);
        while (attempts > seen)
        {
            var previous = Interlocked.CompareExchange(ref _maxAttempts, attempts, seen);
            if (previous == seen)
                return;
            seen = previous;
        }
    }

    public long Completed
    {
        get
        {
            long n = 0;
            for (var i = 0; i < KindCount; i++)
                n += Volatile.Read(ref _successes[i]) + Volatile.Read(ref _misses[i]) + Volatile.Read(ref _errors[i]);
            return n;
        }
    }

    public long ErrorCount
    {
        get
        {
            long n = 0;
            for (var i = 0; i < KindCount; i++)
                n += Volatile.Read(ref _errors[i]);
            return n;
        }
    }

    /// <summary>
    /// Moves what the recorders gathered since the last call into the totals; called by the progress loop, so the
    /// totals lag by at most one tick and the recorders never grow.
    /// </summary>
    public void Accumulate()
    {
        // One caller at a time: the rebalance run's sampler and the progress loop both tick, and a recycled interval
        // histogram must go back to its recorder once.
        lock (_intervals)
            AccumulateLocked();
    }

    private void AccumulateLocked()
    {
        for (var i = 0; i < KindCount; i++)
        {
            // Cleared before the swap: a value recorded after the swap marks the kind again for the next tick.
            if (Interlocked.Exchange(ref _recordedSinceTick[i], 0) == 0)
                continue;
            var interval = _recorders[i].GetIntervalHistogram(_intervals[i]);
            _intervals[i] = interval;
            lock (_totals[i])
                _totals[i].Add(interval);
            lock (_window)
                _window.Add(interval);
        }
    }

    /// <summary>
    /// The 99th percentile, in microseconds, of every operation timed since the last call (all kinds together), then
    /// forgets them: a time series' point (the rebalance run). 0 when nothing was timed.
    /// </summary>
    public double TakeWindowP99Microseconds()
    {
        Accumulate();
        lock (_window)
        {
            var p99 = _window.TotalCount == 0 ? 0 : _window.GetValueAtPercentile(99) / 1000.0;
            _window.Reset();
            return p99;
        }
    }

    /// <summary>Forgets everything recorded so far: the end of the warm-up.</summary>
    public void Reset()
    {
        for (var i = 0; i < KindCount; i++)
        {
            _recorders[i].Reset();
            lock (_totals[i])
                _totals[i].Reset();
            Interlocked.Exchange(ref _successes[i], 0);
            Interlocked.Exchange(ref _misses[i], 0);
            Interlocked.Exchange(ref _errors[i], 0);
        }
        Interlocked.Exchange(ref _aborts, 0);
        Interlocked.Exchange(ref _gaveUp, 0);
        Interlocked.Exchange(ref _maxAttempts, 0);
        _errorsByKind.Clear();
    }

    /// <summary>Builds the report for a measured window of the given length.</summary>
    public LoadReport BuildReport(LoadReport header, double seconds)
    {
        ArgumentNullException.ThrowIfNull(header);
        Accumulate();
        var byOperation = new List<OperationReport>();
        long successes = 0, misses = 0, errors = 0;
        long committed = 0;
        var anyTransactions = false;
        for (var i = 0; i < KindCount; i++)
        {
            var s = Volatile.Read(ref _successes[i]);
            var m = Volatile.Read(ref _misses[i]);
            var e = Volatile.Read(ref _errors[i]);
            var n = s + m + e;
            if (n == 0)
                continue;
            var kind = (OperationKind)i;
            LatencyReport latency;
            lock (_totals[i])
                latency = LatencyReport.FromNanoseconds(_totals[i]);
            byOperation.Add(new OperationReport(kind.ToString(), n, seconds > 0 ? n / seconds : 0, s, m, e, latency));
            successes += s;
            misses += m;
            errors += e;
            if (kind is OperationKind.MultiPut)
            {
                committed += s;
                anyTransactions = true;
            }
        }
        var total = successes + misses + errors;
        var aborts = Volatile.Read(ref _aborts);
        var gaveUp = Volatile.Read(ref _gaveUp);
        var errorsByKind = new SortedDictionary<string, long>(_errorsByKind, StringComparer.Ordinal);
        return header with
        {
            DurationSeconds = seconds,
            Operations = total,
            Successes = successes,
            Misses = misses,
            Errors = errors,
            Throughput = seconds > 0 ? total / seconds : 0,
            ByOperation = byOperation,
            Transactions = anyTransactions
                ? new TransactionReport(
                    committed,
                    gaveUp,
                    aborts,
                    committed > 0 ? aborts / (double)committed : 0,
                    committed + aborts > 0 ? aborts / (double)(committed + aborts) : 0,
                    Volatile.Read(ref _maxAttempts))
                : null,
            ErrorsByKind = errorsByKind,
        };
    }

    /// <summary>When set, every timed operation is also logged with its end (the rebalance run cuts it by phase).</summary>
    public RequestLog? Log { get; set; }

    /// <summary>When set, every measured failed operation is also kept here with its times and message (the rebalance run says where each one failed; failures are rare, so one allocation each is fine).</summary>
    public ConcurrentQueue<FailedOperation>? Failures { get; set; }

    private void Record(OperationKind kind, long nanoseconds, long[] counter)
    {
        Interlocked.Increment(ref counter[(int)kind]);
        Log?.Add(nanoseconds);
        _recorders[(int)kind].RecordValue(Math.Clamp(nanoseconds, 1, HighestTrackableNanoseconds));
        MarkRecorded(kind);
    }

    /// <summary>Marks the kind for the next tick; a read first, so workers do not all write one shared line per request.</summary>
    private void MarkRecorded(OperationKind kind)
    {
        if (Volatile.Read(ref _recordedSinceTick[(int)kind]) == 0)
            Volatile.Write(ref _recordedSinceTick[(int)kind], 1);
    }
}
