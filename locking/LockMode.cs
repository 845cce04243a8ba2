namespace FastDht.Locking;

/// <summary>How a key is locked: shared locks coexist, an exclusive lock excludes every other.</summary>
public enum LockMode : byte
{
    /// <summary>Read lock (MultiGet): compatible with other shared locks.</summary>
    Shared = 0,

    /// <summary>Write lock (MultiPut): compatible with nothing held by another transaction.</summary>
    Exclusive = 1,
}
