namespace FastDht.Engine.Connections;

/// <summary>Hands out the lock-table session ids of client sessions and peer links: unique in the process, never 0.</summary>
/// <remarks>0 is the coordinator's own session (locks a coordinator takes on its own keys, released by it, never by a connection's close).</remarks>
internal static class SessionIds
{
    /// <summary>The lock-table session of the locks a coordinator takes on its own keys.</summary>
    public const long Coordinator = 0;

    private static long _next;

    public static long Next() => Interlocked.Increment(ref _next);
}
