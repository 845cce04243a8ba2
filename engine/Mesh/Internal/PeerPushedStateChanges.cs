using FastDht.Engine.Cluster;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// How a cluster without a Raft group changes its state (a slot move with <c>Consensus</c> off): install the change
/// here, then push it with ClusterPush to every member that is up and wait for their answers.
/// </summary>
/// <remarks>
/// Order: this node installs first, then the others. A slot move relies on it: the source installs the state that
/// gives the slots away before the receiver serves them, so the two never serve a slot at once (docs/elasticity.md).
/// A member that is down misses the push and gets the state when its link comes back up (the mesh pushes its state on
/// every new link). Changes made here are serialized; two nodes changing the state at the same time is not safe
/// without consensus (both would make the same epoch): run the cluster with <c>Consensus</c> on for that.
/// </remarks>
internal sealed class PeerPushedStateChanges(PeerMesh mesh) : IClusterChanges
{
    private readonly SemaphoreSlim _one = new(1, 1);

    public bool IsEnabled => true;

    public async ValueTask<ClusterState?> ProposeAsync(Func<ClusterState, ClusterState?> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = mesh.Cluster.Current;
            if (change(current) is not { } next)
                return current;
            if (next.Epoch != current.Epoch + 1)
                throw new ClusterChangeException($"a change must produce epoch {current.Epoch + 1}, not {next.Epoch}");
            if (!mesh.Cluster.TryInstall(next))
                throw new ClusterChangeException($"epoch {next.Epoch} could not be installed: this node is already past it");
            var pushes = new List<Task>();
            var self = mesh.Identity.SelfId;
            foreach (var id in MembersOf(current, next))
            {
                if (id != self && mesh.GetLink(id) is { IsUp: true } link)
                    pushes.Add(link.PushStateAsync(next)); // logs a failure; the member gets the state when its link comes back
            }
            await Task.WhenAll(pushes).ConfigureAwait(false);
            return next;
        }
        finally
        {
            _one.Release();
        }
    }

    private static SortedSet<ushort> MembersOf(ClusterState previous, ClusterState next)
    {
        var ids = new SortedSet<ushort>();
        foreach (var m in next.Members.Members)
            ids.Add(m.NodeId);
        foreach (var m in previous.Members.Members)
            ids.Add(m.NodeId);
        return ids;
    }
}
