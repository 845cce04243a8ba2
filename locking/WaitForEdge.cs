namespace FastDht.Locking;

/// <summary>One edge of a wait-for graph: <see cref="Waiter"/> waits for a lock that <see cref="Blocker"/> holds or is queued for ahead of it.</summary>
public readonly record struct WaitForEdge(TxnId Waiter, TxnId Blocker);
