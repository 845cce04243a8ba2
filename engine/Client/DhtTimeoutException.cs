namespace FastDht.Engine.Client;

/// <summary>A node did not answer a request within the request timeout (or answered that its own work timed out).</summary>
public sealed class DhtTimeoutException : DhtException
{
    public DhtTimeoutException()
    {
    }

    public DhtTimeoutException(string message) : base(message)
    {
    }

    public DhtTimeoutException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Node <paramref name="nodeId"/> sent no answer within <paramref name="timeout"/>.</summary>
    public DhtTimeoutException(ushort nodeId, string address, TimeSpan timeout)
        : base($"node {nodeId} ({address}) did not answer within {timeout.TotalMilliseconds:0} ms")
    {
        NodeId = nodeId;
        Address = address;
        Timeout = timeout;
    }

    public DhtTimeoutException(ushort nodeId, string address, TimeSpan timeout, string detail)
        : base($"node {nodeId} ({address}) did not answer within {timeout.TotalMilliseconds:0} ms: {detail}")
    {
        NodeId = nodeId;
        Address = address;
        Timeout = timeout;
    }

    /// <summary>The node that did not answer.</summary>
    public ushort NodeId { get; }

    /// <summary>That node's "host:port".</summary>
    public string Address { get; } = "";

    /// <summary>The request timeout that ran out.</summary>
    public TimeSpan Timeout { get; }
}
