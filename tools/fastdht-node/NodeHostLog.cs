using Microsoft.Extensions.Logging;

namespace FastDht.NodeHost;

/// <summary>The host's own log lines (the node logs the rest): source-generated, fixed event ids from 100 up.</summary>
internal static partial class NodeHostLog
{
    [LoggerMessage(100, LogLevel.Information, "Received {Signal}: stopping (send it again to exit without draining)")]
    public static partial void SignalReceived(ILogger logger, string signal);

    [LoggerMessage(101, LogLevel.Critical, "The node failed")]
    public static partial void Failed(ILogger logger, Exception exception);

    [LoggerMessage(102, LogLevel.Information, "Status endpoint listening on http://{EndPoint}/ (/metrics, /health, /cluster)")]
    public static partial void StatusListening(ILogger logger, string endPoint);

    [LoggerMessage(103, LogLevel.Information, "Socket event threads: {Running} running ({Asked} from {Origin})")]
    public static partial void SocketThreads(ILogger logger, string running, string asked, string origin);

    [LoggerMessage(104, LogLevel.Information, "Socket engine: {Engine}")]
    public static partial void SocketEngine(ILogger logger, string engine);

    [LoggerMessage(105, LogLevel.Information, "Started with {Signal} ignored (as a script's background job is): it stops the node all the same")]
    public static partial void SignalReclaimed(ILogger logger, string signal);
}
