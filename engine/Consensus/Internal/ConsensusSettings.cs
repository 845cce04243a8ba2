namespace FastDht.Engine.Consensus.Internal;

/// <summary>The Raft group's timing and where it keeps its log (from NodeOptions).</summary>
/// <param name="LowerElectionTimeout">A follower that hears no leader for a random time between the two bounds stands for election.</param>
/// <param name="UpperElectionTimeout">The upper bound of that random time.</param>
/// <param name="RequestTimeout">One Raft call (vote, append) or one push.</param>
/// <param name="ProposeTimeout">How long a proposal may take before <see cref="Cluster.ClusterChangeException"/>.</param>
/// <param name="DataDir">The node's data directory (the log goes to its raft folder); null: a temporary folder.</param>
internal sealed record ConsensusSettings(
    TimeSpan LowerElectionTimeout,
    TimeSpan UpperElectionTimeout,
    TimeSpan RequestTimeout,
    TimeSpan ProposeTimeout,
    string? DataDir);
