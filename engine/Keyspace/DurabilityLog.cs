using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Keyspace;

/// <summary>Log lines of the node's durability: source-generated, fixed event ids (300-309), never on the per-request path.</summary>
internal static partial class DurabilityLog
{
    [LoggerMessage(300, LogLevel.Information, "Node {NodeId} loading its data from {Directory}")]
    public static partial void Loading(ILogger logger, ushort nodeId, string directory);

    [LoggerMessage(301, LogLevel.Information, "Node {NodeId} loaded {Records} log records ({Bytes} bytes, {Segments} segments, {Keys} keys) in {Milliseconds} ms; fsync {Fsync}")]
    public static partial void Loaded(ILogger logger, ushort nodeId, long records, long bytes, int segments, long keys, long milliseconds, string fsync);

    [LoggerMessage(302, LogLevel.Warning, "Node {NodeId}: the log's last record was incomplete (a crash in the middle of a write); {Bytes} bytes cut off")]
    public static partial void TornTail(ILogger logger, ushort nodeId, long bytes);

    [LoggerMessage(303, LogLevel.Warning, "Node {NodeId}: the log was cut at a corrupt record, as TruncateCorruptLog allows: {Where}; every record after it is lost")]
    public static partial void Truncated(ILogger logger, ushort nodeId, string where);

    [LoggerMessage(304, LogLevel.Error, "Node {NodeId} cannot write its log ({Reason}): writes are refused until it can, reads are served")]
    public static partial void LogFailing(ILogger logger, ushort nodeId, string reason);

    [LoggerMessage(305, LogLevel.Information, "Node {NodeId} writes its log again: writes are accepted")]
    public static partial void LogRecovered(ILogger logger, ushort nodeId);
}
