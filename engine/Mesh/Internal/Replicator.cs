using FastDht.Engine.Keyspace.Internal;
using FastDht.Engine.Cluster;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Mesh.Internal;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// A primary's side of replication: the stream every change is appended to, and one <see cref="ReplicaSender"/> per node
/// that replicates any of this node's ranges. Exists only when the node runs with replicas.
/// </summary>
/// <remarks>
/// The replicas to feed are read from the cluster state at start and from every later state (a promoted replica gets
/// senders for the replicas of the ranges it now serves). A sender whose replica copies nothing of this node any more
/// idles; one whose replica's copies changed resynchronizes it under the new state, unless the change only took slots
/// away or handed this node slots that list the replica in sync (<see cref="PrepareHandover"/>): it then goes on.
/// </remarks>
internal sealed class Replicator
{
    private readonly PeerMesh _mesh;
    private readonly LocalKeyspace _keyspace;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _senders = [];
    private readonly Dictionary<ushort, ReplicaSender> _fed = [];
    private readonly IClusterChanges? _changes;
    private IDisposable? _subscription;

    public Replicator(PeerMesh mesh, LocalKeyspace keyspace, TimeSpan timeout, ILogger logger, IClusterChanges? changes = null)
    {
        _changes = changes;
        _mesh = mesh;
        _keyspace = keyspace;
        _timeout = timeout;
        _logger = logger;
        Stream = new ReplicationStream();
    }

    public ReplicationStream Stream { get; }

    /// <summary>The nodes that copy some range this node is primary of in <paramref name="state"/>.</summary>
    public static List<ushort> ReplicasOf(ClusterState state, ushort self)
    {
        var result = new List<ushort>();
        foreach (var assignment in state.Slots.RangeAssignments)
        {
            if (assignment.Primary != self)
                continue;
            foreach (var replica in assignment.Replicas)
            {
                if (!result.Contains(replica))
                    result.Add(replica);
            }
        }
        return result;
    }

    /// <summary>Starts a sender for each replica of this node's ranges, and one for every replica a later state gives it (a promotion).</summary>
    public void Start()
    {
        _mesh.Cluster.SubscribeInstalling(PrepareHandover);
        _mesh.Cluster.SubscribeInstalling(FailWritesOfLostRanges);
        _subscription = _mesh.Cluster.Subscribe((_, current) => Feed(current, _stopping.Token));
        Feed(_mesh.Cluster.Current, _stopping.Token);
    }

    /// <summary>
    /// Before a state that hands this node slots (a move's E2) is installed, so before the first write to them is
    /// accepted here: every replica it lists in sync for them counts in sync in the stream (each write to them waits
    /// for it), and a replica that copied nothing from this node before gets a cursor opened here, from which its
    /// sender continues without a reset (docs/elasticity.md, "Durability and replicas").
    /// </summary>
    private void PrepareHandover(ClusterState previous, ClusterState next)
    {
        var self = _mesh.Identity.SelfId;
        List<ushort>? listed = null;
        for (var slot = 0; slot < SlotTable.SlotCount; slot++)
        {
            var before = previous.Slots.AssignmentOf(slot);
            var after = next.Slots.AssignmentOf(slot);
            if (after.Primary != self || before.Primary == self || before.Importing != self)
                continue;
            foreach (var replica in after.InSync)
            {
                if (!(listed ??= []).Contains(replica))
                    listed.Add(replica);
            }
        }
        if (listed is null)
            return;
        lock (_senders)
        {
            if (_stopping.IsCancellationRequested)
                return;
            foreach (var replica in listed)
                SenderFor(replica, _stopping.Token).ContinueAtHandover(next.Epoch, openCursor: !CopiesAny(previous, self, replica));
        }
    }

    /// <summary>
    /// Before a state that takes from this node slots it did not hand over (a promotion of their replica while this node
    /// was silent) is installed, so before any sender sees it: the replies still waiting for replicas are failed, outcome
    /// unknown (<see cref="ReplicationStream.AbandonForLostRanges"/>), rather than released when those replicas leave.
    /// </summary>
    /// <remarks>
    /// Slots this node handed over (a move's handover, marked gone here before the state that gives them away is
    /// proposed) are not lost: their new owner holds every write to them (copy and capture, or its own acknowledgement
    /// of the stream past the mark for a move to a replica), so their writes may still be released
    /// (docs/replication.md, "Failover").
    /// </remarks>
    private void FailWritesOfLostRanges(ClusterState previous, ClusterState next)
    {
        var self = _mesh.Identity.SelfId;
        var moves = _keyspace.Moves;
        for (var slot = 0; slot < SlotTable.SlotCount; slot++)
        {
            var before = previous.Slots.AssignmentOf(slot);
            var after = next.Slots.AssignmentOf(slot);
            if (ReferenceEquals(before, after) || before.Primary != self || after.Primary == self || (moves?.IsGone(slot) ?? false))
                continue;
            var failed = Stream.AbandonForLostRanges();
            // Said only when it failed something: a restarted node's first state (its default ranges served elsewhere
            // by now) takes slots away too, with nothing waiting.
            if (failed > 0)
                ReplicationLog.RangesLost(_logger, self, slot, after.Primary, next.Epoch, failed);
            return;
        }
    }

    private static bool CopiesAny(ClusterState state, ushort primary, ushort replica)
    {
        foreach (var a in state.Slots.RangeAssignments)
        {
            if (a.Primary == primary && a.HasReplica(replica))
                return true;
        }
        return false;
    }

    /// <summary>Under <c>_senders</c>: the sender of <paramref name="replica"/>, started if there was none.</summary>
    private ReplicaSender SenderFor(ushort replica, CancellationToken stopping)
    {
        if (_fed.TryGetValue(replica, out var sender))
            return sender;
        Stream.AddReplica(replica);
        sender = new ReplicaSender(_mesh, _keyspace, Stream, replica, _timeout, _logger, _changes);
        _fed.Add(replica, sender);
        using (ExecutionContext.SuppressFlow())
            _senders.Add(Task.Run(() => sender.RunAsync(stopping)));
        return sender;
    }

    private void Feed(ClusterState state, CancellationToken stopping)
    {
        lock (_senders)
        {
            if (stopping.IsCancellationRequested)
                return;
            using (ExecutionContext.SuppressFlow())
            {
                foreach (var replica in ReplicasOf(state, _mesh.Identity.SelfId))
                    SenderFor(replica, stopping);
                // A replica that is in sync here but not (any more) in the state (it took itself out after a restart,
                // before this node resynchronized it) is listed again.
                foreach (var sender in _fed.Values)
                    sender.ListIfInSync(state, stopping);
            }
        }
    }

    /// <summary>Stops the senders; replies still waiting for replicas are dropped with their connections (their outcome is unknown).</summary>
    public async Task StopAsync()
    {
        _subscription?.Dispose();
        Task[] senders;
        lock (_senders)
        {
            _stopping.Cancel();
            senders = [.. _senders];
        }
        Stream.Dispose();
        await Task.WhenAll(senders).ConfigureAwait(false);
    }
}
