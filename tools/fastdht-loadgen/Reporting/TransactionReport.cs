namespace FastDht.LoadGen.Reporting;

/// <summary>How the lock strategy fared: commits, aborted attempts and retries.</summary>
/// <param name="Committed">Transactions that committed.</param>
/// <param name="Aborts">Attempts aborted by the lock strategy (each is followed by a retry, or by giving up).</param>
/// <param name="RetriesPerCommitted">Aborts divided by commits: the extra attempts a commit cost on average.</param>
/// <param name="AbortRate">Aborts divided by all attempts.</param>
public sealed record TransactionReport(long Committed, long Aborts, double RetriesPerCommitted, double AbortRate);
