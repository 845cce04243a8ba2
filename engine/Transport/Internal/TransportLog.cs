using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Transport.Internal;

/// <summary>The transport's log lines, source-generated with fixed event ids (1000-1099 belong to the transport).</summary>
internal static partial class TransportLog
{
    [LoggerMessage(1000, LogLevel.Information, "Listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, EndPoint endPoint);

    [LoggerMessage(1001, LogLevel.Information, "Stopped listening on {EndPoint}")]
    public static partial void StoppedListening(ILogger logger, EndPoint endPoint);

    [LoggerMessage(1002, LogLevel.Warning, "Accept on {EndPoint} failed: {Error}")]
    public static partial void AcceptFailed(ILogger logger, EndPoint endPoint, SocketError error);

    [LoggerMessage(1003, LogLevel.Warning, "Connection handler for {RemoteEndPoint} failed")]
    public static partial void HandlerFailed(ILogger logger, EndPoint? remoteEndPoint, Exception exception);

    [LoggerMessage(1004, LogLevel.Debug, "Connection {RemoteEndPoint} closed by the peer")]
    public static partial void PeerClosed(ILogger logger, EndPoint? remoteEndPoint);

    [LoggerMessage(1005, LogLevel.Debug, "Connection {RemoteEndPoint} reset: {Error}")]
    public static partial void ConnectionReset(ILogger logger, EndPoint? remoteEndPoint, SocketError error);

    [LoggerMessage(1006, LogLevel.Information, "Connection {RemoteEndPoint} failed: {Error}")]
    public static partial void ConnectionFailed(ILogger logger, EndPoint? remoteEndPoint, SocketError error);

    [LoggerMessage(1007, LogLevel.Warning, "Connection {RemoteEndPoint} loop failed unexpectedly")]
    public static partial void LoopFailed(ILogger logger, EndPoint? remoteEndPoint, Exception exception);

    [LoggerMessage(1008, LogLevel.Warning, "Refused a connection from {RemoteEndPoint} on {EndPoint}: {Open} connections are open, the most this node keeps (maxClients); {Refused} refused since the start")]
    public static partial void ConnectionRefusedAtLimit(ILogger logger, EndPoint? remoteEndPoint, EndPoint endPoint, int open, long refused);

    [LoggerMessage(1009, LogLevel.Warning, "Closed client {RemoteEndPoint}: {Unsent} bytes of replies unread, past the client output limit ({Limit})")]
    public static partial void OutputLimitReached(ILogger logger, EndPoint? remoteEndPoint, long unsent, string limit);

    [LoggerMessage(1010, LogLevel.Warning, "Evicted client {RemoteEndPoint}: its buffers held {Bytes} bytes while all clients' held {Total}, past the client memory budget of {Limit} bytes (maxMemoryClients)")]
    public static partial void ClientEvicted(ILogger logger, EndPoint? remoteEndPoint, long bytes, long total, long limit);

    [LoggerMessage(1011, LogLevel.Warning, "Closed client {RemoteEndPoint}: it held {Held} bytes of a command it did not finish for {Seconds:0.#} s (clientQueryTimeout)")]
    public static partial void UnfinishedCommandTimedOut(ILogger logger, EndPoint? remoteEndPoint, long held, double seconds);

    [LoggerMessage(1012, LogLevel.Error, "The client memory sweep failed")]
    public static partial void BudgetSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(1013, LogLevel.Warning, "The epoll engine could not register {RemoteEndPoint} (errno {Errno}); the runtime's engine serves it")]
    public static partial void EpollRefused(ILogger logger, EndPoint? remoteEndPoint, int errno);

    [LoggerMessage(1020, LogLevel.Information, "TLS handshake with {RemoteEndPoint} failed: {Reason}")]
    public static partial void TlsHandshakeFailed(ILogger logger, EndPoint? remoteEndPoint, string reason);
}
