using System.Diagnostics;
using FastDht.LoadGen.Reporting;
using HdrHistogram;

namespace FastDht.LoadGen.Rebalance;

/// <summary>
/// Cuts the logged operations of a rebalance run by what the cluster did while each ran: an operation that overlapped
/// a handover counts for the handover, else one that overlapped the old owner's drop, the catch-up, the copy, the join
/// or a node's leave, in that order; the others ran before, after, or between the steps. Also over the whole rebalance
/// and over the moves alone (the join and the leave left out), per step of a resize, and per 100 ms of the rebalance
/// for the time series.
/// </summary>
internal sealed class RequestsByPhase
{
    /// <summary>The phases in the order an overlapping operation is given to them (the shortest, most suspect first).</summary>
    public static readonly string[] Overlapping = ["handover", "drop", "catch-up", "copy", "join", "leave"];

    /// <summary>The phase of an interval that spans one whole step of a resize (its join or leave and its moves), named by the interval's step.</summary>
    public const string StepSpan = "step";

    /// <summary>The phase of an interval that spans one step's moves, from its first copy to its last drop.</summary>
    public const string MovesSpan = "moves";

    private static readonly string[] Rows = ["before", "join", "copy", "catch-up", "handover", "drop", "leave", "between", "after"];

    private readonly Dictionary<string, LongHistogram> _byPhase = new(StringComparer.Ordinal);

    private readonly List<(string Step, LongHistogram Operations)> _steps = [];

    private RequestsByPhase()
    {
        foreach (var row in Rows)
            _byPhase[row] = NewHistogram();
    }

    /// <summary>Every operation that overlapped the rebalance (from the node's start to the last move's end).</summary>
    public LongHistogram Rebalance { get; } = NewHistogram();

    /// <summary>Every operation that overlapped the moves (from the first move's start to the last one's end; in a resize, a step's moves): the join and the leave left out.</summary>
    public LongHistogram Moves { get; } = NewHistogram();

    /// <summary>The operations that overlapped each step of a resize, in the order of the steps; empty without step spans.</summary>
    public IReadOnlyList<(string Step, LongHistogram Operations)> Steps => _steps;

    /// <summary>The 100 ms windows from 1 s before the rebalance to 1 s after it, by the end of their operations.</summary>
    public List<(double Second, string Phase, long Operations, double P99Microseconds)> Windows { get; } = [];

    /// <summary>The histogram of <paramref name="phase"/> (one of the rows).</summary>
    public LongHistogram Of(string phase) => _byPhase[phase];

    /// <summary>The rows of the table, in order.</summary>
    public static IReadOnlyList<string> Phases => Rows;

    public static RequestsByPhase Cut(RequestLog log, IReadOnlyList<RebalanceInterval> intervals, long runStart)
    {
        var result = new RequestsByPhase();
        if (intervals.Count == 0)
            return result;
        long begin = long.MaxValue, end = long.MinValue, movesBegin = long.MaxValue;
        var stepSpans = new List<RebalanceInterval>();
        var moveSpans = new List<RebalanceInterval>();
        foreach (var interval in intervals)
        {
            begin = Math.Min(begin, interval.Start);
            end = Math.Max(end, interval.End);
            if (interval.Phase == StepSpan)
            {
                stepSpans.Add(interval);
                result._steps.Add((interval.Step ?? "step", NewHistogram()));
            }
            else if (interval.Phase == MovesSpan)
            {
                moveSpans.Add(interval);
            }
            else if (interval.Phase is not "join" and not "leave")
            {
                movesBegin = Math.Min(movesBegin, interval.Start);
            }
        }
        // Without spans (one rebalance): the rebalance is all of it, the moves from the first copy on.
        if (stepSpans.Count == 0)
            stepSpans.Add(new RebalanceInterval(StepSpan, begin, end));
        if (moveSpans.Count == 0 && movesBegin <= end)
            moveSpans.Add(new RebalanceInterval(MovesSpan, movesBegin, end));
        var window = Stopwatch.Frequency / 10;
        var windowsFrom = begin - Stopwatch.Frequency;
        var windowCount = (int)((end + Stopwatch.Frequency - windowsFrom) / window) + 1;
        var windows = new LongHistogram[windowCount];
        var windowPhases = new string[windowCount];
        for (var w = 0; w < windowCount; w++)
        {
            windows[w] = NewHistogram();
            var middle = windowsFrom + w * window + window / 2;
            windowPhases[w] = middle < begin ? "before" : middle > end ? "after" : PhaseAt(intervals, middle);
        }
        var ticksPerNanosecond = Stopwatch.Frequency / 1e9;
        for (var i = 0; i < log.Count; i++)
        {
            var ns = Math.Max(1, log.NanosecondsOf(i));
            var stop = log.EndOf(i);
            var start = stop - (long)(ns * ticksPerNanosecond);
            var phase = start > end ? "after" : stop < begin ? "before" : Overlapped(intervals, start, stop);
            result._byPhase[phase].RecordValue(ns);
            if (OverlapsAny(stepSpans, start, stop))
                result.Rebalance.RecordValue(ns);
            if (OverlapsAny(moveSpans, start, stop))
                result.Moves.RecordValue(ns);
            for (var s = 0; s < result._steps.Count; s++)
            {
                if (start <= stepSpans[s].End && stop >= stepSpans[s].Start)
                    result._steps[s].Operations.RecordValue(ns);
            }
            var w = (stop - windowsFrom) / window;
            if (w >= 0 && w < windowCount)
                windows[w].RecordValue(ns);
        }
        for (var w = 0; w < windowCount; w++)
        {
            var second = (windowsFrom + w * window + window - runStart) / (double)Stopwatch.Frequency;
            var p99 = windows[w].TotalCount == 0 ? 0 : windows[w].GetValueAtPercentile(99) / 1000.0;
            result.Windows.Add((Math.Round(second, 1), windowPhases[w], windows[w].TotalCount, p99));
        }
        return result;
    }

    /// <summary>
    /// What the cluster did while an operation from <paramref name="start"/> to <paramref name="stop"/> ran (the phase
    /// it counts for, as in <see cref="Cut"/>), and the step of a resize it overlapped (null for none, or without steps).
    /// </summary>
    public static (string Phase, string? Step) PhaseOf(IReadOnlyList<RebalanceInterval> intervals, long start, long stop)
    {
        long begin = long.MaxValue, end = long.MinValue;
        string? step = null;
        foreach (var interval in intervals)
        {
            begin = Math.Min(begin, interval.Start);
            end = Math.Max(end, interval.End);
            if (step is null && interval.Phase == StepSpan && start <= interval.End && stop >= interval.Start)
                step = interval.Step;
        }
        var phase = intervals.Count == 0 || stop < begin ? "before" : start > end ? "after" : Overlapped(intervals, start, stop);
        return (phase, step);
    }

    private static string Overlapped(IReadOnlyList<RebalanceInterval> intervals, long start, long stop)
    {
        foreach (var phase in Overlapping)
        {
            foreach (var interval in intervals)
            {
                if (interval.Phase == phase && start <= interval.End && stop >= interval.Start)
                    return phase;
            }
        }
        return "between";
    }

    private static bool OverlapsAny(List<RebalanceInterval> spans, long start, long stop)
    {
        foreach (var span in spans)
        {
            if (start <= span.End && stop >= span.Start)
                return true;
        }
        return false;
    }

    private static string PhaseAt(IReadOnlyList<RebalanceInterval> intervals, long at) => Overlapped(intervals, at, at);

    private static LongHistogram NewHistogram() => new(1, 60_000_000_000, 3);
}
