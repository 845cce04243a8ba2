using FastDht.Locking.Internal;

namespace FastDht.Locking;

/// <summary>Randomized, capped exponential backoff for retrying an aborted transaction.</summary>
/// <remarks>
/// Delay(attempt) draws from d = min(cap, base * 2^attempt). The default is equal jitter, uniform in
/// [d/2, d]: a transaction that died under wait-die met an older one that still holds its key, and an
/// immediate retry (which full jitter allows) would most likely die again; equal jitter guarantees a pause
/// of half a step while still spreading competing retries over the other half. Full jitter is available
/// for no-wait workloads, where the spread matters more than the floor.
/// The retried transaction keeps its original <see cref="TxnId"/>; this policy only spaces the attempts.
/// Defaults: base 1 ms (about one LAN lock round trip plus a commit), cap 100 ms (reached at attempt 7,
/// 2^7 ms = 128 ms, so a busy transaction never sleeps more than a tenth of a second), equal jitter.
/// Thread-safe.
/// </remarks>
public sealed class BackoffPolicy
{
    private readonly Random _random;
    private readonly Lock _randomSync = new();

    public BackoffPolicy(TimeSpan? baseDelay = null, TimeSpan? cap = null, BackoffJitter jitter = BackoffJitter.Equal, int? seed = null)
    {
        BaseDelay = baseDelay ?? TimeSpan.FromMilliseconds(1);
        Cap = cap ?? TimeSpan.FromMilliseconds(100);
        if (BaseDelay < TimeSpan.Zero || Cap < BaseDelay)
        {
            Throw.ArgumentOutOfRange(nameof(cap), "The base delay must not be negative, and the cap must be at least the base delay.");
        }

        Jitter = jitter;
        _random = seed is { } s ? new Random(s) : new Random();
    }

    /// <summary>The step of attempt 0.</summary>
    public TimeSpan BaseDelay { get; }

    /// <summary>The largest step.</summary>
    public TimeSpan Cap { get; }

    /// <summary>How the step is randomized.</summary>
    public BackoffJitter Jitter { get; }

    /// <summary>The step before jitter: min(cap, base * 2^attempt), saturating instead of overflowing.</summary>
    public TimeSpan MaxDelay(int attempt)
    {
        int shift = Math.Clamp(attempt, 0, 62);
        long baseTicks = BaseDelay.Ticks;
        long capTicks = Cap.Ticks;
        long step = baseTicks > (capTicks >> shift) ? capTicks : Math.Min(capTicks, baseTicks << shift);
        return TimeSpan.FromTicks(step);
    }

    /// <summary>A randomized delay to sleep before retry number <paramref name="attempt"/> (0 = first retry).</summary>
    public TimeSpan Delay(int attempt)
    {
        long step = MaxDelay(attempt).Ticks;
        long floor = Jitter == BackoffJitter.Equal ? step / 2 : 0;
        long spread;
        lock (_randomSync)
        {
            spread = _random.NextInt64(step - floor + 1);
        }

        return TimeSpan.FromTicks(floor + spread);
    }
}
