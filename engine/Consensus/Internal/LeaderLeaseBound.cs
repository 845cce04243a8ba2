namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// This node's own bound on the Raft library's leader lease, by its own clock: the lease holds only while the library's
/// token is not cancelled <em>and</em> less than the lower election timeout has passed since a clock read taken before a
/// heartbeat round that a majority of the voters answered.
/// </summary>
/// <remarks>
/// The library's lease is a <see cref="CancellationToken"/> that a timer cancels; on a starved thread pool that timer
/// runs late and the token reads as held after the lease ended, the one assumption the lease argument of
/// docs/replication.md ("No split brain", "The leader's own ranges") had no bound for. The bound here needs no timer:
/// every voter that answered the round accepted a heartbeat sent after the clock read, and votes for nobody until its
/// own election timeout (at least the lower one) has passed since (the library's leader stickiness), so no successor is
/// elected before that read plus the lower election timeout. <see cref="RaftGroup"/> confirms rounds through
/// <c>ForceReplicationAsync</c>, which returns only after a round that began after the call and had a majority.
/// </remarks>
internal sealed class LeaderLeaseBound
{
    private long _untilMs = long.MinValue;

    /// <summary>Until when (Environment.TickCount64) the lease may hold by this node's clock.</summary>
    public long UntilMs => Volatile.Read(ref _untilMs);

    /// <summary>
    /// A heartbeat round that began after <paramref name="readBeforeMs"/> (a clock read taken before asking for it) was
    /// answered by a majority: the bound moves to that read plus <paramref name="length"/> (it never moves back).
    /// </summary>
    public void Confirmed(long readBeforeMs, TimeSpan length)
    {
        if (Withheld)
            return;
        var until = readBeforeMs + (long)length.TotalMilliseconds;
        var current = Volatile.Read(ref _untilMs);
        while (until > current)
        {
            var seen = Interlocked.CompareExchange(ref _untilMs, until, current);
            if (seen == current)
                return;
            current = seen;
        }
    }

    /// <summary>Whether the leader lease holds at <paramref name="nowMs"/>: the library's token says so and this node's clock is within the bound.</summary>
    public bool Holds(CancellationToken libraryLease, long nowMs) => !Withheld && !libraryLease.IsCancellationRequested && nowMs < UntilMs;

    /// <summary>
    /// A fault for tests: while set, the lease does not hold and no round counts as confirmed, as when a loaded machine's
    /// heartbeat rounds are answered later than the lease lasts (the lease lapses while the node stays leader of its term).
    /// </summary>
    internal bool Withheld
    {
        get => Volatile.Read(ref _withheld);
        set => Volatile.Write(ref _withheld, value);
    }

    private bool _withheld;
}
