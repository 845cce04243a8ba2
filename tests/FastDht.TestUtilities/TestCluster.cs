using System.Net;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using Microsoft.Extensions.Logging;

namespace FastDht.TestUtilities;

/// <summary>
/// The engine's <see cref="LocalCluster"/> with what tests want on top: fast heartbeats and reconnects, the cluster
/// name "test", and every wait bounded (<see cref="Bounded"/>) so a stuck node fails the test instead of hanging it.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    /// <summary>The cluster name test nodes and test clients present.</summary>
    public const string ClusterName = "test";

    private TestCluster(LocalCluster local) => Local = local;

    /// <summary>The cluster underneath, for what this wrapper does not repeat.</summary>
    public LocalCluster Local { get; }

    public MemberList Members => Local.Members;

    public int Count => Local.Count;

    /// <summary>The running node with this index (index = node id), or an exception if it is stopped.</summary>
    public DhtNode this[int index] => Local[index];

    public IEnumerable<DhtNode> RunningNodes => Local.RunningNodes;

    public IPEndPoint EndPointOf(int index) => Local.EndPointOf(index);

    /// <summary>Reserves ports and, unless told otherwise, starts every node and waits for the full mesh.</summary>
    public static async Task<TestCluster> StartAsync(
        int nodeCount = 3,
        Action<NodeOptions>? configure = null,
        bool start = true,
        ILoggerFactory? loggerFactory = null)
    {
        var local = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            NodeCount = nodeCount,
            Configure = options =>
            {
                ApplyTestDefaults(options);
                configure?.Invoke(options);
            },
            LoggerFactory = loggerFactory,
            Start = start,
            MeshTimeout = Bounded.Timeout,
        }).WithinAsync("the cluster to start").ConfigureAwait(false);
        return new TestCluster(local);
    }

    /// <summary>The options node <paramref name="index"/> starts with (fast heartbeats and reconnects for tests).</summary>
    public NodeOptions OptionsFor(int index) => Local.OptionsFor(index);

    /// <summary>Starts node <paramref name="index"/> on its member address (rebinding it if it was stopped).</summary>
    public Task<DhtNode> StartNodeAsync(int index) => Local.StartNodeAsync(index).WithinAsync($"node {index} to start");

    public Task StopNodeAsync(int index) => Local.StopNodeAsync(index).WithinAsync($"node {index} to stop");

    public Task WaitForMeshAsync(TimeSpan? timeout = null) => Local.WaitForMeshAsync(timeout ?? Bounded.Timeout);

    /// <summary>The node id that owns a key under a running node's current cluster state.</summary>
    public ushort OwnerOf(byte[] key) => Local.OwnerOf(key);

    /// <summary>
    /// Installs <paramref name="state"/> on every running node, one after the other (as failover and rebalancing
    /// will, through consensus); throws if a node already has that epoch or a later one.
    /// </summary>
    public void InstallClusterState(ClusterState state)
    {
        foreach (var node in RunningNodes)
        {
            if (!node.Core.Cluster.TryInstall(state))
                throw new InvalidOperationException($"node {node.NodeId} refused epoch {state.Epoch}: it is at epoch {node.ClusterState.Epoch}");
        }
    }

    public async ValueTask DisposeAsync() => await Local.DisposeAsync().AsTask().WithinAsync("the cluster to stop").ConfigureAwait(false);

    /// <summary>Test timings: a dead peer is noticed in seconds and a returning one redialed within a quarter second.</summary>
    private static void ApplyTestDefaults(NodeOptions options)
    {
        options.ClusterName = ClusterName;
        options.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
        options.PeerTimeout = TimeSpan.FromSeconds(3);
        options.ReconnectBaseDelay = TimeSpan.FromMilliseconds(20);
        options.ReconnectMaxDelay = TimeSpan.FromMilliseconds(250);
        options.ForwardTimeout = TimeSpan.FromSeconds(5);
        options.DrainTimeout = TimeSpan.FromSeconds(2);
    }
}
