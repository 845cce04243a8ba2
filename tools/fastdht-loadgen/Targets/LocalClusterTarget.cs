using FastDht.Engine.Node;
using FastDht.Engine.Plugins;
using FastDht.Locking.Strategies;

namespace FastDht.LoadGen.Targets;

/// <summary>
/// The cluster a run starts inside the load generator's process when no nodes are given (the engine's
/// <see cref="LocalCluster"/>), so one command on a fresh machine has something to drive; optionally with a
/// <see cref="DelayRelay"/> in front of every node, so that every link has a chosen round trip.
/// </summary>
internal sealed class LocalClusterTarget : IAsyncDisposable
{
    private readonly LocalCluster _cluster;
    private readonly List<DelayRelay> _relays;

    private LocalClusterTarget(LocalCluster cluster, List<DelayRelay> relays)
    {
        _cluster = cluster;
        _relays = relays;
    }

    /// <summary>The lock strategy names a local cluster can run, sorted.</summary>
    public static IReadOnlyList<string> KnownLockStrategies => PluginRegistry.CreateDefault().LockStrategies.Names;

    /// <summary>Where clients connect: each node's member address (its relay, when links are delayed).</summary>
    public IReadOnlyList<string> Seeds => _cluster.Seeds;

    /// <summary>
    /// Starts <paramref name="nodeCount"/> nodes and waits until each is linked to every other; disposing the target
    /// stops them. With a <paramref name="roundTrip"/>, a relay in front of each node delays every byte by half of it
    /// each way, on peer links and client links alike (zero: relays that add no delay, only their own hop).
    /// </summary>
    /// <exception cref="ArgumentException">The lock strategy is not one of <see cref="KnownLockStrategies"/>.</exception>
    /// <remarks>With <paramref name="dataDir"/>, node i logs every write under <c>dataDir/node{i}</c> with <paramref name="fsync"/> (as fastdht-node --data-dir).</remarks>
    public static async Task<LocalClusterTarget> StartAsync(int nodeCount, string clusterName, string lockStrategy, TimeSpan? roundTrip, CancellationToken cancellationToken, string? dataDir = null, Storage.Durability.FsyncPolicy fsync = Storage.Durability.FsyncPolicy.Always)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeCount, 1);
        var known = KnownLockStrategies;
        if (!Contains(known, lockStrategy))
            throw new ArgumentException($"unknown lock strategy '{lockStrategy}' (known: {string.Join(", ", known)})");
        var relays = new List<DelayRelay>();
        var options = new LocalClusterOptions
        {
            NodeCount = nodeCount,
            Configure = node =>
            {
                node.ClusterName = clusterName;
                node.LockStrategy = lockStrategy;
                if (dataDir is not null)
                {
                    node.DataDir = Path.Combine(dataDir, $"node{node.NodeId}");
                    node.Fsync = fsync;
                }
                // The timeout strategy's waits can be as short as 2 ms; a coarser expiry scan would stretch every
                // wait to the scan interval and measure the scan, not the strategy (NodeOptions.LockExpiryScanInterval).
                if (string.Equals(lockStrategy, TimeoutStrategy.StrategyName, StringComparison.OrdinalIgnoreCase))
                    node.LockExpiryScanInterval = TimeSpan.FromMilliseconds(2);
            },
        };
        if (roundTrip is { } rtt)
        {
            var oneWay = rtt / 2;
            options.MemberAddress = (_, listening) =>
            {
                var relay = DelayRelay.Start(listening, oneWay);
                relays.Add(relay);
                return relay.EndPoint;
            };
        }
        try
        {
            var cluster = await LocalCluster.StartAsync(options, cancellationToken).ConfigureAwait(false);
            return new LocalClusterTarget(cluster, relays);
        }
        catch
        {
            foreach (var relay in relays)
                await relay.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync().ConfigureAwait(false);
        foreach (var relay in _relays)
            await relay.DisposeAsync().ConfigureAwait(false);
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
