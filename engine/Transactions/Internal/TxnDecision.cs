using FastDht.Locking;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// The outcome of one attempt of a transaction: the one record a coordinator decides and every participant learns.
/// </summary>
/// <remarks>
/// Record-shaped on purpose: it is what a write-ahead log will persist (the coordinator before it delivers the
/// decision, a participant together with the writes it applies), so that a restarted node answers for it instead
/// of forgetting it. An attempt, not a transaction: a retry keeps the transaction's id and takes a new attempt number.
/// </remarks>
internal readonly record struct TxnDecision(TxnId Txn, ushort Attempt, bool Commit)
{
    public override string ToString() => $"{Txn}#{Attempt} {(Commit ? "commit" : "abort")}";
}
