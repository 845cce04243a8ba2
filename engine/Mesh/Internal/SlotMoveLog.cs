using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>Log lines of slot moves.</summary>
internal static partial class SlotMoveLog
{
    [LoggerMessage(30, LogLevel.Information, "Moved slots {First}-{Last} from node {From} to node {To}: {Keys} keys in {TotalMs:0.#} ms, writes paused {FrozenMs:0.#} ms")]
    public static partial void Moved(ILogger logger, int first, int last, ushort from, ushort to, long keys, double totalMs, double frozenMs);

    [LoggerMessage(31, LogLevel.Warning, "Moving slots {First}-{Last} from node {From} to node {To} failed: {Reason}")]
    public static partial void Failed(ILogger logger, int first, int last, ushort from, ushort to, string reason);

    [LoggerMessage(38, LogLevel.Information, "Node {NodeId} dropped {Keys} keys of slots {First}-{Last} it was importing: the move was abandoned (epoch {Epoch})")]
    public static partial void ImportDropped(ILogger logger, int first, int last, ushort nodeId, long keys, ulong epoch);

    [LoggerMessage(39, LogLevel.Warning, "Node {NodeId} could not drop the keys of an abandoned import: {Reason}")]
    public static partial void ImportDropFailed(ILogger logger, ushort nodeId, string reason);

    [LoggerMessage(36, LogLevel.Information, "Node {NodeId} cleared slots {First}-{Last} marked moving to node {To}: no move of its own runs (it restarted, or an undo did not get through)")]
    public static partial void StaleMarkCleared(ILogger logger, ushort nodeId, int first, int last, ushort to);

    [LoggerMessage(37, LogLevel.Warning, "Node {NodeId} could not clear slots {First}-{Last} marked moving to node {To} yet: {Reason}; retrying")]
    public static partial void StaleMarkKept(ILogger logger, ushort nodeId, int first, int last, ushort to, string reason);
}
