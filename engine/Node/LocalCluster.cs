using System.Net;
using System.Net.Sockets;
using FastDht.Engine.Cluster;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Node;

/// <summary>
/// A cluster of real nodes inside one process, on 127.0.0.1 with ports the OS picks: what the tests, the load
/// generator and the benchmarks run against, and a way for an embedder to have a whole cluster in-process.
/// </summary>
/// <remarks>
/// Every port is bound before the member list is written and the bound socket is handed to its node, so no other
/// process can take a port in between. A node can be stopped and started again on its address (a restart). Each
/// node's options start from the member list and its id; <see cref="LocalClusterOptions.Configure"/> sets the rest
/// and can tell the nodes apart by <see cref="NodeOptions.NodeId"/>. Disposing stops every running node.
/// </remarks>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly LocalClusterOptions _options;
    private readonly DhtNode?[] _nodes;
    private readonly Socket?[] _reserved;
    private readonly IPEndPoint[] _listenEndPoints;
    private readonly object _gate = new();

    private LocalCluster(MemberList members, Socket?[] reserved, IPEndPoint[] listenEndPoints, LocalClusterOptions options)
    {
        Members = members;
        _options = options;
        _listenEndPoints = listenEndPoints;
        _nodes = new DhtNode?[reserved.Length];
        _reserved = reserved;
        var seeds = new string[members.Count];
        for (var i = 0; i < seeds.Length; i++)
            seeds[i] = members[i].Address;
        Seeds = seeds;
    }

    /// <summary>The member list: node i is member i, at 127.0.0.1 on its own port.</summary>
    public MemberList Members { get; }

    /// <summary>How many members the cluster started with, running or not.</summary>
    public int Count => Members.Count;

    /// <summary>How many nodes the cluster has a port for: its first members, then the spare nodes that join when started.</summary>
    public int Capacity => _nodes.Length;

    /// <summary>Every member's address, "127.0.0.1:port", to seed clients with.</summary>
    public IReadOnlyList<string> Seeds { get; }

    /// <summary>The running node with this index (index = node id).</summary>
    /// <exception cref="InvalidOperationException">The node is stopped.</exception>
    public DhtNode this[int index] => Volatile.Read(ref _nodes[index]) ?? throw new InvalidOperationException($"node {index} is stopped");

    /// <summary>The nodes running now, by id.</summary>
    public IReadOnlyList<DhtNode> RunningNodes
    {
        get
        {
            var running = new List<DhtNode>(_nodes.Length);
            for (var i = 0; i < _nodes.Length; i++)
            {
                if (Volatile.Read(ref _nodes[i]) is { } node)
                    running.Add(node);
            }
            return running;
        }
    }

    /// <summary>Whether node <paramref name="index"/> is running.</summary>
    public bool IsRunning(int index) => Volatile.Read(ref _nodes[index]) is not null;

    /// <summary>Where node <paramref name="index"/> listens, running or not: its member address, unless <see cref="LocalClusterOptions.MemberAddress"/> put something in front of it.</summary>
    public IPEndPoint EndPointOf(int index) => _listenEndPoints[index];

    /// <summary>
    /// Reserves a port per node and, when <see cref="LocalClusterOptions.Start"/> is set (the default), starts every
    /// node and waits until each is linked to every other.
    /// </summary>
    /// <exception cref="ClusterConfigurationException">The options <see cref="LocalClusterOptions.Configure"/> left are unusable.</exception>
    /// <exception cref="TimeoutException">The mesh did not form within <see cref="LocalClusterOptions.MeshTimeout"/>.</exception>
    public static async Task<LocalCluster> StartAsync(LocalClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalClusterOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.NodeCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.SpareNodes);
        var reserved = new Socket?[options.NodeCount + options.SpareNodes];
        var listenEndPoints = new IPEndPoint[reserved.Length];
        var entries = new string[options.NodeCount];
        try
        {
            for (var i = 0; i < reserved.Length; i++)
            {
                reserved[i] = Bind(new IPEndPoint(IPAddress.Loopback, 0));
                listenEndPoints[i] = (IPEndPoint)reserved[i]!.LocalEndPoint!;
                if (i < entries.Length)
                    entries[i] = $"{i}={options.MemberAddress?.Invoke(i, listenEndPoints[i]) ?? listenEndPoints[i]}";
            }
        }
        catch
        {
            foreach (var socket in reserved)
                socket?.Dispose();
            throw;
        }

        var cluster = new LocalCluster(MemberList.Parse(entries), reserved, listenEndPoints, options);
        if (!options.Start)
            return cluster;
        try
        {
            for (var i = 0; i < options.NodeCount; i++)
                await cluster.StartNodeAsync(i).ConfigureAwait(false);
            await cluster.WaitForMeshAsync(options.MeshTimeout, cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The options node <paramref name="index"/> starts with: its id in the member list (a spare node: the list as its
    /// seeds, and its own address), then <see cref="LocalClusterOptions.Configure"/>.
    /// </summary>
    public NodeOptions OptionsFor(int index)
    {
        var options = new NodeOptions { Members = Members, NodeId = (ushort)index, ClusterSecret = _options.ClusterSecret };
        if (index >= Members.Count)
            options.AdvertisedAddress = (_options.MemberAddress?.Invoke(index, _listenEndPoints[index]) ?? _listenEndPoints[index]).ToString();
        _options.Configure?.Invoke(options);
        return options;
    }

    /// <summary>Starts node <paramref name="index"/> on its member address: on the port reserved for it, or bound again after a stop.</summary>
    /// <exception cref="InvalidOperationException">The node is already running.</exception>
    public async Task<DhtNode> StartNodeAsync(int index)
    {
        if (IsRunning(index))
            throw new InvalidOperationException($"node {index} is already running");
        var options = OptionsFor(index);
        Socket? socket;
        lock (_gate)
        {
            socket = _reserved[index];
            _reserved[index] = null;
        }
        // The node takes ownership of the socket, even when it cannot start.
        options.ListenSocket = socket ?? Bind(EndPointOf(index));
        var node = await DhtNode.StartAsync(options, _options.LoggerFactory).ConfigureAwait(false);
        if (Interlocked.CompareExchange(ref _nodes[index], node, null) is not null)
        {
            await node.StopAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"node {index} is already running");
        }
        return node;
    }

    /// <summary>Stops node <paramref name="index"/> (draining its requests); it can be started again with <see cref="StartNodeAsync"/>.</summary>
    /// <exception cref="InvalidOperationException">The node is not running.</exception>
    public Task StopNodeAsync(int index)
    {
        var node = Interlocked.Exchange(ref _nodes[index], null) ?? throw new InvalidOperationException($"node {index} is not running");
        return node.StopAsync();
    }

    /// <summary>Waits until every running node is linked to every other member.</summary>
    /// <exception cref="TimeoutException">Not within <paramref name="timeout"/>.</exception>
    public Task WaitForMeshAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var running = RunningNodes;
        var waits = new Task[running.Count];
        for (var i = 0; i < waits.Length; i++)
            waits[i] = running[i].WaitForMeshAsync(timeout, cancellationToken);
        return Task.WhenAll(waits);
    }

    /// <summary>The node id that owns <paramref name="key"/> under the first running node's current cluster state.</summary>
    /// <exception cref="InvalidOperationException">No node is running.</exception>
    public ushort OwnerOf(ReadOnlySpan<byte> key)
    {
        for (var i = 0; i < _nodes.Length; i++)
        {
            if (Volatile.Read(ref _nodes[i]) is { } node)
                return node.ClusterState.OwnerOf(key);
        }
        throw new InvalidOperationException("no node is running");
    }

    /// <summary>Stops every running node and frees the ports of those never started.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            for (var i = 0; i < _reserved.Length; i++)
            {
                _reserved[i]?.Dispose();
                _reserved[i] = null;
            }
        }
        var stops = new List<Task>(_nodes.Length);
        for (var i = 0; i < _nodes.Length; i++)
        {
            if (Interlocked.Exchange(ref _nodes[i], null) is { } node)
                stops.Add(node.StopAsync());
        }
        await Task.WhenAll(stops).ConfigureAwait(false);
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
