using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Keyspace;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// The receiving side of slot moves (docs/elasticity.md, "A node that dies mid-move"): drops the keys of an import
/// that was abandoned, and keeps that drop apart from the batches of a new import of the same slots.
/// </summary>
/// <remarks>
/// An import ends in one of two states: this node owns the slots (the move finished), or a state in which the slots no
/// longer move to it and are someone else's (the source undid the move, its replica was promoted after it died, or it
/// cleared its stale mark after a restart). In the second case what this node received is a partial, stale copy of
/// keys it does not serve: nothing reads it, but it would stay in memory, in DBSIZE and in the log for good. Every
/// installed state is compared with the one before; slots that were importing here and are now neither importing here
/// nor owned (nor copied as a replica) here are dropped, in the background (a subscriber must be quick), under <see cref="Gate"/>, after looking
/// at the state again. MigrateKeys checks the state and applies its batch under the same gate, so a drop never removes
/// keys a newer import of the same slots has already sent (that import's state is installed before its first batch).
/// </remarks>
internal sealed class SlotImports
{
    private readonly ClusterStateHolder _cluster;
    private readonly LocalKeyspace _keyspace;
    private readonly ushort _self;
    private readonly ILogger _logger;

    public SlotImports(ClusterStateHolder cluster, LocalKeyspace keyspace, ushort self, ILogger logger)
    {
        _cluster = cluster;
        _keyspace = keyspace;
        _self = self;
        _logger = logger;
    }

    /// <summary>Held while a MigrateKeys batch is checked against the state and applied, and while an abandoned import is dropped.</summary>
    public Lock Gate { get; } = new();

    /// <summary>Follows the state's changes from now on.</summary>
    public IDisposable Start() => _cluster.Subscribe(OnChanged);

    private void OnChanged(ClusterState previous, ClusterState current)
    {
        List<(int First, int Last)>? abandoned = null;
        for (var s = 0; s < SlotTable.SlotCount; s++)
        {
            var now = current.Slots.AssignmentOf(s);
            if (previous.Slots.AssignmentOf(s).Importing != _self || now.Importing == _self || now.Primary == _self)
                continue;
            if (abandoned is { Count: > 0 } && abandoned[^1].Last == s - 1)
                abandoned[^1] = (abandoned[^1].First, s);
            else
                (abandoned ??= []).Add((s, s));
        }
        if (abandoned is null)
            return;
        using (ExecutionContext.SuppressFlow())
            _ = Task.Run(() => Drop(abandoned));
    }

    /// <summary>Drops the keys of the <paramref name="abandoned"/> slots that, in the state now, neither move here nor are served or copied here.</summary>
    private void Drop(List<(int First, int Last)> abandoned)
    {
        try
        {
            lock (Gate)
            {
                var state = _cluster.Current;
                foreach (var (from, to) in abandoned)
                {
                    for (var first = from; first <= to;)
                    {
                        if (!IsForeign(state, first))
                        {
                            first++;
                            continue;
                        }
                        var last = first;
                        while (last < to && IsForeign(state, last + 1))
                            last++;
                        var removed = _keyspace.RemoveSlots(first, last);
                        if (removed > 0)
                            SlotMoveLog.ImportDropped(_logger, first, last, _self, removed, state.Epoch);
                        first = last + 1;
                    }
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            SlotMoveLog.ImportDropFailed(_logger, _self, e.Message);
        }
    }

    /// <summary>
    /// Whether this node holds no role for <paramref name="slot"/> in <paramref name="state"/>: not its primary, not a
    /// replica, not importing it. Only such slots' keys are dropped (a replica's copies are its own business).
    /// </summary>
    private bool IsForeign(ClusterState state, int slot)
    {
        var a = state.Slots.AssignmentOf(slot);
        return a.Primary != _self && a.Importing != _self && !a.HasReplica(_self);
    }
}
