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

    private readonly LoopbackProxy[]? _proxies;

    private TestCluster(LocalCluster local, LoopbackProxy[]? proxies)
    {
        Local = local;
        _proxies = proxies;
    }

    /// <summary>The cluster underneath, for what this wrapper does not repeat.</summary>
    public LocalCluster Local { get; }

    public MemberList Members => Local.Members;

    public int Count => Local.Count;

    /// <summary>The running node with this index (index = node id), or an exception if it is stopped.</summary>
    public DhtNode this[int index] => Local[index];

    public IEnumerable<DhtNode> RunningNodes => Local.RunningNodes;

    /// <summary>Where node <paramref name="index"/> serves clients: its listener itself, never its proxy.</summary>
    public IPEndPoint EndPointOf(int index) => Local.EndPointOf(index);

    /// <summary>
    /// The proxy standing for node <paramref name="index"/>'s member address in a cluster started with
    /// <c>proxied: true</c>: every peer link dialed to that node runs through it (clients connect to the node directly).
    /// </summary>
    public LoopbackProxy ProxyOf(int index) => _proxies?[index] ?? throw new InvalidOperationException("the cluster was not started with proxied: true");

    /// <summary>
    /// Holds (or releases) every byte node <paramref name="from"/> sends node <paramref name="to"/> on their peer link,
    /// whichever of them dialed it: a one-way frozen link. In a cluster of more than two nodes it also holds the bytes
    /// other nodes send <paramref name="to"/> on links they dialed, and the bytes <paramref name="from"/> answers on
    /// links dialed to it.
    /// </summary>
    public void StallLink(int from, int to, bool stall)
    {
        // from dialed to: the bytes go client-to-server through to's proxy; to dialed from: server-to-client through from's.
        ProxyOf(to).Stall(stall, ProxyDirection.ClientToServer);
        ProxyOf(from).Stall(stall, ProxyDirection.ServerToClient);
    }

    /// <summary>
    /// Freezes (or thaws) node <paramref name="index"/> as its peers see it: every byte on every connection to or from
    /// it held, peer links and Raft connections alike, while the other nodes still talk to each other and its host still
    /// accepts connections (as for a paused or starved process). Clients connect to it directly and are not held.
    /// </summary>
    public void FreezeNode(int index, bool freeze)
    {
        ProxyOf(index).Stall(freeze, ProxyDirection.Both);
        for (var i = 0; i < _proxies!.Length; i++)
        {
            if (i != index && _proxies[i] is { } proxy)
                proxy.FreezeDialer(freeze ? (ushort)index : null);
        }
    }

    /// <summary>
    /// Lets the Raft group's own connections through every stall and delay of this proxied cluster
    /// (<see cref="LoopbackProxy.SparesConsensus"/>): a test that freezes peer links to hold one request is then not
    /// also holding elections. Lease renewals travel on the peer links and are still held.
    /// </summary>
    public void SpareRaftFromFaults()
    {
        foreach (var proxy in _proxies ?? throw new InvalidOperationException("the cluster was not started with proxied: true"))
        {
            if (proxy is not null) // a spare node's proxy exists once that node started
                proxy.SparesConsensus = true;
        }
    }

    /// <summary>Reserves ports and, unless told otherwise, starts every node and waits for the full mesh.</summary>
    public static async Task<TestCluster> StartAsync(
        int nodeCount = 3,
        Action<NodeOptions>? configure = null,
        bool start = true,
        ILoggerFactory? loggerFactory = null,
        bool proxied = false,
        int spareNodes = 0)
    {
        // proxied: a LoopbackProxy in front of each node stands for its member address, so tests can cut, stall or
        // delay peer links one node at a time.
        var proxies = proxied ? new LoopbackProxy[nodeCount + spareNodes] : null;
        var local = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            NodeCount = nodeCount,
            SpareNodes = spareNodes,
            Configure = options =>
            {
                ApplyTestDefaults(options);
                configure?.Invoke(options);
            },
            LoggerFactory = loggerFactory,
            Start = start,
            MeshTimeout = Bounded.Timeout,
            MemberAddress = proxies is null ? null : (i, listening) => (proxies[i] = LoopbackProxy.Start(listening)).EndPoint,
        }).WithinAsync("the cluster to start").ConfigureAwait(false);
        var cluster = new TestCluster(local, proxies);
        if (start)
            await cluster.WaitForLeasesAsync().ConfigureAwait(false);
        return cluster;
    }

    /// <summary>
    /// With replicas and a Raft group a node serves keys only under a lease from the Raft leader: waits until every
    /// running node holds one (right after a start, the group first elects its leader). Nothing to wait for otherwise.
    /// </summary>
    public Task WaitForLeasesAsync() =>
        Bounded.UntilAsync(() => RunningNodes.All(n => n.Core.Lease is not { IsExpired: true }), "every node to hold a serving lease from the Raft leader");

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
    /// will, through consensus); throws if a node already has a later epoch. A node already at this epoch got it from a
    /// peer meanwhile: a member the state takes out is pushed it before its links close.
    /// </summary>
    public void InstallClusterState(ClusterState state)
    {
        foreach (var node in RunningNodes)
        {
            if (!node.Core.Cluster.TryInstall(state) && node.ClusterState.Epoch != state.Epoch)
                throw new InvalidOperationException($"node {node.NodeId} refused epoch {state.Epoch}: it is at epoch {node.ClusterState.Epoch}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Local.DisposeAsync().AsTask().WithinAsync("the cluster to stop").ConfigureAwait(false);
        if (_proxies is not null)
        {
            foreach (var proxy in _proxies)
            {
                if (proxy is not null)
                    await proxy.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

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
