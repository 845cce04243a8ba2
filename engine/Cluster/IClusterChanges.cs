namespace FastDht.Engine.Cluster;

/// <summary>
/// The one way any part of a node changes the cluster state (a failover, an in-sync set, a slot move, a member joining
/// or leaving): propose a change, learn the committed state that holds it. Implemented by the node's Raft group.
/// </summary>
/// <remarks>
/// A change is a pure function from the current committed state to the next one (or null: nothing to change). The
/// proposer computes the next state from the newest committed state it knows and sends it to the Raft leader; the
/// entry is applied only if it is exactly one epoch above the state it finds there (compare-and-set on the epoch), so
/// two concurrent changes never overwrite each other: the loser is told the newer state, and
/// <see cref="ProposeAsync"/> calls <c>change</c> again on it (a few times, then gives up). Every node installs each
/// committed state through its <c>ClusterStateHolder</c> (voters as they apply the Raft log, the others when the
/// state is pushed to them over the peer links), so subscribers of the holder see the change everywhere, epoch after
/// epoch. Without a Raft group (<see cref="IsEnabled"/> false) nothing can be proposed.
/// </remarks>
internal interface IClusterChanges
{
    /// <summary>Whether this node can get changes committed (a Raft group runs in its cluster).</summary>
    bool IsEnabled { get; }

    /// <summary>
    /// Proposes <paramref name="change"/> and waits until a state holding it is committed (and installed on this node).
    /// </summary>
    /// <param name="change">
    /// Makes the next state from the current one: it must return <c>current.Next(...)</c> (epoch + 1) or null when the
    /// change is no longer needed; it may be called more than once, each time on a newer state, so it must not have
    /// side effects.
    /// </param>
    /// <param name="cancellationToken">Stops waiting; the change may still be committed.</param>
    /// <returns>The committed state holding the change; null when <paramref name="change"/> returned null.</returns>
    /// <exception cref="ClusterChangeException">Not committed: no leader reachable, too many conflicting changes, or the node is stopping.</exception>
    ValueTask<ClusterState?> ProposeAsync(Func<ClusterState, ClusterState?> change, CancellationToken cancellationToken = default);
}
