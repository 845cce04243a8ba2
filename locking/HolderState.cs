namespace FastDht.Locking;

/// <summary>Where a conflicting transaction is in its life, as far as this lock table knows.</summary>
public enum HolderState : byte
{
    /// <summary>Still taking locks: it may be wounded.</summary>
    Growing = 0,

    /// <summary>Prepared (<see cref="LockTable.MarkCommitting"/>): it will finish soon and can no longer be wounded.</summary>
    Committing = 1,
}
