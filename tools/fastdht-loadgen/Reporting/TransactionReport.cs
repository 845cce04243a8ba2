namespace FastDht.LoadGen.Reporting;

/// <summary>How the lock strategy fared: commits, transactions that gave up, and every aborted attempt.</summary>
/// <param name="Committed">Transactions (MultiPuts) that committed.</param>
/// <param name="GaveUp">Transactions that gave up after the node's attempt or time bound (an <c>Aborted</c> error), nothing written.</param>
/// <param name="Aborts">
/// Attempts aborted by the lock strategy: the retries of committed transactions and every attempt of those that gave
/// up (the node's answer carries the count), so committed + aborts is every attempt made.
/// </param>
/// <param name="RetriesPerCommitted">Aborts divided by commits: the extra attempts a commit cost on average.</param>
/// <param name="AbortRate">Aborts divided by all attempts (committed + aborts).</param>
/// <param name="MaxAttempts">The most attempts one transaction took, committed or gave up: where starvation shows.</param>
public sealed record TransactionReport(long Committed, long GaveUp, long Aborts, double RetriesPerCommitted, double AbortRate, long MaxAttempts);
