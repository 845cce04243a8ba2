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
            Fail(result, connection, timeout, cancellationToken, write: false);
    }

    /// <summary>
    /// As <see cref="ThrowIfFailed(in ResponseResult, ClientConnection, TimeSpan, CancellationToken)"/> for a request
    /// that changes keys: one that left and lost its answer (the connection closed, or the client's own timeout) throws
    /// <see cref="DhtWriteInDoubtException"/>.
    /// </summary>
    public static void ThrowIfWriteFailed(in ResponseResult result, ClientConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (result.IsError)
            Fail(result, connection, timeout, cancellationToken, write: true);
    }

    /// <summary>Whether the request's answer was lost after it was sent: the connection is gone, or the client gave up waiting.</summary>
    /// <remarks>
    /// A node that refuses a request (no lease, shutting down) answers on a live connection; an answer lost with the
    /// connection is told from it by the connection being closed. A refusal seen just as the connection closes is
    /// counted as in doubt, which is never wrong: in doubt only says the write may have been applied.
    /// </remarks>
    private static bool AnswerLost(in ResponseResult result, ClientConnection connection, string message) =>
        (result.Status == StatusCode.NodeUnavailable && !connection.IsOpen)
        || (result.Status == StatusCode.Timeout && ReferenceEquals(message, ClientSettings.TimeoutMessage));

    public static DhtException Unavailable(ushort nodeId, string address, string reason, Exception? inner) =>
        nodeId == ClientConnection.UnknownNodeId
            ? new DhtNodeUnavailableException($"seed {address} is unavailable: {reason}", inner!)
            : new DhtNodeUnavailableException(nodeId, address, reason, inner);

    private static void Fail(in ResponseResult result, ClientConnection connection, TimeSpan timeout, CancellationToken cancellationToken, bool write)
    {
        var message = result.ErrorMessage ?? result.Status.ToString();
        if (ReferenceEquals(message, CancelRequest.CanceledMessage))
            Throw.Canceled(cancellationToken);
        var error = ErrorOf(result, connection, timeout, message);
        if (write && AnswerLost(result, connection, message))
            throw new DhtWriteInDoubtException(connection.NodeId, connection.Address, error);
        throw error;
    }

    private static DhtException ErrorOf(in ResponseResult result, ClientConnection connection, TimeSpan timeout, string message) =>
        result.Status switch
        {
            StatusCode.NodeUnavailable or StatusCode.ShuttingDown =>
                Unavailable(connection.NodeId, connection.Address, result.Status == StatusCode.ShuttingDown ? $"shutting down: {message}" : message, null),
            // The client's own sweeper: the exception's message already says what happened.
            StatusCode.Timeout when ReferenceEquals(message, ClientSettings.TimeoutMessage) => new DhtTimeoutException(connection.NodeId, connection.Address, timeout),
            StatusCode.Timeout => new DhtTimeoutException(connection.NodeId, connection.Address, timeout, message),
            _ => new DhtServerException(result.Status, message, connection.NodeId, (int)Math.Min(result.Attempts, int.MaxValue)),
        };
}
