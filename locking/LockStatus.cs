namespace FastDht.Locking;

/// <summary>Whether an acquire got its lock.</summary>
public enum LockStatus : byte
{
    /// <summary>The lock is held; the result carries its fencing token.</summary>
    Granted = 0,

    /// <summary>The lock was not taken; the result says why. The transaction should abort everywhere and retry.</summary>
    Aborted = 1,
}
