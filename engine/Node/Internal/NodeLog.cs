using System.Net;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Node.Internal;

/// <summary>The node's log lines: source-generated, fixed event ids, nothing formatted unless the level is enabled.</summary>
internal static partial class NodeLog
{
    [LoggerMessage(1, LogLevel.Information, "Node {NodeId} of cluster '{Cluster}' listening on {EndPoint} ({Members} members, lock strategy {Strategy})")]
    public static partial void Listening(ILogger logger, ushort nodeId, string cluster, IPEndPoint endPoint, int members, string strategy);

    [LoggerMessage(8, LogLevel.Information, "Node {NodeId} stopping: draining in-flight requests")]
    public static partial void Stopping(ILogger logger, ushort nodeId);

    [LoggerMessage(9, LogLevel.Information, "Node {NodeId} stopped")]
    public static partial void Stopped(ILogger logger, ushort nodeId);

    [LoggerMessage(14, LogLevel.Information, "Node {NodeId} asked to stop: {Reason}")]
    public static partial void ShutdownRequested(ILogger logger, ushort nodeId, string reason);
}
