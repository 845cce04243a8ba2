namespace FastDht.Locking;

/// <summary>How <see cref="BackoffPolicy"/> randomizes a delay of at most d = min(cap, base * 2^attempt).</summary>
public enum BackoffJitter : byte
{
    /// <summary>Uniform in [d/2, d]: always pauses at least half the step (the default; see <see cref="BackoffPolicy"/>).</summary>
    Equal = 0,

    /// <summary>Uniform in [0, d]: the widest spread, but may retry at once.</summary>
    Full = 1,
}
