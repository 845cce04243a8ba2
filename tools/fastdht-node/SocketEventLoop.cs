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
/// The number of event threads is read the same way and at the same moment (DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT; with
/// inline completions the runtime's default is one per core). The node sets it from --socket-threads after the settings
/// are resolved, still before its first socket (<see cref="ConfigureThreads"/>); an embedder's process is left as its
/// owner configured it, since the setting is process-wide.
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

    /// <summary>The runtime's event-thread count variable (System.Net.Sockets, Unix; read with the switch above).</summary>
    public const string ThreadCountVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>
    /// The node's event threads when nothing names a count: one. Why: with inline completions every request of the node
    /// runs on these threads, and on one node one thread cost less CPU per request and served more at every depth than
    /// one per core (fewer sleeps and wake-ups in epoll_wait; docs/benchmarks.md, "Socket event threads").
    /// </summary>
    public const int DefaultThreads = 1;

    /// <summary>The name the runtime gives its socket event threads (what /proc shows as a thread's comm).</summary>
    private const string EventThreadName = ".NET Sockets";

    /// <summary>Sets the runtime's event-thread count for this process; call before the first socket exists.</summary>
    /// <param name="asked">--socket-threads (or its variable or file field), when given: it wins over the runtime's variable.</param>
    /// <returns>The count in force afterwards (as the runtime will read it) and where it came from, for the log.</returns>
    public static (string Value, string Origin) ConfigureThreads(SocketThreadCount? asked)
    {
        var current = Environment.GetEnvironmentVariable(ThreadCountVariable);
        var chosen = ChooseThreads(asked, current);
        if (!string.Equals(current, chosen.Value, StringComparison.Ordinal))
            Environment.SetEnvironmentVariable(ThreadCountVariable, chosen.Value);
        // The same count for FastDht's own epoll engine (--socket-engine epoll), whose threads then do this work
        // instead; a value the runtime would not parse leaves it at its default (one).
        if (int.TryParse(chosen.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var threads) && threads >= 1)
            Engine.Transport.EpollSocketEngine.ConfigureThreads(threads);
        return chosen;
    }

    /// <summary>The node's option when given; else the runtime variable the operator set; else <see cref="DefaultThreads"/>.</summary>
    public static (string Value, string Origin) ChooseThreads(SocketThreadCount? asked, string? current)
    {
        if (asked is { } given)
            return (given.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture), given.Source);
        if (!string.IsNullOrEmpty(current))
            return (current, ThreadCountVariable);
        return (DefaultThreads.ToString(System.Globalization.CultureInfo.InvariantCulture), "the default");
    }

    /// <summary>
    /// How many event threads the runtime is running, counted by name in /proc/self/task (Linux); null where that cannot
    /// be read. What the log reports, so an operator (and a test) sees the count that took effect, not the one asked for.
    /// </summary>
    public static int? CountRunningThreads()
    {
        const string tasks = "/proc/self/task";
        if (!OperatingSystem.IsLinux() || !Directory.Exists(tasks))
            return null;
        var count = 0;
        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                if (string.Equals(File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'), EventThreadName, StringComparison.Ordinal))
                    count++;
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }
        return count;
    }
}
