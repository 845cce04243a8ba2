namespace FastDht.Engine.Mesh.Internal;

/// <summary>Why a link to a peer was not formed: what the mesh decides on (log level, whether to warn). The message beside it is for people.</summary>
internal enum LinkRefusalKind
{
    /// <summary>A live link to the same peer already exists and wins (a simultaneous dial lost the tie-break, or the peer redialed from an older process): routine.</summary>
    DuplicateLink,

    /// <summary>The peer could not be reached, or the connection failed or timed out during the handshake: the dial loop retries.</summary>
    Unreachable,

    /// <summary>One side refused the other's identity (version, cluster name, node id, member list, lock strategy, membership): a configuration fault.</summary>
    Refused,

    /// <summary>This node or the peer is shutting down.</summary>
    Stopping,
}
