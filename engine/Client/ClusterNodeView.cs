using FastDht.Protocol;

namespace FastDht.Engine.Client;

/// <summary>One member of a <see cref="ClusterView"/>: id, address, and whether the reporting node has a live link to it.</summary>
/// <param name="NodeId">The member's id.</param>
/// <param name="Address">Where it listens, "host:port".</param>
/// <param name="State">Up, down or loading (alive, still loading its data at start), as seen by the node that answered.</param>
public sealed record ClusterNodeView(ushort NodeId, string Address, MemberState State)
{
    /// <summary>True when the reporting node sees the member up.</summary>
    public bool IsUp => State == MemberState.Up;

    /// <summary>True when the member is alive but still loading its data: it will serve keys once loaded.</summary>
    public bool IsLoading => State == MemberState.Loading;
}
