namespace FastDht.Engine.Node;

/// <summary>How a node sees one member of its cluster.</summary>
/// <param name="NodeId">The member's id.</param>
/// <param name="Address">Its "host:port" from the member list.</param>
/// <param name="IsSelf">True for the node's own entry.</param>
/// <param name="IsUp">True for itself, and for a peer while a live link to it exists (also while it is loading).</param>
public sealed record PeerStatus(ushort NodeId, string Address, bool IsSelf, bool IsUp)
{
    /// <summary>Up, down or loading (alive, still loading its data at start), as <see cref="Protocol.Opcode.ClusterInfo"/> reports it.</summary>
    public Protocol.MemberState State { get; init; } = IsUp ? Protocol.MemberState.Up : Protocol.MemberState.Down;
}
