namespace FastDht.NodeHost;

/// <summary>Makes the runtime's socket event threads run socket completions themselves: the event-loop shape Redis has.</summary>
/// <remarks>
/// Why: on Linux the runtime waits for socket readiness on its own event threads (epoll, one per core with this switch)
/// and, by default, hands every batch of ready sockets to the thread pool. A served connection already runs its parse
/// loop and its send inline (ConnectionOptions.InlineScheduling), so that hand-off is the last hop of a request: a queue
/// push, a worker wake-up (futex) and the idle workers' spinning (sched_yield). Measured with
/// benchmarks/syscalls-per-request.sh (redis-benchmark GET, 50 connections, one request each): 16.0 -> 11.6 µs CPU and
/// 4.42 -> 3.58 syscalls per request (docs/profiling.md, section 4); about 1.4x the requests per second at -P 1.
/// Safe for the node because nothing on a socket continuation blocks: the loops are asynchronous, the keyspace waits
/// asynchronously, blocking work (log flushes, snapshots) runs on threads of its own, and a connection fed faster than
/// it is served gives its thread back at the pipes' back-pressure (that resumes on the thread pool). A forwarded
/// pipeline flood once answered forward timeouts with this on: the forwards in flight had no bound, so a link queued
/// seconds of the owner's work; RequestMultiplexer.ForwardWindow bounds them now (ForwardFloodTests).
/// The runtime reads DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS from the environment only (no runtimeconfig or
/// AppContext switch), once, when the first socket is made, so this runs first thing in NodeProgram.RunAsync. A
/// value the operator set (0 keeps the thread-pool hand-off) is left alone.
/// </remarks>
internal static class SocketEventLoop
{
    /// <summary>The runtime's switch (System.Net.Sockets, Unix only; Windows completes on its IO threads anyway).</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns inline socket completions on for this process unless the environment already decides.</summary>
    /// <returns>The value in force afterwards.</returns>
    public static string Configure()
    {
        var current = Environment.GetEnvironmentVariable(InlineCompletionsVariable);
        var chosen = Choose(current);
        if (!string.Equals(current, chosen, StringComparison.Ordinal))
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, chosen);
        return chosen;
    }

    /// <summary>The operator's value when there is one, else "1" (inline).</summary>
    public static string Choose(string? current) => string.IsNullOrEmpty(current) ? "1" : current;
}
