using CsCheck;
using FastDht.Locking.Strategies;

namespace FastDht.Locking.Tests;

public sealed class BackoffAndRegistryTests
{
    [Fact]
    public void Backoff_step_doubles_up_to_the_cap()
    {
        var policy = new BackoffPolicy(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(100));
        Assert.Equal(TimeSpan.FromMilliseconds(1), policy.MaxDelay(0));
        Assert.Equal(TimeSpan.FromMilliseconds(2), policy.MaxDelay(1));
        Assert.Equal(TimeSpan.FromMilliseconds(64), policy.MaxDelay(6));
        Assert.Equal(TimeSpan.FromMilliseconds(100), policy.MaxDelay(7));
        Assert.Equal(TimeSpan.FromMilliseconds(100), policy.MaxDelay(1000));
        Assert.Equal(TimeSpan.FromMilliseconds(1), policy.MaxDelay(-5));
    }

    [Fact]
    public void Equal_jitter_stays_within_half_to_full_step()
    {
        var policy = new BackoffPolicy(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(100), BackoffJitter.Equal, seed: 42);
        Gen.Int[0, 100].Sample(attempt =>
        {
            TimeSpan step = policy.MaxDelay(attempt);
            TimeSpan delay = policy.Delay(attempt);
            return delay >= step / 2 && delay <= step;
        });
    }

    [Fact]
    public void Full_jitter_stays_within_zero_to_full_step_and_varies()
    {
        var policy = new BackoffPolicy(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(100), BackoffJitter.Full, seed: 42);
        var seen = new HashSet<TimeSpan>();
        for (int i = 0; i < 200; i++)
        {
            TimeSpan delay = policy.Delay(10);
            Assert.InRange(delay, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
            seen.Add(delay);
        }

        Assert.True(seen.Count > 50);
    }

    [Fact]
    public void Seeded_backoff_is_reproducible()
    {
        var a = new BackoffPolicy(seed: 7);
        var b = new BackoffPolicy(seed: 7);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(a.Delay(i), b.Delay(i));
        }
    }

    [Fact]
    public void Timeout_limit_is_randomized_and_shrinks_to_the_floor()
    {
        var strategy = new TimeoutStrategy(TimeSpan.FromMilliseconds(64), TimeSpan.FromMilliseconds(4), seed: 3);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double nominal = Math.Max(64.0 / (1 << attempt), 4.0);
            for (int i = 0; i < 20; i++)
            {
                double limit = strategy.GetWaitLimit(attempt).TotalMilliseconds;
                Assert.InRange(limit, nominal / 2, nominal);
            }
        }

        var distinct = new HashSet<TimeSpan>();
        for (int i = 0; i < 50; i++)
        {
            distinct.Add(strategy.GetWaitLimit(0));
        }

        Assert.True(distinct.Count > 10);
    }

    [Fact]
    public void Registry_creates_every_built_in_strategy_by_name()
    {
        LockStrategyRegistry registry = LockStrategyRegistry.CreateDefault();
        Assert.Equal(new[] { "detect", "no-wait", "ordered", "timeout", "wait-die", "wound-wait" }, registry.Names);
        foreach (string name in registry.Names)
        {
            Assert.Equal(name, registry.Create(name).Name);
        }

        Assert.IsType<WaitDieStrategy>(registry.Create());
        Assert.IsType<WoundWaitStrategy>(registry.Create("Wound-Wait"));
    }

    [Fact]
    public void Unknown_strategy_error_lists_the_known_names()
    {
        LockStrategyRegistry registry = LockStrategyRegistry.CreateDefault();
        var error = Assert.Throws<ArgumentException>(() => registry.Create("wait-live"));
        Assert.Contains("wait-live", error.Message, StringComparison.Ordinal);
        Assert.Contains("wait-die, wound-wait", error.Message, StringComparison.Ordinal);
        Assert.Contains("no-wait", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Application_can_register_its_own_strategy_but_not_twice()
    {
        LockStrategyRegistry registry = LockStrategyRegistry.CreateDefault();
        registry.Register("always-wait", static () => new AlwaysWait());
        Assert.IsType<AlwaysWait>(registry.Create("always-wait"));
        Assert.Throws<ArgumentException>(() => registry.Register("wait-die", static () => new AlwaysWait()));
    }

    private sealed class AlwaysWait : ILockStrategy
    {
        public string Name => "always-wait";

        public bool RequiresOrderedAcquisition => false;

        public LockAbortReason AbortReason => LockAbortReason.None;

        public ConflictDecision Decide(TxnId requester, LockMode requestedMode, in LockConflict conflict) => ConflictDecision.Wait;

        public TimeSpan GetWaitLimit(int attempt) => System.Threading.Timeout.InfiniteTimeSpan;
    }
}
