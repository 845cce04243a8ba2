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

    /// <summary>Whether an opcode touches the keyspace or its locks (refused while loading); Hello, Ping, ClusterInfo, NodeInfo and ClusterPush are answered, RespPublish delivered.</summary>
    /// <remarks>
    /// ClusterPush installs a cluster state, no key: a peer pushes its state once, when the link comes up, so a restarted
    /// node that refused it while replaying stayed at its first state (its start-up slot table) for as long as the link
    /// lasted (found by MoveFailureTests: a source restarted mid-move never learned that its slots were moving).
    /// RespPublish carries a pub/sub message, no key: Redis delivers PUBLISH while it loads too.
    /// </remarks>
    public static bool ReadsOrWritesKeys(Protocol.Opcode opcode) =>
        opcode is not (Protocol.Opcode.Ping or Protocol.Opcode.ClusterInfo or Protocol.Opcode.NodeInfo or Protocol.Opcode.Hello or Protocol.Opcode.ClusterPush or Protocol.Opcode.RespPublish or Protocol.Opcode.Fragment);
}
