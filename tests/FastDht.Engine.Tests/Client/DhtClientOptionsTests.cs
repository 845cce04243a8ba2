using FastDht.Engine.Client;

namespace FastDht.Engine.Tests.Client;

public sealed class DhtClientOptionsTests
{
    private static DhtClientOptions Valid()
    {
        var options = new DhtClientOptions();
        options.Seeds.Add("127.0.0.1:7000");
        return options;
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = new DhtClientOptions();
        Assert.Equal("fastdht", options.ClusterName);
        Assert.Equal(TimeSpan.FromSeconds(5), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.ConnectTimeout);
        Assert.Equal(64 << 20, options.MaxFrameSize);
        Assert.False(options.InlineContinuations);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.SweepInterval);
        Assert.Empty(options.Seeds);
    }

    [Fact]
    public void A_valid_configuration_passes() => Valid().Validate();

    [Fact]
    public void No_seed_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new DhtClientOptions().Validate());
        Assert.Contains("seed", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("::1:7000")]
    [InlineData("")]
    public void A_seed_that_is_not_host_port_is_refused_by_name(string seed)
    {
        var options = Valid();
        options.Seeds.Add(seed);
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains($"'{seed}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[::1]:7000")]
    [InlineData("node-a.example:7000")]
    public void Host_names_and_bracketed_ipv6_are_accepted(string seed)
    {
        var options = Valid();
        options.Seeds.Add(seed);
        options.Validate();
    }

    [Fact]
    public void Bad_numbers_are_refused_naming_the_setting()
    {
        Assert.Contains("RequestTimeout", Assert.Throws<ArgumentException>(() => With(o => o.RequestTimeout = TimeSpan.Zero)).Message, StringComparison.Ordinal);
        Assert.Contains("ConnectTimeout", Assert.Throws<ArgumentException>(() => With(o => o.ConnectTimeout = TimeSpan.FromSeconds(-1))).Message, StringComparison.Ordinal);
        Assert.Contains("MaxFrameSize", Assert.Throws<ArgumentException>(() => With(o => o.MaxFrameSize = 100)).Message, StringComparison.Ordinal);
        Assert.Contains("MaxFrameSize", Assert.Throws<ArgumentException>(() => With(o => o.MaxFrameSize = int.MaxValue)).Message, StringComparison.Ordinal);
        Assert.Contains("SweepInterval", Assert.Throws<ArgumentException>(() => With(o => o.SweepInterval = TimeSpan.FromMinutes(1))).Message, StringComparison.Ordinal);
        Assert.Contains("cluster name", Assert.Throws<ArgumentException>(() => With(o => o.ClusterName = " ")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_validates_before_dialling()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => DhtClient.ConnectAsync(new DhtClientOptions()));
    }

    private static void With(Action<DhtClientOptions> change)
    {
        var options = Valid();
        change(options);
        options.Validate();
    }
}
