namespace FastDht.Locking;

/// <summary>Why an acquire did not get its lock.</summary>
public enum LockAbortReason : byte
{
    /// <summary>Not aborted.</summary>
    None = 0,

    /// <summary>Wait-die: a younger requester met an older transaction and died.</summary>
    Died = 1,

    /// <summary>No-wait: the key was taken.</summary>
    NoWait = 2,

    /// <summary>The wait outlived its limit (timeout strategy) or the requester's own lease.</summary>
    TimedOut = 3,

    /// <summary>Wound-wait: an older transaction wounded this one.</summary>
    Wounded = 4,

    /// <summary>The lock table is being disposed.</summary>
    ShuttingDown = 5,

    /// <summary>The requester's session (connection) dropped while it waited.</summary>
    SessionClosed = 6,

    /// <summary>The caller's cancellation token fired while it waited.</summary>
    Cancelled = 7,

    /// <summary>The transaction released all its locks (<see cref="LockTable.ReleaseAll"/>: it aborted) while this request waited.</summary>
    Released = 8,

    /// <summary>Detect: the transaction was the youngest in a cycle of waits (a deadlock) and was chosen to break it.</summary>
    Deadlock = 9,
}
