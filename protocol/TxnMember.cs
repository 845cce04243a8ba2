namespace FastDht.Protocol;

/// <summary>One participant node of a transaction as its coordinator saw it at prepare time: member id and process incarnation.</summary>
/// <remarks>
/// The incarnation lets an uncertain participant tell a truthful "never prepared" from a node that restarted and
/// forgot (§5.10 of docs/protocol.md): only the former may end a transaction by itself.
/// </remarks>
public readonly struct TxnMember
{
    public TxnMember(ushort nodeId, ulong incarnation)
    {
        NodeId = nodeId;
        Incarnation = incarnation;
    }

    /// <summary>The participant's member id.</summary>
    public ushort NodeId { get; }

    /// <summary>The participant's incarnation (process start, µs since the Unix epoch) when the coordinator prepared it.</summary>
    public ulong Incarnation { get; }
}
