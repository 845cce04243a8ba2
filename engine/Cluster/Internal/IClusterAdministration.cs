namespace FastDht.Engine.Cluster.Internal;

/// <summary>
/// The node's own join, slot moves and removals, as RESP's CLUSTER MEET, SETSLOT and FORGET drive them
/// (<c>RespClusterAdmin</c>); the node implements it over its mesh, so the RESP server needs no part of the mesh.
/// </summary>
internal interface IClusterAdministration
{
    /// <summary>This node as a member: its id and native address.</summary>
    ClusterMember Self { get; }

    /// <summary>Cancelled when the node stops.</summary>
    CancellationToken Stopping { get; }

    /// <summary>Whether a live peer link to <paramref name="nodeId"/> exists.</summary>
    bool IsLinked(ushort nodeId);

    /// <summary>"host:port" where <paramref name="nodeId"/> serves RESP, or null when unknown.</summary>
    string? RespAddressOf(ushort nodeId);

    /// <summary>One attempt to join the cluster through <paramref name="seed"/>: null once admitted, else why not.</summary>
    Task<string?> TryJoinThroughAsync(ClusterMember seed);

    /// <summary>Moves slots this node owns to <paramref name="target"/> (FastDht's one slot move).</summary>
    /// <exception cref="SlotMoveException">The move could not be made; the slots stay here.</exception>
    Task<SlotMoveReport> MoveSlotsAsync(int first, int last, ushort target, CancellationToken cancellationToken);

    /// <summary>Takes a member out of the cluster gracefully (it must own no slots) through the cluster-state change.</summary>
    /// <exception cref="ClusterChangeException">Refused, or not committed.</exception>
    Task RemoveAsync(ushort nodeId, CancellationToken cancellationToken);
}
