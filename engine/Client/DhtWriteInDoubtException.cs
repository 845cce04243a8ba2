namespace FastDht.Engine.Client;

/// <summary>
/// A write was sent and its answer never came: the connection to the node was lost or the request timed out after it
/// left, so the write may or may not have been applied (and, with replicas, may survive a failover). Not retried by
/// the client; read the key, or repeat the write if it is idempotent. <see cref="Exception.InnerException"/> says what
/// happened (<see cref="DhtNodeUnavailableException"/> or <see cref="DhtTimeoutException"/>).
/// </summary>
public sealed class DhtWriteInDoubtException : DhtException
{
    public DhtWriteInDoubtException()
    {
    }

    public DhtWriteInDoubtException(string message) : base(message)
    {
    }

    public DhtWriteInDoubtException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The write sent to node <paramref name="nodeId"/> got no answer because of <paramref name="innerException"/>.</summary>
    public DhtWriteInDoubtException(ushort nodeId, string address, DhtException innerException)
        : base($"a write sent to node {nodeId} ({address}) is in doubt (it may or may not have been applied): {innerException.Message}", innerException)
    {
        NodeId = nodeId;
        Address = address;
    }

    /// <summary>The member id of the node the write was sent to.</summary>
    public ushort NodeId { get; }

    /// <summary>That node's "host:port".</summary>
    public string Address { get; } = "";
}
