namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// The last Raft leaders this voter saw (itself included), each with the term read when the library reported it and
/// when: what a new leader needs to know that nobody else led between its predecessor's term and its own.
/// </summary>
/// <remarks>
/// The library reports a leader only when it differs from the one before (a follower that goes straight from one term of
/// leader L to a later term of L, without a vote in between, reports nothing), so an entry's term is the first term in
/// which this voter saw that leader in a row, never later than the truth. A voter's own election is always reported
/// (it was a candidate, with no leader, just before), with its exact term. Entries are added in the order of the
/// changes, so their terms never decrease (docs/replication.md, "The leader's own ranges").
/// </remarks>
internal sealed class LeaderHistory
{
    // Eight changes: a successor asks about the one before its own term; more are kept only for the terms of changes
    // that follow quickly (a voter that saw several leaders since still answers).
    private const int Capacity = 8;

    private readonly ushort[] _leaders = new ushort[Capacity];
    private readonly long[] _terms = new long[Capacity];
    private readonly long[] _sinceMs = new long[Capacity];
    private readonly Lock _lock = new();
    private int _count;

    /// <summary>Notes that <paramref name="leaderId"/> leads in <paramref name="term"/>, as learned at <paramref name="sinceMs"/> (Environment.TickCount64).</summary>
    public void Add(ushort leaderId, long term, long sinceMs)
    {
        lock (_lock)
        {
            var at = _count % Capacity;
            _leaders[at] = leaderId;
            _terms[at] = term;
            _sinceMs[at] = sinceMs;
            _count++;
        }
    }

    /// <summary>
    /// The newest leader noted with a term below <paramref name="term"/>: false when none is known (none noted, or every
    /// one kept is of that term or later).
    /// </summary>
    public bool TryGetLastBefore(long term, out ushort leaderId, out long leaderTerm, out long sinceMs)
    {
        lock (_lock)
        {
            for (var i = _count - 1; i >= 0 && i >= _count - Capacity; i--)
            {
                var at = i % Capacity;
                if (_terms[at] < term)
                {
                    leaderId = _leaders[at];
                    leaderTerm = _terms[at];
                    sinceMs = _sinceMs[at];
                    return true;
                }
            }
        }
        leaderId = 0;
        leaderTerm = 0;
        sinceMs = 0;
        return false;
    }

    /// <summary>When this voter learned that <paramref name="leaderId"/> leads in <paramref name="term"/> (the newest such entry); false when it did not.</summary>
    public bool TryGetSince(ushort leaderId, long term, out long sinceMs)
    {
        lock (_lock)
        {
            for (var i = _count - 1; i >= 0 && i >= _count - Capacity; i--)
            {
                var at = i % Capacity;
                if (_leaders[at] == leaderId && _terms[at] == term)
                {
                    sinceMs = _sinceMs[at];
                    return true;
                }
            }
        }
        sinceMs = 0;
        return false;
    }
}
