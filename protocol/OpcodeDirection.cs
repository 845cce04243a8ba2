namespace FastDht.Protocol;

/// <summary>Who may send a request with a given opcode: an application client to a node, a node to a peer node, or both.</summary>
/// <remarks>Declared per opcode in <see cref="OpcodeDirections"/>; a request in a direction its opcode does not allow is refused with BadRequest.</remarks>
[Flags]
public enum OpcodeDirection : byte
{
    /// <summary>Not an opcode of this protocol version.</summary>
    None = 0,

    /// <summary>Sent by an application client to a node.</summary>
    ClientToNode = 1 << 0,

    /// <summary>Sent by a node to a peer node over their link.</summary>
    NodeToNode = 1 << 1,

    /// <summary>Sent by clients and by nodes.</summary>
    Both = ClientToNode | NodeToNode,
}
