using FastDht.Engine.Node;
using FastDht.Engine.Plugins;
using FastDht.Locking.Strategies;

namespace FastDht.LoadGen.Targets;

/// <summary>
/// The cluster a run starts inside the load generator's process when no nodes are given (the engine's
/// <see cref="LocalCluster"/>), so one command on a fresh machine has something to drive.
/// </summary>
internal static class LocalClusterTarget
{
    /// <summary>The lock strategy names a local cluster can run, sorted.</summary>
    public static IReadOnlyList<string> KnownLockStrategies => PluginRegistry.CreateDefault().LockStrategies.Names;

    /// <summary>Starts <paramref name="nodeCount"/> nodes and waits until each is linked to every other; disposing the cluster stops them.</summary>
    /// <exception cref="ArgumentException">The lock strategy is not one of <see cref="KnownLockStrategies"/>.</exception>
    public static Task<LocalCluster> StartAsync(int nodeCount, string clusterName, string lockStrategy, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeCount, 1);
        var known = KnownLockStrategies;
        if (!Contains(known, lockStrategy))
            throw new ArgumentException($"unknown lock strategy '{lockStrategy}' (known: {string.Join(", ", known)})");
        var options = new LocalClusterOptions
        {
            NodeCount = nodeCount,
            Configure = node =>
            {
                node.ClusterName = clusterName;
                node.LockStrategy = lockStrategy;
                // The timeout strategy's waits can be as short as 2 ms; a coarser expiry scan would stretch every
                // wait to the scan interval and measure the scan, not the strategy (NodeOptions.LockExpiryScanInterval).
                if (string.Equals(lockStrategy, TimeoutStrategy.StrategyName, StringComparison.OrdinalIgnoreCase))
                    node.LockExpiryScanInterval = TimeSpan.FromMilliseconds(2);
            },
        };
        return LocalCluster.StartAsync(options, cancellationToken);
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
