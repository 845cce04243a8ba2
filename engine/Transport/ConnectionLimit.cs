namespace FastDht.Engine.Transport;

/// <summary>The most connections the listeners sharing this object keep open at once; one past it is closed as it is accepted.</summary>
/// <remarks>
/// Redis's maxclients, for the same reason: every connection holds a file descriptor, and a process that runs out of
/// them fails in places no connection chose. A .NET process needs descriptors of its own to go on (a new thread-pool
/// thread takes a pipe; an assembly loaded late, a log segment, a peer dial take one each): at the limit the runtime
/// aborts the whole process ("terminate called after throwing an instance of 'PAL_SEHException'"), so a flood of idle
/// connections killed the node. Refusing past a bound below the descriptor limit keeps that headroom.
/// </remarks>
public sealed class ConnectionLimit
{
    // 10 s: a flood refused by the thousand writes one line now and then, not one per connection.
    private static readonly long LogIntervalTicks = TimeSpan.FromSeconds(10).Ticks;

    private int _count;
    private long _refused;
    private long _lastLogTicks;
    private int _loggedOnce;

    /// <param name="max">The most connections open at once (at least 1).</param>
    public ConnectionLimit(int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        Max = max;
    }

    /// <summary>The most connections open at once.</summary>
    public int Max { get; }

    /// <summary>Connections open now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Connections refused since the start.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Counts one more connection, or answers false (counting nothing) when <see cref="Max"/> are open.</summary>
    public bool TryEnter()
    {
        var count = Volatile.Read(ref _count);
        while (count < Max)
        {
            var seen = Interlocked.CompareExchange(ref _count, count + 1, count);
            if (seen == count)
                return true;
            count = seen;
        }
        Interlocked.Increment(ref _refused);
        return false;
    }

    /// <summary>A connection counted by <see cref="TryEnter"/> has closed.</summary>
    public void Exit() => Interlocked.Decrement(ref _count);

    /// <summary>Whether a refusal should be logged now: the first, then at most one per 10 s.</summary>
    internal bool ShouldLogRefusal()
    {
        var now = Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
        if (Interlocked.Exchange(ref _loggedOnce, 1) == 0)
        {
            Interlocked.Exchange(ref _lastLogTicks, now);
            return true;
        }
        var last = Interlocked.Read(ref _lastLogTicks);
        return now - last >= LogIntervalTicks && Interlocked.CompareExchange(ref _lastLogTicks, now, last) == last;
    }
}
