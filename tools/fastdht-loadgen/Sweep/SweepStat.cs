namespace FastDht.LoadGen.Sweep;

/// <summary>One figure over a point's repeats: the median, and the smallest and largest value seen.</summary>
/// <remarks>
/// Median and min–max rather than a mean and a t-interval: with 5 repeats a t-interval leans on a normal distribution
/// the runs do not have (one run disturbed by the shared machine is an outlier, not a sample of a bell curve), and
/// min–max claims nothing it has not seen. Two points whose ranges do not overlap differ beyond the noise of these runs.
/// </remarks>
public readonly record struct SweepStat(double Median, double Min, double Max)
{
    /// <summary>The median (the mean of the middle two for an even count), min and max of <paramref name="values"/>.</summary>
    public static SweepStat Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
            return default;
        var sorted = new double[values.Count];
        for (var i = 0; i < sorted.Length; i++)
            sorted[i] = values[i];
        Array.Sort(sorted);
        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new SweepStat(median, sorted[0], sorted[^1]);
    }

    /// <summary>True when every value seen here is above every value seen in <paramref name="other"/>: a difference beyond the noise.</summary>
    public bool IsAbove(SweepStat other) => Min > other.Max;
}
