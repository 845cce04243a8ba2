using System.Diagnostics;

namespace FastDht.LoadGen.Reporting;

/// <summary>
/// Every timed operation of a window of a run, with when it ended and how long it took, so that the run can be cut
/// afterwards by what the cluster was doing while each operation ran (the rebalance's join, copies and handovers last
/// milliseconds to a second: a per-second histogram mixes them).
/// </summary>
/// <remarks>
/// Two preallocated arrays and one interlocked increment per operation: no allocation while the load runs. Logging
/// stops when the arrays are full (<see cref="Dropped"/> counts what was left out). Read only after the workers ended.
/// </remarks>
public sealed class RequestLog
{
    private readonly long[] _ends;
    private readonly int[] _latencies;
    private int _next;
    private long _dropped;
    private volatile bool _on;

    /// <param name="capacity">How many operations fit (12 bytes each).</param>
    public RequestLog(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ends = new long[capacity];
        _latencies = new int[capacity];
    }

    /// <summary>Operations logged.</summary>
    public int Count => Math.Min(Volatile.Read(ref _next), _ends.Length);

    /// <summary>Operations that ended while logging was on but found the log full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Starts logging (operations that end from now on).</summary>
    public void Start() => _on = true;

    /// <summary>Stops logging.</summary>
    public void Stop() => _on = false;

    /// <summary>Logs an operation that ends now and took <paramref name="nanoseconds"/>.</summary>
    public void Add(long nanoseconds) => Add(Stopwatch.GetTimestamp(), nanoseconds);

    /// <summary>Logs an operation that ended at <paramref name="end"/> (a <see cref="Stopwatch"/> timestamp) and took <paramref name="nanoseconds"/>.</summary>
    internal void Add(long end, long nanoseconds)
    {
        if (!_on)
            return;
        var i = Interlocked.Increment(ref _next) - 1;
        if (i >= _ends.Length)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }
        _ends[i] = end;
        // In units of 100 ns: up to 214 s, finer than the 1 µs a p99 is read at.
        _latencies[i] = (int)Math.Min(nanoseconds / 100, int.MaxValue);
    }

    /// <summary>The end of operation <paramref name="i"/>, a <see cref="Stopwatch"/> timestamp.</summary>
    public long EndOf(int i) => _ends[i];

    /// <summary>How long operation <paramref name="i"/> took, in nanoseconds (at 100 ns resolution).</summary>
    public long NanosecondsOf(int i) => _latencies[i] * 100L;
}
