using FastDht.Engine.Keyspace;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// What a snapshot must carry of the transaction records in the log it lets go: the commit decisions still
/// remembered, the forgotten watermark, and every attempt prepared here and not ended. Read back at start through
/// <see cref="PreparedRecovery.TryApply"/>, before the log after the snapshot (which may repeat some of them).
/// </summary>
internal static class TxnSnapshotRecords
{
    /// <summary>Called on the snapshot thread after the snapshot's log position is fixed.</summary>
    /// <remarks>
    /// A prepare appends its record, then enters _prepared; a decision applies, removes and appends its end record;
    /// each as one step under <see cref="LocalKeyspace.Commits"/>. Waiting for the steps in progress first means
    /// every attempt whose prepare record lies before the snapshot's position is either in _prepared now or has
    /// ended, and an end record not yet appended lands after the position, where replay finds it after the prepare
    /// carried here.
    /// </remarks>
    public static IReadOnlyList<byte[]> Capture(LocalKeyspace keyspace, TxnParticipant participant, TxnDecisions decisions)
    {
        keyspace.Commits.WaitForCommitsInProgress();
        var records = decisions.CommitRecords();
        if (decisions.ForgottenUpTo != long.MinValue)
            records.Add(TxnForgottenRecord.Encode(decisions.ForgottenUpTo));
        foreach (var prepared in participant.Prepared)
            records.Add(TxnPrepareRecord.Encode(prepared));
        return records;
    }
}
