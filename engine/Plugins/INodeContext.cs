using FastDht.Engine.Cluster;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Plugins;

/// <summary>What a running node offers the wire protocols it hosts: its keys (routed to their owners), its cluster view and its counters.</summary>
/// <remarks>
/// The routed operations (<see cref="GetAsync"/> and the rest) run on the local store when this node owns the key and
/// go over the peer link to the owner otherwise, so a protocol serves any key from any node. They complete
/// synchronously on the local path. Every one of them goes through the node's keyspace, the same path as the native
/// protocol and RESP: the same lock rule (a write to a key a transaction holds fails, retryable) and, later, the same
/// log and replication. There is deliberately no access to the raw store: a write that bypassed the keyspace would
/// bypass all of that.
/// </remarks>
public interface INodeContext
{
    ushort NodeId { get; }

    string ClusterName { get; }

    /// <summary>How many keys this node owns (its share of the key space).</summary>
    long LocalKeyCount { get; }

    /// <summary>The cluster state in force now (epoch, members, slots); it may change at any time, so read it once per decision.</summary>
    ClusterState ClusterState { get; }

    ILogger Logger { get; }

    /// <summary>Connection and command counters every protocol adds to (reported by RESP INFO).</summary>
    NodeStatistics Statistics { get; }

    /// <summary>Cancelled when the node begins to stop.</summary>
    CancellationToken Stopping { get; }

    /// <summary>The node that owns a key.</summary>
    ushort OwnerOf(ReadOnlySpan<byte> key);

    /// <summary>Whether a live link to a peer exists (always true for this node).</summary>
    bool IsUp(ushort nodeId);

    /// <summary>Where a node serves a protocol ("host:port"), as that node reported it; null when unknown or not enabled there.</summary>
    string? GetListenerAddress(ushort nodeId, string protocol);

    /// <summary>Reads a key wherever it lives.</summary>
    ValueTask<KeyOperationResult> GetAsync(ReadOnlyMemory<byte> key);

    /// <summary>Upserts a key wherever it lives.</summary>
    ValueTask<KeyOperationResult> PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value);

    /// <summary>Stores a key only if absent: <see cref="KeyOperationStatus.Ok"/> when stored, <see cref="KeyOperationStatus.Exists"/> when not.</summary>
    ValueTask<KeyOperationResult> PutIfAbsentAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value);

    /// <summary>Removes a key: <see cref="KeyOperationStatus.Ok"/> when it was present, else <see cref="KeyOperationStatus.NotFound"/>.</summary>
    ValueTask<KeyOperationResult> DeleteAsync(ReadOnlyMemory<byte> key);
}
