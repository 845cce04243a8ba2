using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>Log lines of replication: source-generated, fixed event ids (400-409), never on the per-write path.</summary>
internal static partial class ReplicationLog
{
    [LoggerMessage(400, LogLevel.Information, "Node {NodeId} resynchronizes replica {ReplicaId}: {Keys} keys sent from a snapshot, then the stream from position {Position}")]
    public static partial void Resynchronized(ILogger logger, ushort nodeId, ushort replicaId, long keys, long position);

    [LoggerMessage(401, LogLevel.Information, "Node {NodeId}: replica {ReplicaId} is in sync (acknowledged position {Position})")]
    public static partial void InSync(ILogger logger, ushort nodeId, ushort replicaId, long position);

    [LoggerMessage(402, LogLevel.Warning, "Node {NodeId}: replica {ReplicaId} left the in-sync set: {Reason}; writes are acknowledged without it until it catches up")]
    public static partial void OutOfSync(ILogger logger, ushort nodeId, ushort replicaId, string reason);

    [LoggerMessage(403, LogLevel.Warning, "Node {NodeId}: the in-sync set change for replica {ReplicaId} was not committed yet: {Reason}; retrying (writes waiting for it stay held)")]
    public static partial void InSyncChangeFailed(ILogger logger, ushort nodeId, ushort replicaId, string reason);

    [LoggerMessage(404, LogLevel.Information, "Node {NodeId}: replica {ReplicaId} holds the slots handed to this node, in sync: the stream goes on from position {Position}, with no resynchronization")]
    public static partial void Continued(ILogger logger, ushort nodeId, ushort replicaId, long position);

    [LoggerMessage(405, LogLevel.Warning, "Node {NodeId} lost slot {Slot} (and maybe others) to node {NewPrimary} at epoch {Epoch} without handing it over: {Replies} replies waiting for replicas are failed (outcome unknown)")]
    public static partial void RangesLost(ILogger logger, ushort nodeId, int slot, ushort newPrimary, ulong epoch, int replies);
}
