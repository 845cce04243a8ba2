namespace FastDht.NodeHost;

/// <summary>The process exit codes of fastdht-node, documented in docs/running.md.</summary>
internal static class ExitCodes
{
    /// <summary>The node stopped after a signal, having drained its in-flight requests.</summary>
    public const int Stopped = 0;

    /// <summary>The node failed while running (an unexpected error, logged).</summary>
    public const int Failed = 1;

    /// <summary>Bad usage or configuration: nothing was started; the reason is one line on stderr.</summary>
    public const int BadConfiguration = 2;

    /// <summary>A second SIGINT or SIGTERM ended the drain early: 128 + the signal's number, as shells report it.</summary>
    public static int ForcedBy(int signalNumber) => 128 + signalNumber;
}
