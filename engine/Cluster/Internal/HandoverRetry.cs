namespace FastDht.Engine.Cluster.Internal;

/// <summary>
/// How a request that meets a slot's handover at its old owner waits for it to end before it is tried again
/// (docs/elasticity.md, "Clients that keep no table"): 1, 2, 4 ... 32 ms apart, up to about 2 s in all.
/// </summary>
/// <remarks>
/// A handover lasts from the mark to the state that names the new owner: the rest of the capture shipped and that
/// state committed, a few milliseconds (locks are drained before the mark). The doubling answers the common case within
/// a millisecond or two of its end; the bound (70 tries: 31 ms, then 65 x 32 ms, about 2.1 s) turns a handover that
/// hangs into the retryable refusal the client would have had at once.
/// </remarks>
internal static class HandoverRetry
{
    /// <summary>Tries before the request is answered as refused (Moving, RESP <c>-TRYAGAIN</c>).</summary>
    public const int Attempts = 70;

    /// <summary>The pause before try <paramref name="attempt"/> (from 0), in milliseconds.</summary>
    public static int DelayMs(int attempt) => Math.Min(32, 1 << Math.Min(attempt, 5));
}
