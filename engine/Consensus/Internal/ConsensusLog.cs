using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>The Raft group's log lines: source-generated, fixed event ids (90-99, voting group changes 140-146), nothing formatted unless the level is enabled.</summary>
internal static partial class ConsensusLog
{
    [LoggerMessage(90, LogLevel.Information, "Node {NodeId} votes in the Raft group {Voters} (log in {Folder})")]
    public static partial void Started(ILogger logger, ushort nodeId, string voters, string folder);

    [LoggerMessage(98, LogLevel.Information, "Node {NodeId}: election timeout rank {Rank}, drawn from {LowerMs}-{UpperMs} ms")]
    public static partial void ElectionTimeout(ILogger logger, ushort nodeId, int rank, int lowerMs, int upperMs);

    [LoggerMessage(99, LogLevel.Information, "Node {NodeId}: holds the Raft leader's lease again in the same term after a lapse of {LapseMs} ms: the term's waits go on")]
    public static partial void LeaseResumed(ILogger logger, ushort nodeId, long lapseMs);

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

    [LoggerMessage(140, LogLevel.Warning, "Node {NodeId}: a voting group change failed (retried): {Reason}")]
    public static partial void VoterChangeFailed(ILogger logger, ushort nodeId, string reason);

    [LoggerMessage(141, LogLevel.Information, "Node {NodeId} is a voter from epoch {Epoch}: its Raft member started, waiting for the leader to add it")]
    public static partial void MadeVoter(ILogger logger, ushort nodeId, ulong epoch);

    [LoggerMessage(142, LogLevel.Information, "Node {NodeId} is a learner from epoch {Epoch}: its Raft member stopped and its Raft log was deleted")]
    public static partial void MadeLearner(ILogger logger, ushort nodeId, ulong epoch);

    [LoggerMessage(143, LogLevel.Information, "Node {NodeId} (Raft leader): adding node {Voter} to the Raft configuration: {Added}")]
    public static partial void VoterAdded(ILogger logger, ushort nodeId, ushort voter, bool added);

    [LoggerMessage(144, LogLevel.Information, "Node {NodeId} (Raft leader): removing {Address} from the Raft configuration: {Removed}")]
    public static partial void VoterRemoved(ILogger logger, ushort nodeId, string address, bool removed);

    [LoggerMessage(145, LogLevel.Warning, "Node {NodeId} (Raft leader): voter {Voter} was silent for {Seconds:0.#} s; node {Learner} votes in its place from epoch {Epoch}")]
    public static partial void VoterReplaced(ILogger logger, ushort nodeId, ushort voter, double seconds, ushort learner, ulong epoch);

    [LoggerMessage(146, LogLevel.Information, "Node {NodeId} (Raft leader): voters {Before} are now {After} for {Members} members, from epoch {Epoch}")]
    public static partial void VotersResized(ILogger logger, ushort nodeId, string before, string after, int members, ulong epoch);
}
