namespace FastDht.Engine.Mesh.Internal;

/// <summary>The timings the mesh and its links run by, and the data directory its import journal goes to (from the node's options; each documented there).</summary>
internal sealed record MeshSettings(
    TimeSpan HeartbeatInterval,
    TimeSpan PeerTimeout,
    TimeSpan ConnectTimeout,
    TimeSpan ReconnectBaseDelay,
    TimeSpan ReconnectMaxDelay,
    TimeSpan ForwardTimeout,
    string? DataDir = null);
