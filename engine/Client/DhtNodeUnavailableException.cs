namespace FastDht.Engine.Client;

/// <summary>The node that owns a key (or that a call was sent to) cannot be reached: refused, closed or shutting down.</summary>
public sealed class DhtNodeUnavailableException : DhtException
{
    public DhtNodeUnavailableException()
    {
    }

    public DhtNodeUnavailableException(string message) : base(message)
    {
    }

    public DhtNodeUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public DhtNodeUnavailableException(ushort nodeId, string address, string reason, Exception? innerException = null)
        : base($"node {nodeId} ({address}) is unavailable: {reason}", innerException!)
    {
        NodeId = nodeId;
        Address = address;
    }

    /// <summary>The unreachable node's member id.</summary>
    public ushort NodeId { get; }

    /// <summary>The unreachable node's "host:port".</summary>
    public string Address { get; } = "";
}
