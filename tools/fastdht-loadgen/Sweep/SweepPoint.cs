namespace FastDht.LoadGen.Sweep;

/// <summary>One strategy at one level over all its repeats: medians with their min–max, and the worst case seen.</summary>
/// <param name="Strategy">The lock strategy.</param>
/// <param name="Level">Index of the level, in the order swept.</param>
/// <param name="Contention">The level's label ("zipf 0.9", "keys 1000", "rtt 500us").</param>
/// <param name="Repeats">How many runs the point summarises.</param>
/// <param name="CommittedPerSecond">Committed MultiPuts per second.</param>
/// <param name="AbortRate">Aborted attempts over all attempts (exact: the attempts of MultiPuts that gave up included).</param>
/// <param name="RetriesPerCommitted">Aborted attempts per committed MultiPut (median).</param>
/// <param name="GaveUp">MultiPuts that gave up, summed over the repeats.</param>
/// <param name="Errors">Failed operations, summed over the repeats.</param>
/// <param name="P99Microseconds">MultiPut latency, 99th percentile.</param>
/// <param name="MaxMicroseconds">The longest MultiPut over every repeat.</param>
/// <param name="MaxAttempts">The most attempts one MultiPut needed over every repeat.</param>
public sealed record SweepPoint(
    string Strategy,
    int Level,
    string Contention,
    int Repeats,
    SweepStat CommittedPerSecond,
    SweepStat AbortRate,
    double RetriesPerCommitted,
    long GaveUp,
    long Errors,
    SweepStat P99Microseconds,
    double MaxMicroseconds,
    long MaxAttempts)
{
    /// <summary>Summarises the runs of one strategy at one level.</summary>
    public static SweepPoint Of(IReadOnlyList<SweepRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
            throw new ArgumentException("a point needs at least one run", nameof(runs));
        var committed = new double[runs.Count];
        var abortRate = new double[runs.Count];
        var retries = new double[runs.Count];
        var p99 = new double[runs.Count];
        long gaveUp = 0, errors = 0, maxAttempts = 0;
        double max = 0;
        for (var i = 0; i < runs.Count; i++)
        {
            var r = runs[i];
            committed[i] = r.CommittedPerSecond;
            abortRate[i] = r.AbortRate;
            retries[i] = r.RetriesPerCommitted;
            p99[i] = r.P99Microseconds;
            gaveUp += r.GaveUp;
            errors += r.Errors;
            maxAttempts = Math.Max(maxAttempts, r.MaxAttempts);
            max = Math.Max(max, r.MaxMicroseconds);
        }
        var first = runs[0];
        return new SweepPoint(first.Strategy, first.Level, first.Contention, runs.Count, SweepStat.Of(committed), SweepStat.Of(abortRate),
            SweepStat.Of(retries).Median, gaveUp, errors, SweepStat.Of(p99), max, maxAttempts);
    }
}
