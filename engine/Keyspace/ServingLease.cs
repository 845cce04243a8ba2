namespace FastDht.Engine.Keyspace;

/// <summary>
/// Whether this node may serve keys now, with replicas and a Raft group: it holds a lease the Raft leader granted, and
/// serves nothing keyed once the lease ran out (a primary cut off from the majority stops before a successor exists).
/// </summary>
/// <remarks>
/// Design (docs/replication.md, "No split brain"): the lease runs from when the renewal was <em>sent</em>, by this
/// node's monotonic clock, for <c>LeaseDuration</c>; the leader promotes a replica only after <c>FailoverTimeout</c>
/// (longer) since it <em>received</em> this node's last renewal, and a new leader waits that long after its election
/// (two thirds of it for the ranges of its predecessor, whose own lease is half of it, when nobody else led in between
/// and that leader's host refused a connection). So the old primary's lease has ended before any successor serves. The check is one
/// volatile read and one monotonic-clock read per keyed request; without replicas there is no lease and nothing is
/// checked.
/// </remarks>
internal sealed class ServingLease
{
    /// <summary>The message a request refused without a lease carries.</summary>
    public const string Message = "this node is cut off from the cluster's Raft leader (its serving lease expired): it serves no keys until it reaches the majority again; retry, at another node if this one stays cut off";

    // _validUntilMs once revoked: never extended again (half of long.MinValue: RemainingMs cannot overflow).
    private const long Revoked = long.MinValue / 2;

    private long _validUntilMs;

    /// <summary>Whether the lease has run out (always false before the first grant's time is up: a starting node is given one lease).</summary>
    public bool IsExpired => Environment.TickCount64 > Volatile.Read(ref _validUntilMs);

    /// <summary>Milliseconds of lease left (0 when expired).</summary>
    public long RemainingMs => Math.Max(0, Volatile.Read(ref _validUntilMs) - Environment.TickCount64);

    // Grants for renewals sent before _capFromMs end by _capUntilMs at the latest (see Cap). Written under _lock.
    private long _capFromMs = long.MinValue;
    private long _capUntilMs = long.MaxValue;
    private readonly Lock _lock = new();

    /// <summary>A grant for a renewal sent at <paramref name="sentAtMs"/> (Environment.TickCount64): valid until then plus <paramref name="duration"/>; leases only grow.</summary>
    public void Extend(long sentAtMs, TimeSpan duration)
    {
        var until = sentAtMs + (long)duration.TotalMilliseconds;
        lock (_lock)
        {
            if (sentAtMs < _capFromMs && until > _capUntilMs)
                until = _capUntilMs;
            if (until > _validUntilMs && _validUntilMs != Revoked)
                Volatile.Write(ref _validUntilMs, until);
        }
    }

    /// <summary>
    /// Shortens the lease to end by <paramref name="untilMs"/> at the latest, together with every grant for a renewal
    /// sent before <paramref name="fromMs"/> that is still on its way: a node elected Raft leader at
    /// <paramref name="fromMs"/> serves from then on under its own lease only, not under a full one its predecessor
    /// granted (docs/replication.md, "The leader's own ranges"). Later grants extend it as usual.
    /// </summary>
    public void Cap(long fromMs, long untilMs)
    {
        lock (_lock)
        {
            _capFromMs = fromMs;
            _capUntilMs = untilMs;
            if (_validUntilMs > untilMs && _validUntilMs != Revoked)
                Volatile.Write(ref _validUntilMs, untilMs);
        }
    }

    /// <summary>
    /// Ends the lease for good: a stopping node serves nothing keyed from here on, before it closes its listener. A
    /// successor leader takes a refused dial to this node as a sign that nothing there serves
    /// (<see cref="Mesh.Internal.PeerMesh.WasRefusedSince"/>; docs/replication.md, "The leader's own ranges").
    /// </summary>
    public void Revoke()
    {
        lock (_lock)
            Volatile.Write(ref _validUntilMs, Revoked);
    }
}
