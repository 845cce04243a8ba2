using FastDht.Engine.Node;

namespace FastDht.Engine.UnitTests;

/// <summary>The one duration syntax of fastdht-node, fastdht and fastdht-loadgen.</summary>
public sealed class DurationTextTests
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    [Theory]
    [InlineData("500us", 0.5)]
    [InlineData("500µs", 0.5)]
    [InlineData("1.5ms", 1.5)]
    [InlineData("250MS", 250)]
    [InlineData("2s", 2000)]
    [InlineData(" 1.5s ", 1500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("0", 0)]
    [InlineData("0ms", 0)]
    public void Every_unit_is_read(string text, double milliseconds)
    {
        Assert.True(DurationText.TryParse(text, Day, out var value, out var problem));
        Assert.Null(problem);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("10", "'10' is not a duration: a bare number is not taken, write 10s or 10ms (units: us, ms, s, m, h)")]
    [InlineData("soon", "'soon' is not a duration (a number with a unit, us, ms, s, m or h: 500ms, 5s, 1m)")]
    [InlineData("-1s", "'-1s' is not a duration (a number with a unit, us, ms, s, m or h: 500ms, 5s, 1m)")]
    [InlineData("5d", "'5d' is not a duration (a number with a unit, us, ms, s, m or h: 500ms, 5s, 1m)")]
    [InlineData("", "'' is not a duration (a number with a unit, us, ms, s, m or h: 500ms, 5s, 1m)")]
    [InlineData("25h", "'25h' is longer than 24h")]
    public void Anything_else_is_refused_with_one_line_quoting_it(string text, string expected)
    {
        Assert.False(DurationText.TryParse(text, Day, out _, out var problem));
        Assert.Equal(expected, problem);
        Assert.Equal(expected, Assert.Throws<FormatException>(() => DurationText.Parse(text, Day)).Message);
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(0.1, "100us")]
    [InlineData(2, "2ms")]
    [InlineData(1500, "1.5s")]
    [InlineData(90_000, "90s")]
    [InlineData(86_400_000, "24h")]
    public void Describe_writes_what_parse_reads(double milliseconds, string text)
    {
        var duration = TimeSpan.FromMilliseconds(milliseconds);
        Assert.Equal(text, DurationText.Describe(duration));
        Assert.Equal(duration, DurationText.Parse(text, TimeSpan.FromDays(2)));
    }
}
