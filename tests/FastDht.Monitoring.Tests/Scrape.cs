using System.Globalization;
using System.Text.RegularExpressions;

namespace FastDht.Monitoring.Tests;

/// <summary>Reads series out of a Prometheus text scrape.</summary>
internal static partial class Scrape
{
    /// <summary>The value of the one series named <paramref name="name"/> whose labels include every one of <paramref name="labels"/> ("key=\"value\""); null when none.</summary>
    public static double? Value(string scrape, string name, params string[] labels)
    {
        foreach (var line in scrape.Split('\n'))
        {
            var m = SeriesLine().Match(line);
            if (!m.Success || m.Groups["name"].Value != name)
                continue;
            var found = true;
            foreach (var label in labels)
                found &= m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal);
            if (found)
                return double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return null;
    }

    /// <summary>Every line must be a comment or a well-formed series (name, labels, a number).</summary>
    public static void AssertWellFormed(string scrape)
    {
        foreach (var line in scrape.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal))
                continue;
            Assert.True(SeriesLine().IsMatch(line), $"not a Prometheus series line: '{line}'");
        }
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*)\} (?<value>[-+]?([0-9.eE+-]+|Inf|NaN))$""")]
    private static partial Regex SeriesLine();
}
