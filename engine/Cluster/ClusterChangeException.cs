namespace FastDht.Engine.Cluster;

/// <summary>A proposed cluster-state change was not committed; the message says why (no leader, no quorum, conflicts, stopping).</summary>
public sealed class ClusterChangeException : Exception
{
    public ClusterChangeException(string message)
        : base(message)
    {
    }

    public ClusterChangeException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
