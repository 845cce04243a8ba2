namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// How long a throttled slot copy rests after a batch (docs/elasticity.md, "Throttling"): long enough that the copy works
/// at most <see cref="DutyCycle"/> of the time, its work measured as the batch's scan plus its round trip, and that it
/// never gets ahead of <see cref="MaxBytesPerSecond"/> on average since it began.
/// </summary>
/// <remarks>
/// The duty cycle is what bounds the foreground's loss: a byte rate alone costs whatever CPU those bytes take, which on
/// a small or busy machine is most of it. The round trip includes the target's apply and any wait for a CPU at either
/// end, so a busier machine makes each batch's work look longer and the copy rests longer: it yields to requests.
/// </remarks>
internal readonly record struct CopyPacing(double DutyCycle, long MaxBytesPerSecond)
{
    /// <summary>The rest after a batch whose scan and round trip took <paramref name="work"/>, when <paramref name="sentBytes"/> were sent in <paramref name="elapsed"/> since the copy began.</summary>
    public TimeSpan RestAfter(TimeSpan work, long sentBytes, TimeSpan elapsed)
    {
        var rest = DutyCycle is > 0 and < 1 ? work * ((1 - DutyCycle) / DutyCycle) : TimeSpan.Zero;
        if (MaxBytesPerSecond > 0)
        {
            var due = TimeSpan.FromSeconds((double)sentBytes / MaxBytesPerSecond) - elapsed;
            if (due > rest)
                rest = due;
        }
        return rest;
    }
}
