namespace FastDht.Engine.Cluster.Internal;

/// <summary>
/// Holds a node's current <see cref="ClusterState"/>: readers take it with one volatile read, a change swaps it whole
/// and tells the subscribers (the mesh dials new members and drops removed ones).
/// </summary>
/// <remarks>
/// Requirements: routing reads the state on every request, so reading must cost no lock; a reader that took the
/// state keeps a consistent value (members and slots of one epoch) for as long as it uses it; epochs only rise, so a
/// late or duplicated change cannot take a node back; subscribers see the changes one at a time, in epoch order.
/// Design: <see cref="Current"/> is a volatile read of an immutable value. <see cref="TryInstall"/> runs under a lock
/// (changes are rare: failover, a slot move, a member joining or leaving), compares epochs, publishes with a volatile
/// write, then calls every subscriber with (previous, current) before the next change can start. Subscribers must be
/// quick and must not install a state themselves (they would see their own change before the others).
/// </remarks>
internal sealed class ClusterStateHolder
{
    private readonly Lock _lock = new();
    private ClusterState _current;
    private Action<ClusterState, ClusterState>[] _subscribers = [];
    private Action<ClusterState, ClusterState>[] _preparers = [];

    public ClusterStateHolder(ClusterState initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        _current = initial;
    }

    /// <summary>The state in force now.</summary>
    public ClusterState Current => Volatile.Read(ref _current);

    /// <summary>Installs <paramref name="next"/> if its epoch is higher than the current one; false (nothing changes) otherwise.</summary>
    /// <exception cref="AggregateException">A subscriber threw; the state is installed and every other subscriber was told.</exception>
    public bool TryInstall(ClusterState next)
    {
        ArgumentNullException.ThrowIfNull(next);
        lock (_lock)
        {
            var previous = _current;
            if (next.Epoch <= previous.Epoch)
                return false;
            List<Exception>? failures = null;
            foreach (var preparer in _preparers)
            {
                try
                {
                    preparer(previous, next);
                }
                catch (Exception e)
                {
                    (failures ??= []).Add(e);
                }
            }
            Volatile.Write(ref _current, next);
            foreach (var subscriber in _subscribers)
            {
                try
                {
                    subscriber(previous, next);
                }
                catch (Exception e)
                {
                    (failures ??= []).Add(e);
                }
            }
            if (failures is not null)
                throw new AggregateException($"a subscriber failed on the change to epoch {next.Epoch}", failures);
            return true;
        }
    }

    /// <summary>Calls <paramref name="onChanged"/>(previous, current) after every installed change, until disposed.</summary>
    public IDisposable Subscribe(Action<ClusterState, ClusterState> onChanged)
    {
        ArgumentNullException.ThrowIfNull(onChanged);
        lock (_lock)
            _subscribers = [.. _subscribers, onChanged];
        return new Subscription(this, onChanged);
    }

    /// <summary>
    /// Calls <paramref name="onInstalling"/>(previous, next) for every change before <c>next</c> becomes
    /// <see cref="Current"/>, for good: what must hold before any request is served under a state (the replication
    /// stream counting the replicas a handover lists in sync) is set up there. Quick, never waits, never installs.
    /// </summary>
    public void SubscribeInstalling(Action<ClusterState, ClusterState> onInstalling)
    {
        ArgumentNullException.ThrowIfNull(onInstalling);
        lock (_lock)
            _preparers = [.. _preparers, onInstalling];
    }

    private void Unsubscribe(Action<ClusterState, ClusterState> onChanged)
    {
        lock (_lock)
        {
            var index = Array.IndexOf(_subscribers, onChanged);
            if (index >= 0)
                _subscribers = [.. _subscribers.AsSpan(0, index), .. _subscribers.AsSpan(index + 1)];
        }
    }

    private sealed class Subscription(ClusterStateHolder holder, Action<ClusterState, ClusterState> onChanged) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                holder.Unsubscribe(onChanged);
        }
    }
}
