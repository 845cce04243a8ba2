using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Client.Internal;

/// <summary>Turns a failed response into the client's exception types, naming the node the request went to.</summary>
internal static class ClientErrors
{
    /// <summary>Throws when <paramref name="result"/> carries an error status; NotFound and Exists are outcomes, not errors.</summary>
    public static void ThrowIfFailed(in ResponseResult result, ClientConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (result.IsError)
            Fail(result, connection, timeout, cancellationToken);
    }

    public static DhtException Unavailable(ushort nodeId, string address, string reason, Exception? inner) =>
        nodeId == ClientConnection.UnknownNodeId
            ? new DhtNodeUnavailableException($"seed {address} is unavailable: {reason}", inner!)
            : new DhtNodeUnavailableException(nodeId, address, reason, inner);

    private static void Fail(in ResponseResult result, ClientConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var message = result.ErrorMessage ?? result.Status.ToString();
        if (ReferenceEquals(message, CancelRequest.CanceledMessage))
            Throw.Canceled(cancellationToken);
        throw result.Status switch
        {
            StatusCode.NodeUnavailable or StatusCode.ShuttingDown =>
                Unavailable(connection.NodeId, connection.Address, result.Status == StatusCode.ShuttingDown ? $"shutting down: {message}" : message, null),
            // The client's own sweeper: the exception's message already says what happened.
            StatusCode.Timeout when ReferenceEquals(message, ClientSettings.TimeoutMessage) => new DhtTimeoutException(connection.NodeId, connection.Address, timeout),
            StatusCode.Timeout => new DhtTimeoutException(connection.NodeId, connection.Address, timeout, message),
            _ => new DhtServerException(result.Status, message, connection.NodeId, (int)Math.Min(result.Attempts, int.MaxValue)),
        };
    }
}
