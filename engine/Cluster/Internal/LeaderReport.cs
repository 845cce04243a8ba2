namespace FastDht.Engine.Cluster.Internal;

/// <summary>
/// What a voter tells the Raft leader with each lease renewal: its Raft term, the last leader it saw before that term
/// (with the term it saw it lead in), and how long before sending it last read from that leader on the Raft connections.
/// </summary>
/// <param name="Term">The voter's Raft term, read first; 0: no report (a learner, or no leader seen yet).</param>
/// <param name="LastLeader">The last leader the voter saw before <paramref name="Term"/>.</param>
/// <param name="LastLeaderTerm">The term it saw that leader lead in.</param>
/// <param name="LastLeaderSilentMs">Milliseconds since the voter last read from that leader (or since its Raft member started, if later); <see cref="SilenceUnknown"/> when not said.</param>
/// <remarks>Why a successor needs each part: docs/replication.md, "The leader's own ranges", points 3 and 4.</remarks>
internal readonly record struct LeaderReport(long Term, ushort LastLeader, long LastLeaderTerm, uint LastLeaderSilentMs)
{
    /// <summary>The silence of a report that does not say it (a voter of the previous build).</summary>
    public const uint SilenceUnknown = uint.MaxValue;

    /// <summary>No report.</summary>
    public static LeaderReport None => new(0, 0xFFFF, 0, SilenceUnknown);

    /// <summary>Whether the renewal carries a report at all.</summary>
    public bool IsPresent => Term > 0;
}
