using System.Net;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>The client sessions' and the handshake's log lines: source-generated, fixed event ids, nothing formatted unless the level is enabled.</summary>
internal static partial class SessionLog
{
    [LoggerMessage(4, LogLevel.Warning, "Refused handshake from {Remote}: {Reason}")]
    public static partial void HandshakeRefused(ILogger logger, EndPoint? remote, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Closed connection from {Remote}: {Reason}")]
    public static partial void BadInput(ILogger logger, EndPoint? remote, string reason);

    [LoggerMessage(10, LogLevel.Error, "Connection from {Remote} failed unexpectedly")]
    public static partial void SessionFailed(ILogger logger, EndPoint? remote, Exception exception);

    [LoggerMessage(13, LogLevel.Information, "Closed connection from {Remote}: {Reason}")]
    public static partial void Closed(ILogger logger, EndPoint? remote, string reason);
}
