namespace FastDht.Engine.Node.Internal;

/// <summary>What a node session is to the node: decided by the handshake.</summary>
internal enum SessionRole
{
    /// <summary>Inbound, before Hello.</summary>
    AwaitingHello,

    /// <summary>Outbound to a peer, before the peer answered our Hello.</summary>
    Dialing,

    /// <summary>An application client.</summary>
    Client,

    /// <summary>A link to another node of the cluster.</summary>
    Peer,
}
