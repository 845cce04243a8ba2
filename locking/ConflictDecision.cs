namespace FastDht.Locking;

/// <summary>What a strategy decides about one conflict.</summary>
public enum ConflictDecision : byte
{
    /// <summary>The requester queues behind the conflicting transaction.</summary>
    Wait = 0,

    /// <summary>The requester aborts at once (wait-die's "die", no-wait's abort).</summary>
    AbortRequester = 1,

    /// <summary>The conflicting transaction is wounded (aborted) unless it is committing; the requester waits for it to let go.</summary>
    Wound = 2,
}
