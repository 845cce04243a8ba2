using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>Log lines of slot moves.</summary>
internal static partial class SlotMoveLog
{
    [LoggerMessage(30, LogLevel.Information, "Moved slots {First}-{Last} from node {From} to node {To}: {Keys} keys in {TotalMs:0.#} ms, writes paused {FrozenMs:0.#} ms")]
    public static partial void Moved(ILogger logger, int first, int last, ushort from, ushort to, long keys, double totalMs, double frozenMs);

    [LoggerMessage(31, LogLevel.Warning, "Moving slots {First}-{Last} from node {From} to node {To} failed: {Reason}")]
    public static partial void Failed(ILogger logger, int first, int last, ushort from, ushort to, string reason);
}
