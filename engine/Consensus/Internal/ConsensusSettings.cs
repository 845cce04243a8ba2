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
}
