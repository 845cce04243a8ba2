using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>Log lines of the transaction protocol: source-generated, fixed event ids (100-119), off the per-request path.</summary>
internal static partial class TxnLog
{
    [LoggerMessage(100, LogLevel.Information, "Transaction {Txn}#{Attempt}: prepared here and no decision yet; asking the coordinator and the other participants")]
    public static partial void Uncertain(ILogger logger, string txn, ushort attempt);

    [LoggerMessage(101, LogLevel.Information, "Transaction {Txn}#{Attempt}: outcome learned from {Source}: {Outcome}")]
    public static partial void Resolved(ILogger logger, string txn, ushort attempt, string source, string outcome);

    [LoggerMessage(102, LogLevel.Critical, "Transaction {Txn}#{Attempt}: {What}")]
    public static partial void Inconsistent(ILogger logger, string txn, ushort attempt, string what);

    [LoggerMessage(103, LogLevel.Debug, "Transaction {Txn}#{Attempt}: delivering the {Outcome} decision to node {Node} failed ({Reason}); retrying")]
    public static partial void DeliveryRetry(ILogger logger, string txn, ushort attempt, string outcome, ushort node, string reason);

    [LoggerMessage(104, LogLevel.Information, "Node {NodeId} installed again {Count} transactions it had prepared and not seen decided before it stopped; their locks are held until it learns each outcome")]
    public static partial void Reinstalled(ILogger logger, ushort nodeId, int count);

    [LoggerMessage(105, LogLevel.Information, "Node {NodeId}, promoted, installed {Count} transactions the primary it replaces had prepared and not seen decided; their locks are held until it learns each outcome")]
    public static partial void TakenOver(ILogger logger, ushort nodeId, int count);
}
