namespace FastDht.Engine.Transactions.Internal;

/// <summary>The node options transactions run by (NodeOptions' Txn* settings and the peer timings they depend on).</summary>
/// <param name="TxnTimeout">How long a transaction may take over all its attempts; also how long a client waits for a commit's confirmation.</param>
/// <param name="TxnLockLease">The lease of a transaction's locks (longer than <paramref name="TxnTimeout"/>).</param>
/// <param name="TxnMaxAttempts">Attempts before a transaction gives up.</param>
/// <param name="ForwardTimeout">The bound of one call to another node.</param>
/// <param name="PeerTimeout">How long a silent peer is waited for; an uncertain participant first asks one peer timeout after its prepare.</param>
internal sealed record TxnSettings(TimeSpan TxnTimeout, TimeSpan TxnLockLease, int TxnMaxAttempts, TimeSpan ForwardTimeout, TimeSpan PeerTimeout);
