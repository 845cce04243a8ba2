using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Mesh.Internal;

namespace FastDht.Engine.Node.Internal;

/// <summary>The node's join, slot mover and membership behind <see cref="IClusterAdministration"/>, for RESP's cluster commands.</summary>
internal sealed class NodeClusterAdministration(PeerMesh mesh, SlotMover mover, Membership membership, ClusterMember self)
    : IClusterAdministration
{
    public ClusterMember Self => self;

    public CancellationToken Stopping => mesh.Stopping;

    public bool IsLinked(ushort nodeId) => mesh.IsUp(nodeId);

    public string? RespAddressOf(ushort nodeId) => mesh.Listeners.AddressOf(nodeId, Plugins.ProtocolNames.Resp);

    public Task<string?> TryJoinThroughAsync(ClusterMember seed) => membership.TryJoinThroughAsync(seed);

    public Task<SlotMoveReport> MoveSlotsAsync(int first, int last, ushort target, CancellationToken cancellationToken) =>
        mover.MoveAsync(first, last, target, cancellationToken);

    public Task RemoveAsync(ushort nodeId, CancellationToken cancellationToken) =>
        membership.RemoveAsync(nodeId, forget: false, cancellationToken);
}
