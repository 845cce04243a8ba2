using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>Log lines of members joining and leaving.</summary>
internal static partial class MembershipLog
{
    [LoggerMessage(32, LogLevel.Information, "Node {NodeId} ({Address}) joined the cluster through node {Seed} at epoch {Epoch}: {Members} members")]
    public static partial void Joined(ILogger logger, ushort nodeId, string address, ushort seed, ulong epoch, int members);

    [LoggerMessage(33, LogLevel.Warning, "Node {NodeId} could not join through node {Seed} ({Address}) yet: {Reason}; retrying")]
    public static partial void JoinFailed(ILogger logger, ushort nodeId, ushort seed, string address, string reason);

    [LoggerMessage(34, LogLevel.Information, "Admitted node {NodeId} ({Address}) to the cluster at epoch {Epoch}")]
    public static partial void Admitted(ILogger logger, ushort nodeId, string address, ulong epoch);

    [LoggerMessage(35, LogLevel.Information, "Node {NodeId} {How} at epoch {Epoch}")]
    public static partial void Removed(ILogger logger, ushort nodeId, string how, ulong epoch);
}
