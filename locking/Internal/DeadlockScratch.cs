namespace FastDht.Locking.Internal;

/// <summary>One thread's reusable state for a deadlock walk (LockTable.Deadlock.cs): a walk allocates nothing once these have grown.</summary>
internal sealed class DeadlockScratch
{
    public readonly Queue<TxnId> Pending = new();
    public readonly HashSet<TxnId> Seen = new();
    public readonly List<TxnId> Blockers = new();
    public readonly WaitForGraph Graph = new();
    public readonly List<TxnId[]> Cycles = new();

    public void Clear()
    {
        Pending.Clear();
        Seen.Clear();
        Blockers.Clear();
        Graph.Clear();
        Cycles.Clear();
    }
}
