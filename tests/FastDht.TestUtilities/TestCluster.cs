using System.Net;
using System.Net.Sockets;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using Microsoft.Extensions.Logging;

namespace FastDht.TestUtilities;

/// <summary>
/// An in-process cluster on 127.0.0.1 for tests: ports chosen by the OS (sockets bound before the member list is
/// written, so no other process can take a port in between), nodes that can be stopped and restarted on their
/// address, and everything stopped on dispose.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly DhtNode?[] _nodes;
    private readonly Action<NodeOptions>? _configure;
    private readonly ILoggerFactory? _loggerFactory;

    private TestCluster(MemberList members, Action<NodeOptions>? configure, ILoggerFactory? loggerFactory)
    {
        Members = members;
        _nodes = new DhtNode?[members.Count];
        _configure = configure;
        _loggerFactory = loggerFactory;
    }

    public MemberList Members { get; }

    public int Count => _nodes.Length;

    /// <summary>The running node with this index (index = node id), or an exception if it is stopped.</summary>
    public DhtNode this[int index] => _nodes[index] ?? throw new InvalidOperationException($"node {index} is stopped");

    public IEnumerable<DhtNode> RunningNodes => _nodes.Where(n => n is not null)!;

    public IPEndPoint EndPointOf(int index)
    {
        var m = Members.Get((ushort)index);
        return new IPEndPoint(IPAddress.Parse(m.Host), m.Port);
    }

    /// <summary>Reserves ports and, unless told otherwise, starts every node and waits for the full mesh.</summary>
    public static async Task<TestCluster> StartAsync(
        int nodeCount = 3,
        Action<NodeOptions>? configure = null,
        bool start = true,
        ILoggerFactory? loggerFactory = null)
    {
        var sockets = new Socket[nodeCount];
        var entries = new string[nodeCount];
        for (var i = 0; i < nodeCount; i++)
        {
            sockets[i] = Bind(new IPEndPoint(IPAddress.Loopback, 0));
            entries[i] = $"{i}={sockets[i].LocalEndPoint}";
        }
        var cluster = new TestCluster(MemberList.Parse(entries), configure, loggerFactory);
        if (!start)
        {
            foreach (var s in sockets)
                s.Dispose();
            return cluster;
        }
        for (var i = 0; i < nodeCount; i++)
            await cluster.StartNodeAsync(i, sockets[i]).ConfigureAwait(false);
        await cluster.WaitForMeshAsync().ConfigureAwait(false);
        return cluster;
    }

    /// <summary>The options node <paramref name="index"/> starts with (fast heartbeats and reconnects for tests).</summary>
    public NodeOptions OptionsFor(int index)
    {
        var options = new NodeOptions
        {
            ClusterName = "test",
            Members = Members,
            NodeId = (ushort)index,
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            PeerTimeout = TimeSpan.FromSeconds(3),
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(250),
            ForwardTimeout = TimeSpan.FromSeconds(5),
            DrainTimeout = TimeSpan.FromSeconds(2),
        };
        _configure?.Invoke(options);
        return options;
    }

    /// <summary>Starts node <paramref name="index"/> on its member address (rebinding it if it was stopped).</summary>
    public async Task<DhtNode> StartNodeAsync(int index, Socket? boundSocket = null)
    {
        if (_nodes[index] is not null)
            throw new InvalidOperationException($"node {index} is already running");
        var options = OptionsFor(index);
        options.ListenSocket = boundSocket ?? Bind(EndPointOf(index));
        var node = await DhtNode.StartAsync(options, _loggerFactory).ConfigureAwait(false);
        _nodes[index] = node;
        return node;
    }

    public async Task StopNodeAsync(int index)
    {
        var node = _nodes[index] ?? throw new InvalidOperationException($"node {index} is not running");
        _nodes[index] = null;
        await node.StopAsync().WithinAsync($"node {index} to stop").ConfigureAwait(false);
    }

    public Task WaitForMeshAsync(TimeSpan? timeout = null) =>
        Task.WhenAll(RunningNodes.Select(n => n.WaitForMeshAsync(timeout ?? Bounded.Timeout)));

    /// <summary>The node id that owns a key under a running node's current cluster state.</summary>
    public ushort OwnerOf(byte[] key) => this[RunningIndex()].ClusterState.OwnerOf(key);

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

    public async ValueTask DisposeAsync()
    {
        var stops = new List<Task>();
        for (var i = 0; i < _nodes.Length; i++)
        {
            if (_nodes[i] is { } node)
            {
                _nodes[i] = null;
                stops.Add(node.StopAsync());
            }
        }
        await Task.WhenAll(stops).WithinAsync("the cluster to stop").ConfigureAwait(false);
    }

    private int RunningIndex()
    {
        for (var i = 0; i < _nodes.Length; i++)
        {
            if (_nodes[i] is not null)
                return i;
        }
        throw new InvalidOperationException("no node is running");
    }

    private static Socket Bind(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
