namespace FastDht.Engine.Diagnostics;

/// <summary>One latency histogram at one moment: how many requests took at most each bound, and their total time.</summary>
/// <param name="Class">What the requests were.</param>
/// <param name="UpperBoundsSeconds">Each bucket's upper bound, rising; the last bucket (no bound) is everything slower.</param>
/// <param name="Counts">Requests per bucket (not cumulative); one more entry than <paramref name="UpperBoundsSeconds"/>.</param>
/// <param name="SumSeconds">The requests' total time.</param>
public sealed record LatencySnapshot(RequestClass Class, IReadOnlyList<double> UpperBoundsSeconds, IReadOnlyList<long> Counts, double SumSeconds)
{
    /// <summary>Every request counted.</summary>
    public long Count
    {
        get
        {
            long total = 0;
            foreach (var c in Counts)
                total += c;
            return total;
        }
    }
}
