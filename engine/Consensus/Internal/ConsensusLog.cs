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

    [LoggerMessage(93, LogLevel.Information, "Node {NodeId} installed the cluster state of epoch {Epoch}: {State}")]
    public static partial void Installed(ILogger logger, ushort nodeId, ulong epoch, string state);
}
