using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>Log lines of the "detect" strategy's global deadlock detector: source-generated, fixed event ids (120-129).</summary>
internal static partial class DeadlockLog
{
    [LoggerMessage(120, LogLevel.Debug, "Deadlock across nodes: {Cycle}; aborting its youngest, {Victim}")]
    public static partial void Broken(ILogger logger, string cycle, string victim);

    [LoggerMessage(121, LogLevel.Debug, "Deadlock detector: node {Node} did not answer TxnWaitsFor ({Reason}); this round goes without its edges")]
    public static partial void PeerMissing(ILogger logger, ushort node, string reason);
}
