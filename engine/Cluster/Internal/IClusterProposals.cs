namespace FastDht.Engine.Cluster.Internal;

/// <summary>
/// What a peer link needs of the node's Raft group: answer a peer's ClusterPropose, and take a connection that passed
/// the handshake with role Consensus. The mesh and the handshake see only this, never the group.
/// </summary>
internal interface IClusterProposals
{
    /// <summary>
    /// Answers a proposed state (ClusterPropose's body): the reply body is u8 <see cref="ProposalOutcome"/>, u16 the
    /// leader this node knows (0xFFFF: none), then the newest committed state (for Committed and Conflict).
    /// </summary>
    ValueTask<byte[]> AnswerAsync(byte[] proposed, CancellationToken cancellationToken);

    /// <summary>
    /// Answers a peer's LeaseRenew (its epoch, whether the in-sync sets listing it are true of it, and from a voter its
    /// report: <see cref="LeaderReport"/>): u8 granted (1) or not (0), u16 the leader this node knows (0xFFFF: none).
    /// </summary>
    byte[] AnswerLeaseRenewal(ushort nodeId, ulong epoch, bool trustworthy, LeaderReport report);

    /// <summary>Takes an authenticated connection for the Raft traffic; false (the caller closes it) when this node is no voter.</summary>
    bool TryAcceptConnection(Transport.SocketConnection connection, ushort peerId);
}
