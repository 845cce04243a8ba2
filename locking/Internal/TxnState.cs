namespace FastDht.Locking.Internal;

/// <summary>States of a transaction at one lock table, stored as an int so they can change with Interlocked.</summary>
internal static class TxnState
{
    public const int Growing = 0;
    public const int Committing = 1;
    public const int Wounded = 2;
}
