using System.Globalization;

namespace FastDht.Engine.Node;

/// <summary>
/// The one duration syntax of every FastDht command line and config file (fastdht-node, fastdht, fastdht-loadgen): a
/// number with a unit, <c>us</c> (or <c>µs</c>), <c>ms</c>, <c>s</c>, <c>m</c> or <c>h</c> (<c>500us</c>, <c>250ms</c>,
/// <c>1.5s</c>, <c>2m</c>). A bare number is refused, so <c>5</c> can never be taken for seconds by one tool and
/// milliseconds by another; only <c>0</c>, the same in every unit, needs none.
/// </summary>
public static class DurationText
{
    /// <summary>What a refusal adds after the text: the syntax, with examples.</summary>
    public const string Syntax = "a number with a unit, us, ms, s, m or h: 500ms, 5s, 1m";

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="problem"/> says why, quoting the text.</summary>
    /// <param name="text">The text as given.</param>
    /// <param name="maximum">The longest duration accepted.</param>
    /// <param name="value">The duration.</param>
    /// <param name="problem">Null on success, else one line naming the text and the syntax.</param>
    public static bool TryParse(string text, TimeSpan maximum, out TimeSpan value, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = TimeSpan.Zero;
        var s = text.Trim();
        var end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.'))
            end++;
        var unit = s[end..].Trim();
        var toMicroseconds = MicrosecondsPer(unit);
        if (end == 0 || !double.TryParse(s.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)
            || (toMicroseconds == 0 && !(unit.Length == 0 && n == 0)))
        {
            problem = end > 0 && unit.Length == 0
                ? $"'{text}' is not a duration: a bare number is not taken, write {s}s or {s}ms (units: us, ms, s, m, h)"
                : $"'{text}' is not a duration ({Syntax})";
            return false;
        }
        var microseconds = n * toMicroseconds;
        if (microseconds > maximum.TotalMicroseconds)
        {
            problem = $"'{text}' is longer than {Describe(maximum)}";
            return false;
        }
        value = TimeSpan.FromTicks((long)Math.Round(microseconds * TimeSpan.TicksPerMicrosecond));
        problem = null;
        return true;
    }

    /// <summary>Microseconds per one of <paramref name="unit"/> (any case; <c>µs</c> as written); 0 when it is not a unit.</summary>
    private static double MicrosecondsPer(string unit) =>
        unit.Equals("us", StringComparison.OrdinalIgnoreCase) || unit == "µs" ? 1
        : unit.Equals("ms", StringComparison.OrdinalIgnoreCase) ? 1000
        : unit.Equals("s", StringComparison.OrdinalIgnoreCase) ? 1_000_000
        : unit.Equals("m", StringComparison.OrdinalIgnoreCase) ? 60_000_000
        : unit.Equals("h", StringComparison.OrdinalIgnoreCase) ? 3_600_000_000
        : 0;

    /// <summary>Parses <paramref name="text"/> or throws a <see cref="FormatException"/> whose message says why.</summary>
    /// <exception cref="FormatException">Not a duration, or longer than <paramref name="maximum"/>.</exception>
    public static TimeSpan Parse(string text, TimeSpan maximum) =>
        TryParse(text, maximum, out var value, out var problem) ? value : throw new FormatException(problem);

    /// <summary>
    /// A duration the way it would be typed, in the largest unit that keeps the number at 1 or more: <c>0</c>,
    /// <c>500us</c>, <c>250ms</c>, <c>1.5s</c>, <c>24h</c> (whole hours; otherwise seconds).
    /// </summary>
    public static string Describe(TimeSpan duration)
    {
        var c = CultureInfo.InvariantCulture;
        if (duration == TimeSpan.Zero)
            return "0";
        if (duration.TotalHours >= 1 && duration.TotalHours == Math.Floor(duration.TotalHours))
            return duration.TotalHours.ToString("0", c) + "h";
        if (duration.TotalSeconds >= 1)
            return duration.TotalSeconds.ToString("0.###", c) + "s";
        if (duration.TotalMilliseconds >= 1)
            return duration.TotalMilliseconds.ToString("0.###", c) + "ms";
        return duration.TotalMicroseconds.ToString("0.#", c) + "us";
    }
}
