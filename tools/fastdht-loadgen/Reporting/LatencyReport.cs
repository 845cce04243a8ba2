using HdrHistogram;

namespace FastDht.LoadGen.Reporting;

/// <summary>Latency percentiles of one operation kind, in microseconds.</summary>
public sealed record LatencyReport(double P50, double P90, double P99, double P999, double Max, double Mean)
{
    /// <summary>Reads the percentiles from a histogram recorded in nanoseconds.</summary>
    public static LatencyReport FromNanoseconds(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (histogram.TotalCount == 0)
            return new LatencyReport(0, 0, 0, 0, 0, 0);
        static double Us(long ns) => ns / 1000.0;
        return new LatencyReport(
            Us(histogram.GetValueAtPercentile(50)),
            Us(histogram.GetValueAtPercentile(90)),
            Us(histogram.GetValueAtPercentile(99)),
            Us(histogram.GetValueAtPercentile(99.9)),
            Us(histogram.GetMaxValue()),
            histogram.GetMean() / 1000.0);
    }
}
