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

    [LoggerMessage(306, LogLevel.Information, "Node {NodeId} wrote a snapshot of {Keys} keys ({Bytes} bytes) to {File} in {Milliseconds} ms; the log before position {Position} is no longer needed")]
    public static partial void SnapshotWritten(ILogger logger, ushort nodeId, long keys, long bytes, string file, long milliseconds, long position);

    [LoggerMessage(307, LogLevel.Error, "Node {NodeId} could not write a snapshot ({Reason}); the log is kept whole and the next snapshot tries again")]
    public static partial void SnapshotFailed(ILogger logger, ushort nodeId, string reason);

    [LoggerMessage(308, LogLevel.Information, "Node {NodeId} loaded the snapshot {File} ({Keys} keys); the log after it follows")]
    public static partial void SnapshotLoaded(ILogger logger, ushort nodeId, string file, long keys);

    [LoggerMessage(309, LogLevel.Warning, "Node {NodeId}: the snapshot {Damage} was set aside (renamed *.snap.damaged); loaded an older snapshot or the whole log instead")]
    public static partial void SnapshotSetAside(ILogger logger, ushort nodeId, string damage);
}
