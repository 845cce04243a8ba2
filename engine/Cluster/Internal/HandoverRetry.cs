namespace FastDht.Engine.Cluster.Internal;

/// <summary>
/// How a request that meets a slot's handover at its old owner waits for it to end before it is tried again
/// (docs/elasticity.md, "Clients that keep no table"): 1 ms apart eight times, then 2, 4 ... 32 ms, up to about 2 s in all.
/// </summary>
/// <remarks>
/// A handover lasts from the mark to the state that names the new owner: the rest of the capture shipped and that
/// state committed, a few milliseconds (locks are drained before the mark, the catch-up leaves only a few kilobytes).
/// Eight tries 1 ms apart answer the common case within about a millisecond of its end (the doubling from the first
/// try, 1, 2, 4, 8 ms, answered a 9 ms handover at 15 ms: the handover's operations set the moves' p99); the doubling
/// after them keeps a long one (a loaded machine's Raft round) from costing many tries; the bound (76 tries: 38 ms, then
/// 64 x 32 ms, about 2.1 s) turns a handover that hangs into the retryable refusal the client would have had at once.
/// Also the native client's schedule (<c>DhtClient</c>).
/// </remarks>
internal static class HandoverRetry
{
    /// <summary>Tries before the request is answered as refused (Moving, RESP <c>-TRYAGAIN</c>).</summary>
    public const int Attempts = 76;

    /// <summary>Tries 1 ms apart before the pauses double.</summary>
    private const int Fine = 8;

    /// <summary>The pause before try <paramref name="attempt"/> (from 0), in milliseconds.</summary>
    public static int DelayMs(int attempt) => attempt < Fine ? 1 : Math.Min(32, 1 << Math.Min(attempt - Fine + 1, 5));
}
