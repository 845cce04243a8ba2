namespace FastDht.Locking.Internal;

/// <summary>States of a transaction at one lock table, stored as an int so they can change with Interlocked.</summary>
internal static class TxnState
{
    public const int Growing = 0;
    public const int Committing = 1;
    public const int Wounded = 2;

    /// <summary>
    /// Prepared in a two-phase commit: cannot be wounded, and its holds outlive their leases and their session until
    /// the transaction's decision releases them (ReleaseAll). A prepared participant never decides alone.
    /// </summary>
    public const int Prepared = 3;
}
