namespace FastDht.Engine.Cluster.Internal;

/// <summary>What became of a proposed cluster state (the first byte of ClusterPropose's answer).</summary>
internal enum ProposalOutcome : byte
{
    /// <summary>Committed: the state that follows is the proposed one.</summary>
    Committed = 0,

    /// <summary>Not applied: the proposal was not one epoch above the committed state that follows; propose again on it.</summary>
    Conflict = 1,

    /// <summary>The answering node is not the Raft leader (the leader it knows follows, or 0xFFFF).</summary>
    NotLeader = 2,
}
