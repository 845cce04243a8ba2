using System.Globalization;

namespace FastDht.Engine.Node;

/// <summary>
/// The one duration syntax of every FastDht command line and config file: a number with a unit, <c>ms</c>, <c>s</c>,
/// <c>m</c> or <c>h</c> (<c>250ms</c>, <c>1.5s</c>, <c>2m</c>). A bare number is refused, so <c>5</c> can never be
/// taken for seconds by one tool and milliseconds by another.
/// </summary>
public static class DurationText
{
    /// <summary>What a refusal adds after the text: the syntax, with examples.</summary>
    public const string Syntax = "a number with a unit: 500ms, 5s, 1m";

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="problem"/> says why, quoting the text.</summary>
    /// <param name="text">The text as given.</param>
    /// <param name="maximum">The longest duration accepted.</param>
    /// <param name="value">The duration.</param>
    /// <param name="problem">Null on success, else one line naming the text and the syntax.</param>
    public static bool TryParse(string text, TimeSpan maximum, out TimeSpan value, out string? problem)
    {
        value = TimeSpan.Zero;
        var s = text.Trim();
        var end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.'))
            end++;
        double toMilliseconds = s[end..].Trim().ToUpperInvariant() switch
        {
            "MS" => 1,
            "S" => 1000,
            "M" => 60_000,
            "H" => 3_600_000,
            _ => 0,
        };
        if (end == 0 || toMilliseconds == 0 || !double.TryParse(s.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            problem = $"'{text}' is not a duration ({Syntax})";
            return false;
        }
        var ms = n * toMilliseconds;
        if (ms > maximum.TotalMilliseconds)
        {
            problem = $"'{text}' is longer than {Describe(maximum)}";
            return false;
        }
        value = TimeSpan.FromMilliseconds(ms);
        problem = null;
        return true;
    }

    /// <summary>A duration the way it would be typed: <c>24h</c>, <c>5s</c>, <c>250ms</c>.</summary>
    public static string Describe(TimeSpan duration) =>
        duration.TotalHours >= 1 && duration.TotalHours == Math.Floor(duration.TotalHours) ? $"{duration.TotalHours:0}h"
        : duration.TotalSeconds >= 1 ? $"{duration.TotalSeconds:0.###}s"
        : $"{duration.TotalMilliseconds:0.###}ms";
}
