using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>The Raft group's log lines: source-generated, fixed event ids (90-99), nothing formatted unless the level is enabled.</summary>
internal static partial class ConsensusLog
{
    [LoggerMessage(90, LogLevel.Information, "Node {NodeId} votes in the Raft group {Voters} (log in {Folder})")]
    public static partial void Started(ILogger logger, ushort nodeId, string voters, string folder);

    [LoggerMessage(91, LogLevel.Information, "Node {NodeId}: the Raft leader is now {Leader}")]
    public static partial void LeaderChanged(ILogger logger, ushort nodeId, string leader);

    [LoggerMessage(92, LogLevel.Debug, "Node {NodeId}: pushing the cluster state to node {PeerId} failed: {Reason}")]
    public static partial void PushFailed(ILogger logger, ushort nodeId, ushort peerId, string reason);

    [LoggerMessage(94, LogLevel.Warning, "Node {NodeId} (Raft leader): a promotion was not committed: {Reason}")]
    public static partial void PromotionFailed(ILogger logger, ushort nodeId, string reason);

    [LoggerMessage(95, LogLevel.Warning, "Node {NodeId} (Raft leader): node {Failed} was silent too long; its ranges are served by their in-sync replicas from epoch {Epoch}: {State}")]
    public static partial void Promoted(ILogger logger, ushort nodeId, ushort failed, ulong epoch, string state);

    [LoggerMessage(96, LogLevel.Warning, "Node {NodeId} (Raft leader): a proposal failed: {Reason}")]
    public static partial void ProposalFailed(ILogger logger, ushort nodeId, string reason);

    [LoggerMessage(97, LogLevel.Information, "Node {NodeId}: holds the Raft leader's lease: {Leading}")]
    public static partial void LeaseHolder(ILogger logger, ushort nodeId, bool leading);

    [LoggerMessage(93, LogLevel.Information, "Node {NodeId} installed the cluster state of epoch {Epoch}: {State}")]
    public static partial void Installed(ILogger logger, ushort nodeId, ulong epoch, string state);
}
