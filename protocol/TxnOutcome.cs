namespace FastDht.Protocol;

/// <summary>What a node knows of one transaction attempt: the TxnStatus (0x46) answer.</summary>
public enum TxnOutcome : byte
{
    /// <summary>
    /// The responder never prepared the attempt and, from this answer on, refuses to (a late TxnPrepare is answered
    /// Aborted). From the coordinator, in the incarnation that prepared it: the attempt was never decided commit.
    /// </summary>
    NotPrepared = 0,

    /// <summary>Prepared and not decided yet (a participant), or still collecting votes (the coordinator).</summary>
    Prepared = 1,

    /// <summary>Decided commit (and, at a participant, applied).</summary>
    Committed = 2,

    /// <summary>Decided abort.</summary>
    Aborted = 3,

    /// <summary>The responder cannot tell: it forgot (its memory of decisions is bounded) the attempt's outcome.</summary>
    Unknown = 4,
}
