namespace FastDht.Engine.Connections;

/// <summary>
/// What a part that calls other nodes (transactions, the RESP server, the embedding API) needs of the peer mesh: the
/// live link to a node and why there is none. The mesh implements it; its users never see the mesh itself.
/// </summary>
internal interface IPeerLinks
{
    /// <summary>The live link to <paramref name="nodeId"/>; null while there is none.</summary>
    FrameSession? LinkTo(ushort nodeId);

    /// <summary>The process incarnation of the node at the other end of the live link to <paramref name="nodeId"/>; 0 while there is none.</summary>
    ulong IncarnationOf(ushort nodeId);

    /// <summary>Whether a live link to <paramref name="nodeId"/> exists.</summary>
    bool IsUp(ushort nodeId);

    /// <summary>Up, down, or loading (alive, still loading its data at start), as ClusterInfo reports the member.</summary>
    Protocol.MemberState StateOf(ushort nodeId);

    /// <summary>The error message for a call to a node with no live link, naming it.</summary>
    string UnavailableMessage(ushort nodeId);
}
