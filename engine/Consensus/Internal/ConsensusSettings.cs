namespace FastDht.Engine.Consensus.Internal;

/// <summary>The Raft group's timing and where it keeps its log (from NodeOptions).</summary>
/// <param name="LowerElectionTimeout">A follower that hears no leader for a random time between the two bounds stands for election.</param>
/// <param name="UpperElectionTimeout">The upper bound of that random time.</param>
/// <param name="RequestTimeout">One push of the state to a learner, and the bound of a consensus connection's handshake.</param>
/// <param name="ProposeTimeout">How long a proposal may take before <see cref="Cluster.ClusterChangeException"/>.</param>
/// <param name="DataDir">The node's data directory (the log goes to its raft folder); null: a temporary folder.</param>
/// <param name="VoterTimeout">How long the leader has no peer link to a voter before it replaces it by a live learner; zero or less: never.</param>
internal sealed record ConsensusSettings(
    TimeSpan LowerElectionTimeout,
    TimeSpan UpperElectionTimeout,
    TimeSpan RequestTimeout,
    TimeSpan ProposeTimeout,
    string? DataDir,
    TimeSpan VoterTimeout)
{
    /// <summary>How long one Raft call (pre-vote, vote, append) may wait for its answer: three quarters of the lower election timeout.</summary>
    /// <remarks>
    /// Below the lower election timeout on purpose: a candidate counts its votes only once every voter answered or
    /// failed, and gives up when its own timeout (between the two bounds) runs out. A voter that is frozen or cut off
    /// accepts the connection (or stays silent on an open one) and never answers; were its call allowed longer than the
    /// candidate's timeout, every election would run out waiting for it and the majority would never elect a leader
    /// (found by the fault tests: SIGSTOP or a partition of the leader left the other two leaderless for good).
    /// </remarks>
    public TimeSpan RaftCallTimeout => LowerElectionTimeout * 3 / 4;

    /// <summary>
    /// The range this voter's own election timeout is drawn from, by its rank (its place among the voters in id order when
    /// its Raft member started): rank r draws from <c>[Lower + r × s, Lower + r × s + s / 2]</c>, s a fifth of
    /// <c>Upper - Lower</c> (50 ms at the defaults: 250-275, 300-325, 350-375, 400-425, 450-475 ms). Every draw lies in
    /// <c>[Lower, Upper]</c>, as the lease arguments need (docs/replication.md, "The leader's own ranges", point 2).
    /// </summary>
    /// <remarks>
    /// Why ranks (docs/replication.md, "Election timeouts by rank"): a survivor's pre-vote wins only once the other voters it
    /// needs have timed out too, so with random timeouts two survivors whose timeouts ran out within a message's delay of
    /// each other both passed their pre-votes, stood in the same term and split the vote (a second round of 250-500 ms).
    /// Ranked, two voters' timeouts are at least <c>s / 2</c> apart, and the later one's candidacy ends before the earlier
    /// one's retry (at least twice the lower timeout after the last heartbeat). The half slot of jitter is kept so two
    /// voters that share a rank (possible after a voter was replaced: each computed its rank from the voters of its own
    /// start) still draw apart after a split vote.
    /// </remarks>
    public (TimeSpan Lower, TimeSpan Upper) RankedElectionTimeout(int rank)
    {
        var slot = (UpperElectionTimeout - LowerElectionTimeout) / RankSlots;
        var lower = LowerElectionTimeout + slot * Math.Clamp(rank, 0, RankSlots - 1);
        return (lower, lower + slot / 2);
    }

    /// <summary>How many ranks the range between the bounds is split into: the most voters a group has (5).</summary>
    public const int RankSlots = 5;
}
