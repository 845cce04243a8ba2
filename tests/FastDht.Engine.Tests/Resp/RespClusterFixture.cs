using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>One RESP-enabled 3-node cluster shared by a test class (tests use distinct keys).</summary>
public sealed class RespClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await RespCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
