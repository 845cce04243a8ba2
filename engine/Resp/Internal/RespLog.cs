using System.Net;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Resp.Internal;

/// <summary>The RESP server's log lines (event ids 200-299).</summary>
internal static partial class RespLog
{
    [LoggerMessage(201, LogLevel.Information, "Closed RESP connection from {Remote}: {Reason}")]
    public static partial void ProtocolError(ILogger logger, EndPoint? remote, string reason);

    [LoggerMessage(202, LogLevel.Error, "RESP connection from {Remote} failed unexpectedly")]
    public static partial void SessionFailed(ILogger logger, EndPoint? remote, Exception exception);

    [LoggerMessage(203, LogLevel.Warning, "Closed RESP connection from {Remote}: more than {Limit} bytes of pushes (pub/sub messages, tracking invalidations) left unread")]
    public static partial void TooManyUnreadPushes(ILogger logger, EndPoint? remote, long limit);
}
