namespace FastDht.Engine.Cluster;

/// <summary>Where each member serves each protocol, as far as this node knows (its own listeners, and each peer's as it reported them).</summary>
internal interface IListenerAddresses
{
    /// <summary>"host:port" where <paramref name="nodeId"/> serves <paramref name="protocol"/>, or null when unknown.</summary>
    string? AddressOf(ushort nodeId, string protocol);
}
