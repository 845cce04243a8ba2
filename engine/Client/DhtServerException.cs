using FastDht.Protocol;

namespace FastDht.Engine.Client;

/// <summary>A node answered with an error status (bad request, invalid key, locked, internal error, ...).</summary>
public sealed class DhtServerException : DhtException
{
    public DhtServerException()
    {
    }

    public DhtServerException(string message) : base(message)
    {
    }

    public DhtServerException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public DhtServerException(StatusCode status, string serverMessage, ushort nodeId, int attempts = 0)
        : base($"node {nodeId} answered {status}: {serverMessage}")
    {
        Status = status;
        ServerMessage = serverMessage;
        NodeId = nodeId;
        Attempts = attempts;
    }

    /// <summary>The status code the node answered with.</summary>
    public StatusCode Status { get; }

    /// <summary>The node's one-line error message.</summary>
    public string ServerMessage { get; } = "";

    /// <summary>The node that answered.</summary>
    public ushort NodeId { get; }

    /// <summary>
    /// For a MultiPut or MultiGet that failed (for example <see cref="StatusCode.Aborted"/>: it gave up after the node's
    /// attempt or time bound): how many attempts the coordinator made, every one aborted or failed. 0 when the node did
    /// not say (the request was refused before any attempt, or the error came from elsewhere).
    /// </summary>
    public int Attempts { get; }
}
