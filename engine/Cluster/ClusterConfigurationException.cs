namespace FastDht.Engine.Cluster;

/// <summary>Bad cluster configuration (member list, node id, slot table): the message is one line meant for an operator.</summary>
public sealed class ClusterConfigurationException : Exception
{
    public ClusterConfigurationException(string message) : base(message)
    {
    }

    public ClusterConfigurationException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public ClusterConfigurationException()
    {
    }
}
