namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// Reads the transaction records of a node's write-ahead log (and of the snapshot before it, <see cref="TxnSnapshotRecords"/>)
/// while it is replayed: commit decisions, ended attempts and the forgotten watermark go back into the node's
/// <see cref="TxnDecisions"/>, and the prepare records no end record closed are the attempts to install again
/// (<see cref="TxnParticipant.Reinstall"/>).
/// </summary>
internal sealed class PreparedRecovery
{
    private readonly TxnDecisions _decisions;
    private readonly Dictionary<Locking.TxnId, PreparedTxn> _pending = [];

    public PreparedRecovery(TxnDecisions decisions) => _decisions = decisions;

    /// <summary>Prepared attempts no end record closed, in no particular order.</summary>
    public ICollection<PreparedTxn> Pending => _pending.Values;

    /// <summary>Takes one application record of the log (in log order); false when it is not a transaction record.</summary>
    public bool TryApply(ReadOnlySpan<byte> body)
    {
        if (TxnDecisionRecord.TryRead(body, out var decision, out var ended))
        {
            _decisions.Remember(decision);
            if (ended && _pending.TryGetValue(decision.Txn, out var open) && open.Attempt == decision.Attempt)
                _pending.Remove(decision.Txn);
            return true;
        }
        if (TxnForgottenRecord.TryRead(body, out var forgottenUpTo))
        {
            _decisions.ForgetUpTo(forgottenUpTo);
            return true;
        }
        if (TxnPrepareRecord.TryRead(body, out var prepared))
        {
            // A later attempt of the same transaction replaces an earlier one: one attempt is prepared at a time.
            _pending[prepared!.Id] = prepared;
            return true;
        }
        return false;
    }
}
