namespace FastDht.Engine.Mesh.Internal;

/// <summary>The timings the mesh and its links run by (from the node's options; each documented there).</summary>
internal sealed record MeshSettings(
    TimeSpan HeartbeatInterval,
    TimeSpan PeerTimeout,
    TimeSpan ConnectTimeout,
    TimeSpan ReconnectBaseDelay,
    TimeSpan ReconnectMaxDelay,
    TimeSpan ForwardTimeout);
