namespace FastDht.Protocol;

/// <summary>One wait-for edge a node reports in a TxnWaitsFor answer: <see cref="Waiter"/> waits there for a lock <see cref="Blocker"/> holds or is queued for ahead of it.</summary>
public readonly record struct TxnWaitEdge(TxnId Waiter, TxnId Blocker);
