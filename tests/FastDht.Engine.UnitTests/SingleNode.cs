using FastDht.Engine.Node;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// A one-node cluster whose connections under test come through <see cref="DhtNode.ServeAsync"/> over in-memory
/// pipes. (The node still binds its idle loopback listener at start; no test traffic goes through it.)
/// </summary>
internal static class SingleNode
{
    public const string ClusterName = "unit";

    public static Task<LocalCluster> StartAsync() =>
        LocalCluster.StartAsync(new LocalClusterOptions { NodeCount = 1, Configure = o => o.ClusterName = ClusterName });
}
