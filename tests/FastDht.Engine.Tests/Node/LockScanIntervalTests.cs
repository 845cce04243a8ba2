using FastDht.Engine.Node.Internal;
using FastDht.Locking.Strategies;

namespace FastDht.Engine.Tests.Node;

public sealed class LockScanIntervalTests
{
    private static readonly TimeSpan Configured = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void Strategies_that_wait_without_a_limit_keep_the_configured_scan()
    {
        Assert.Equal(Configured, NodeParts.ScanIntervalFor(new WaitDieStrategy(), Configured));
        Assert.Equal(Configured, NodeParts.ScanIntervalFor(new OrderedStrategy(), Configured));
    }

    [Fact]
    public void The_timeout_strategy_gets_a_scan_as_fine_as_its_limits_but_not_below_5_ms()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(5), NodeParts.ScanIntervalFor(new TimeoutStrategy(), Configured));
        var coarse = NodeParts.ScanIntervalFor(new TimeoutStrategy(TimeSpan.FromMilliseconds(80), TimeSpan.FromMilliseconds(40), seed: 1), Configured);
        Assert.InRange(coarse, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(40));
        // A scan configured finer than the floor is kept.
        Assert.Equal(TimeSpan.FromMilliseconds(3), NodeParts.ScanIntervalFor(new TimeoutStrategy(), TimeSpan.FromMilliseconds(3)));
    }
}
