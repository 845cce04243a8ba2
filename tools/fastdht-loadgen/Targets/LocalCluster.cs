using System.Net;
using System.Net.Sockets;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using FastDht.Engine.Plugins;
using FastDht.Locking.Strategies;

namespace FastDht.LoadGen.Targets;

/// <summary>
/// A cluster of real nodes inside the load generator's process, on 127.0.0.1 with ports the OS picks, so one
/// command on a fresh machine has something to drive. Disposing it stops every node.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    // 10 s: a mesh of a few loopback nodes forms in milliseconds; ten seconds means something is wrong, not slow.
    private static readonly TimeSpan MeshTimeout = TimeSpan.FromSeconds(10);

    private readonly List<DhtNode> _nodes;

    private LocalCluster(List<DhtNode> nodes, IReadOnlyList<string> seeds)
    {
        _nodes = nodes;
        Seeds = seeds;
    }

    /// <summary>The nodes' addresses, host:port, to seed clients with.</summary>
    public IReadOnlyList<string> Seeds { get; }

    /// <summary>The lock strategy names a local cluster can run, sorted.</summary>
    public static IReadOnlyList<string> KnownLockStrategies => PluginRegistry.CreateDefault().LockStrategies.Names;

    /// <summary>Starts <paramref name="nodeCount"/> nodes and waits until each is linked to every other.</summary>
    /// <exception cref="ArgumentException">The lock strategy is not one of <see cref="KnownLockStrategies"/>.</exception>
    public static async Task<LocalCluster> StartAsync(int nodeCount, string clusterName, string lockStrategy, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeCount, 1);
        var known = KnownLockStrategies;
        if (!Contains(known, lockStrategy))
            throw new ArgumentException($"unknown lock strategy '{lockStrategy}' (known: {string.Join(", ", known)})");

        // Bind every socket before writing the member list, so no other process can take a port in between.
        var sockets = new Socket[nodeCount];
        var entries = new string[nodeCount];
        var seeds = new string[nodeCount];
        var nodes = new List<DhtNode>(nodeCount);
        try
        {
            for (var i = 0; i < nodeCount; i++)
            {
                sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets[i].Bind(new IPEndPoint(IPAddress.Loopback, 0));
                seeds[i] = sockets[i].LocalEndPoint!.ToString()!;
                entries[i] = $"{i}={seeds[i]}";
            }
            var members = MemberList.Parse(entries);
            for (var i = 0; i < nodeCount; i++)
            {
                var options = new NodeOptions
                {
                    ClusterName = clusterName,
                    Members = members,
                    NodeId = (ushort)i,
                    LockStrategy = lockStrategy,
                    ListenSocket = sockets[i],
                };
                // The timeout strategy's waits can be as short as 2 ms; a coarser expiry scan would stretch every
                // wait to the scan interval and measure the scan, not the strategy (NodeOptions.LockExpiryScanInterval).
                if (string.Equals(lockStrategy, TimeoutStrategy.StrategyName, StringComparison.OrdinalIgnoreCase))
                    options.LockExpiryScanInterval = TimeSpan.FromMilliseconds(2);
                sockets[i] = null!; // the node owns it now
                nodes.Add(await DhtNode.StartAsync(options).ConfigureAwait(false));
            }
            foreach (var node in nodes)
                await node.WaitForMeshAsync(MeshTimeout, cancellationToken).ConfigureAwait(false);
            return new LocalCluster(nodes, seeds);
        }
        catch
        {
            foreach (var socket in sockets)
                socket?.Dispose();
            foreach (var node in nodes)
                await node.StopAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        var stops = new Task[_nodes.Count];
        for (var i = 0; i < stops.Length; i++)
            stops[i] = _nodes[i].StopAsync();
        _nodes.Clear();
        await Task.WhenAll(stops).ConfigureAwait(false);
    }

    private static bool Contains(IReadOnlyList<string> names, string name)
    {
        foreach (var n in names)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }
}
