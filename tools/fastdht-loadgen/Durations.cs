using System.Globalization;

namespace FastDht.LoadGen;

/// <summary>Short durations on the command line and in reports: "0", "100us" (or "100µs"), "2ms", "1.5s".</summary>
internal static class Durations
{
    /// <summary>Reads a duration with its unit (us, µs, ms, s); a bare "0" is zero.</summary>
    /// <exception cref="FormatException">No number, or a unit other than us, µs, ms, s.</exception>
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t == "0")
            return TimeSpan.Zero;
        (string unit, double scale) = t.EndsWith("us", StringComparison.OrdinalIgnoreCase) ? ("us", 1e-6)
            : t.EndsWith("µs", StringComparison.Ordinal) ? ("µs", 1e-6)
            : t.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? ("ms", 1e-3)
            : t.EndsWith('s') ? ("s", 1.0)
            : throw new FormatException($"'{text}' needs a unit: us, ms or s (e.g. 500us, 2ms)");
        var number = t[..^unit.Length];
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < 0)
            throw new FormatException($"'{text}' is not a duration (e.g. 500us, 2ms)");
        return TimeSpan.FromTicks((long)Math.Round(value * scale * TimeSpan.TicksPerSecond));
    }

    /// <summary>"0", "100us", "2ms" or "1.5s": the largest unit that keeps the number at 1 or more.</summary>
    public static string Format(TimeSpan duration)
    {
        var c = CultureInfo.InvariantCulture;
        if (duration == TimeSpan.Zero)
            return "0";
        if (duration < TimeSpan.FromMilliseconds(1))
            return (duration.Ticks / 10.0).ToString("0.#", c) + "us";
        if (duration < TimeSpan.FromSeconds(1))
            return duration.TotalMilliseconds.ToString("0.###", c) + "ms";
        return duration.TotalSeconds.ToString("0.###", c) + "s";
    }
}
