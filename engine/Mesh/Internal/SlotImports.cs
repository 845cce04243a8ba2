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
/// <para>With a data directory each import begun is journaled (<see cref="ImportJournal"/>) until it ends: a target
/// killed mid-move and started again replays the partial copy from its log, while without a Raft group it starts from
/// its start-up slot table and never sees the slots importing here. A journaled import counts as ended in the first
/// state newer than the one that announced it in which no slot of it moves here; its slots that are foreign then are
/// dropped. Every drop waits until the log is replayed (the rest of the replay would bring the keys back).</para>
/// </remarks>
internal sealed class SlotImports : IDisposable
{
    private readonly ClusterStateHolder _cluster;
    private readonly LocalKeyspace _keyspace;
    private readonly ushort _self;
    private readonly ImportJournal _journal;
    private readonly LoadingGate _loading;
    private readonly ILogger _logger;
    private volatile bool _journaled;
    private volatile bool _stopped;
    private IDisposable? _subscription;

    public SlotImports(ClusterStateHolder cluster, LocalKeyspace keyspace, ushort self, ImportJournal journal, LoadingGate loading, ILogger logger)
    {
        _cluster = cluster;
        _keyspace = keyspace;
        _self = self;
        _journal = journal;
        _loading = loading;
        _logger = logger;
        _journaled = journal.Entries.Count > 0;
    }

    /// <summary>Held while a MigrateKeys batch is checked against the state and applied, and while an abandoned import is dropped.</summary>
    public Lock Gate { get; } = new();

    /// <summary>Follows the state's changes from now on (imports the journal kept from before a restart included) until disposed.</summary>
    public IDisposable Start()
    {
        _subscription = _cluster.Subscribe(OnChanged);
        if (_journaled)
            Settle(null);
        return this;
    }

    /// <summary>Ends the subscription and any wait for the log's replay.</summary>
    public void Dispose()
    {
        _stopped = true;
        _subscription?.Dispose();
    }

    /// <summary>
    /// An import of [<paramref name="first"/>, <paramref name="last"/>] from <paramref name="source"/> begins (its
    /// reset, under <see cref="Gate"/>): journaled, so that a restart does not forget it; null, or why it cannot be.
    /// </summary>
    public string? Began(int first, int last, ushort source, ulong epoch)
    {
        try
        {
            _journal.Begin(first, last, source, epoch);
            _journaled |= _journal.Entries.Count > 0;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"node {_self} cannot record the import of slots {first}-{last} in its data directory: {e.Message}";
        }
    }

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
        if (abandoned is not null || _journaled)
            Settle(abandoned);
    }

    /// <summary>In the background, once the log is replayed (a drop before would be undone by the rest of the replay): drops the abandoned imports' keys and those of journaled imports that ended.</summary>
    private void Settle(List<(int First, int Last)>? abandoned)
    {
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(async () =>
            {
                while (_loading.IsLoading)
                {
                    if (_stopped)
                        return;
                    await Task.Delay(20).ConfigureAwait(false);
                }
                Drop(abandoned ?? []);
            });
        }
    }

    /// <summary>Drops the keys of the <paramref name="abandoned"/> slots that, in the state now, neither move here nor are served or copied here.</summary>
    private void Drop(List<(int First, int Last)> abandoned)
    {
        try
        {
            lock (Gate)
            {
                var state = _cluster.Current;
                // Journaled imports that ended: a state after the one that announced them, in which no slot of theirs
                // moves here any more. A newer state than the announcing one cannot be older than the import's end,
                // so the slots it shows foreign were not handed to this node meanwhile (a restarted node without a
                // Raft group learns its peers' states, which may lag; this keeps it from dropping what it owns).
                var ended = new List<(int First, int Last)>(abandoned);
                foreach (var entry in _journal.Entries.ToArray())
                {
                    if (state.Epoch > entry.Epoch && !ImportsAny(state, entry.First, entry.Last))
                    {
                        ended.Add((entry.First, entry.Last));
                        _journal.End(entry.First, entry.Last);
                    }
                }
                _journaled = _journal.Entries.Count > 0;
                foreach (var (from, to) in ended)
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

    private bool ImportsAny(ClusterState state, int first, int last)
    {
        for (var s = first; s <= last; s++)
        {
            if (state.Slots.AssignmentOf(s).Importing == _self)
                return true;
        }
        return false;
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
