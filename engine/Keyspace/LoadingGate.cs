namespace FastDht.Engine.Keyspace;

/// <summary>
/// Whether the node is still replaying its log at start: while it is, client sessions and peer links answer every
/// request that reads or changes keys with Loading, so nobody sees the partial state of a replay.
/// </summary>
internal sealed class LoadingGate(bool loading)
{
    /// <summary>The message a request refused while loading carries.</summary>
    public const string Message = "the node is loading its data from disk; retry shortly";

    private volatile bool _loading = loading;

    public bool IsLoading => _loading;

    /// <summary>The log is replayed: the keyspace serves from now on.</summary>
    public void End() => _loading = false;

    /// <summary>Whether an opcode touches the keyspace or its locks (refused while loading); Hello, Ping, ClusterInfo and NodeInfo are answered.</summary>
    public static bool ReadsOrWritesKeys(Protocol.Opcode opcode) =>
        opcode is not (Protocol.Opcode.Ping or Protocol.Opcode.ClusterInfo or Protocol.Opcode.NodeInfo or Protocol.Opcode.Hello);
}
