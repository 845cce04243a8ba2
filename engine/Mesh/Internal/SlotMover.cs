using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using FastDht.Engine.Cluster;
using FastDht.Engine.Connections;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Keyspace.Internal;
using FastDht.Protocol;
using FastDht.Storage;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// Moves a range of slots this node owns to another node while clients keep using them (docs/elasticity.md):
/// announce, copy in the background, ship what changed meanwhile, hand over, clean up.
/// </summary>
/// <remarks>
/// <para>The steps, each needed by the next:</para>
/// <list type="number">
/// <item>State E1 (through <see cref="IClusterChanges"/>): the slots are <c>Importing</c> at the target; this node
/// still owns and serves them.</item>
/// <item>Capture: every change to the slots from now on is also appended to <see cref="SlotMoves.Captured"/>; taking
/// every write gate once makes sure no write that began before is still running.</item>
/// <item>Copy: the target drops what an earlier attempt left (reset), then the slots' keys are scanned (by slot range:
/// only those slots' keys are read) and sent in MigrateKeys batches, pipelined and throttled.</item>
/// <item>Catch up: the captured changes are shipped, in order, after the whole copy (a change captured before a key
/// was scanned is older than the scanned value, so it must not arrive after it), until less than one batch is left.</item>
/// <item>Handover: under every write gate, if no transaction holds or waits for a lock on a key of the slots, the slots
/// are marked handed away: every later write to them here is refused with Moving (retryable), every later prepare too.
/// Otherwise the locks are waited for (bounded). The rest of the captured changes is shipped and acknowledged.</item>
/// <item>State E2: the target is the primary. This node installs it first, then pushes it; the target serves the slots
/// only once it has it, so the two never serve them at the same time. Then this node drops its copies.</item>
/// </list>
/// <para>A target that already replicates the slots is not copied to: it holds them, in sync, and only has to have
/// acknowledged the replication stream up to the handover's mark (<see cref="MoveRunAsync"/>).</para>
/// <para>Any failure before E2 undoes the move: capture and handover cleared, the slots no longer importing (the target
/// then drops its partial keys: <see cref="SlotImports"/>); the data never left this node, so nothing is lost.</para>
/// <para>A mark this node finds on slots it owns while no move of its own runs (it restarted in the middle of one, or an
/// undo did not get committed) is cleared in the background (<see cref="ClearStaleMarksAsync"/>): otherwise the slots
/// could never move anywhere else.</para>
/// </remarks>
internal sealed class SlotMover
{
    private readonly PeerMesh _mesh;
    private readonly LocalKeyspace _keyspace;
    private readonly IClusterChanges _changes;
    private readonly SlotMoveOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _one = new(1, 1);
    private int _clearing;
    private string? _keptBecause;

    public SlotMover(PeerMesh mesh, LocalKeyspace keyspace, IClusterChanges changes, SlotMoveOptions options, ILogger logger)
    {
        _mesh = mesh;
        _keyspace = keyspace;
        _changes = changes;
        _options = options;
        _logger = logger;
        // Not disposed: the mover lives as long as the node and its state holder; a stopped mesh ends the clearing.
        mesh.Cluster.Subscribe((_, current) =>
        {
            TakeBackHandedAway(current);
            ClearStaleMarksSoon(current);
        });
    }

    private ushort Self => _mesh.Identity.SelfId;

    /// <summary>
    /// Captured bytes the catch-up may leave for the handover: about a hundred keys of 16 B/16 B, one round trip's
    /// apply at the target (leaving up to a full batch and four in flight made the write pause tens of milliseconds).
    /// </summary>
    internal const int HandoverSlackBytes = 4096;

    /// <summary>
    /// The old owner's rest after a batch of its drop took <paramref name="work"/>: a throttled move's duty cycle applies
    /// to the drop too (docs/elasticity.md, "Throttling"); an unthrottled one only lets queued requests run in between.
    /// </summary>
    private TimeSpan DropRest(TimeSpan work) =>
        _options.MaxBytesPerSecond > 0 ? _options.Pacing.RestAfter(work, 0, TimeSpan.Zero) : TimeSpan.Zero;

    /// <summary>Moves slots [<paramref name="first"/>, <paramref name="last"/>], all owned by this node, to <paramref name="target"/>.</summary>
    /// <remarks>
    /// Slots the target already replicates move without a copy (<see cref="MoveRunAsync"/>); a range of which it
    /// replicates only some is moved in runs of each kind, one after the other.
    /// </remarks>
    /// <exception cref="SlotMoveException">The move could not be made; the cluster is as before it, but for the runs the message names as moved.</exception>
    public async Task<SlotMoveReport> MoveAsync(int first, int last, ushort target, CancellationToken cancellationToken)
    {
        if (first < 0 || first > last || last >= SlotTable.SlotCount)
            throw new SlotMoveException($"slot range {first}-{last} is not within 0-{SlotTable.SlotCount - 1}");
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CheckMovable(_mesh.Cluster.Current, first, last, target);
            SlotMoveReport? moved = null;
            for (var from = first; from <= last;)
            {
                var slots = _mesh.Cluster.Current.Slots;
                var toReplica = slots.AssignmentOf(from).HasReplica(target);
                var to = from;
                while (to < last && slots.AssignmentOf(to + 1).HasReplica(target) == toReplica)
                    to++;
                SlotMoveReport run;
                try
                {
                    run = await MoveRunAsync(from, to, target, toReplica, cancellationToken).ConfigureAwait(false);
                }
                catch (SlotMoveException e) when (moved is not null)
                {
                    throw new SlotMoveException($"slots {first}-{from - 1} moved to node {target}, the rest did not: {e.Message}", e);
                }
                moved = moved is null ? run : moved with
                {
                    LastSlot = run.LastSlot,
                    KeysCopied = moved.KeysCopied + run.KeysCopied,
                    CapturedBytes = moved.CapturedBytes + run.CapturedBytes,
                    KeysRemoved = moved.KeysRemoved + run.KeysRemoved,
                    CopyTime = moved.CopyTime + run.CopyTime,
                    PausedTime = moved.PausedTime + run.PausedTime,
                    TotalTime = moved.TotalTime + run.TotalTime,
                    HandoverStart = moved.TotalTime + run.HandoverStart, // the last run's
                };
                from = to + 1;
            }
            return moved!;
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>
    /// Moves [<paramref name="first"/>, <paramref name="last"/>] to <paramref name="target"/>, which replicates all of
    /// them (<paramref name="toReplica"/>) or none; under <see cref="_one"/>.
    /// </summary>
    /// <remarks>
    /// A target that replicates the slots already holds every write acknowledged to them (it is in the in-sync set, and
    /// stays in it throughout): its copy is neither reset nor sent again. A copy over it would have reset the replica's
    /// keys while the in-sync set still listed it, so a promotion of it after the source died mid-move, or after an
    /// undo, would have lost acknowledged writes (and two streams writing the same keys at it may apply an older value
    /// after a newer one). Instead the handover waits until the target, in sync, acknowledged the replication stream up
    /// to the mark: the capture and the copy are skipped, and the source, taking the target's place among the replicas,
    /// keeps its keys, in sync (<see cref="ReplicasHoldingAsync"/>).
    /// </remarks>
    private async Task<SlotMoveReport> MoveRunAsync(int first, int last, ushort target, bool toReplica, CancellationToken cancellationToken)
    {
        var moves = _keyspace.EnableMoves();
        StreamCursor? cursor = null;
        var announced = false;
        var handedOver = false;
        var clock = Stopwatch.StartNew();
        try
        {
            if (_mesh.GetLink(target) is not { IsUp: true } link)
                throw new SlotMoveException($"node {target} is not reachable from node {Self}: no live link");
            var replication = toReplica
                ? _keyspace.Replication ?? throw new SlotMoveException($"node {target} replicates slots {first}-{last}, but node {Self} runs without replicas")
                : null;

            // 1. Announce.
            var announcedState = await _changes.ProposeAsync(current =>
            {
                CheckMovable(current, first, last, target);
                CheckReplicated(current, first, last, target, toReplica);
                return current.Next(slots: Reassign(current.Slots, first, last, a => a.WithImporting(target)));
            }, cancellationToken).ConfigureAwait(false) ?? throw new SlotMoveException("the move could not be announced");
            announced = true;

            var keys = 0L;
            var shipped = 0L;
            TimeSpan copied;
            TimeSpan freezeStarted;
            if (replication is not null)
            {
                // 2-4. Nothing to copy: the replica is in sync (waited for while writes still run), ...
                await WaitUntilInSyncAsync(replication, first, last, target, cancellationToken).ConfigureAwait(false);
                copied = clock.Elapsed;

                // 5. ... and holds everything written before the mark once it acknowledged the stream up to it.
                freezeStarted = clock.Elapsed;
                await HandAwayAsync(moves, first, last, cancellationToken).ConfigureAwait(false);
                handedOver = true;
                await WaitForReplicaAsync(replication, replication.AppendedPosition, first, last, target, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // 2. Capture from here on.
                cursor = moves.Captured.OpenCursor();
                moves.SetCapturing(first, last, true);
                _keyspace.AwaitWritesInProgress();

                // 3. Copy.
                var sender = new Batches(link, target, announcedState.Epoch, first, last, _options);
                await sender.ResetAsync(cancellationToken).ConfigureAwait(false);
                keys = await CopyAsync(sender, moves, first, last, cancellationToken).ConfigureAwait(false);
                copied = clock.Elapsed;

                // 4. Catch up until what is left fits in a batch.
                // Unthrottled from here: the changes must be shipped faster than they come. Bounded in rounds, so that writes
                // arriving as fast as they ship cannot keep the move from ending: the handover then ships the rest.
                sender.Throttled = false;
                for (var round = 0; round < 64 && moves.Captured.AppendedPosition - cursor.Position > _options.BatchBytes; round++)
                    shipped += await ShipCapturedAsync(sender, moves, cursor, cancellationToken).ConfigureAwait(false);
                // Then close in with the answers in: writes to the slots are refused from the mark until E2, so the pause
                // should hold one small batch's round trip, not up to a window of full batches still in flight.
                for (var round = 0; round < 16; round++)
                {
                    await sender.DrainAsync().ConfigureAwait(false);
                    if (moves.Captured.AppendedPosition - cursor.Position <= HandoverSlackBytes)
                        break;
                    shipped += await ShipCapturedAsync(sender, moves, cursor, cancellationToken).ConfigureAwait(false);
                }

                // 5. Hand over: no lock of the slots held, then no write to them here any more.
                freezeStarted = clock.Elapsed;
                await HandAwayAsync(moves, first, last, cancellationToken).ConfigureAwait(false);
                handedOver = true;
                while (cursor.Position < moves.Captured.AppendedPosition)
                    shipped += await ShipCapturedAsync(sender, moves, cursor, cancellationToken).ConfigureAwait(false);
                await sender.DrainAsync().ConfigureAwait(false);
            }

            // The slots' replicas that hold every write to them (acknowledged past the mark) stay in sync under the target.
            var holders = await ReplicasHoldingAsync(first, last, target, toReplica, cancellationToken).ConfigureAwait(false);

            // 6. The target owns the slots.
            await _changes.ProposeAsync(current =>
            {
                // A Raft proposal whose answer was lost is proposed again: if the first one was committed, nothing is left to do.
                if (IsHandedTo(current, first, last, target))
                    return null;
                for (var s = first; s <= last; s++)
                {
                    var a = current.Slots.AssignmentOf(s);
                    if (a.Primary != Self || a.Importing != target || a.HasReplica(target) != toReplica)
                        throw new SlotMoveException($"slot {s} changed while it moved ({a})");
                }
                return current.Next(slots: Reassign(current.Slots, first, last, a => HandedTo(a, target, holders)));
            }, CancellationToken.None).ConfigureAwait(false);
            var frozen = clock.Elapsed - freezeStarted;
            if (cursor is not null)
            {
                moves.SetCapturing(first, last, false);
                moves.Captured.CloseCursor(cursor);
                cursor = null;
            }
            // A source that takes the target's place among the replicas keeps its keys: E2 lists it in sync (its copy is
            // final since the mark) and the new primary streams it every later write.
            var removed = toReplica ? 0 : await _keyspace.DropHandedAwayAsync(moves, first, last, DropRest, lowPriority: _options.MaxBytesPerSecond > 0).ConfigureAwait(false);
            var report = new SlotMoveReport(first, last, Self, target, keys, shipped, removed, copied, frozen, clock.Elapsed, freezeStarted);
            SlotMoveLog.Moved(_logger, first, last, Self, target, keys, clock.Elapsed.TotalMilliseconds, frozen.TotalMilliseconds);
            return report;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            moves.SetCapturing(first, last, false);
            if (handedOver)
                moves.SetGone(first, last, false);
            if (cursor is not null)
                moves.Captured.CloseCursor(cursor);
            if (announced && !await UndoAnnounceAsync(first, last, target).ConfigureAwait(false))
                ClearStaleMarksSoon(_mesh.Cluster.Current); // once this move has let go of the slots
            SlotMoveLog.Failed(_logger, first, last, Self, target, e.Message);
            if (e is OperationCanceledException)
                throw;
            var message = Explained(e, first, last, target);
            if (e is SlotMoveException && ReferenceEquals(message, e.Message))
                throw;
            throw new SlotMoveException(message, e);
        }
    }

    /// <summary>
    /// A failed move's message, saying where the slots are when this node owns them all again (the undo went through, or
    /// nothing was announced): an operator whose command failed needs to know whether anything moved.
    /// </summary>
    private string Explained(Exception e, int first, int last, ushort target)
    {
        var message = e is SlotMoveException ? e.Message : $"moving slots {first}-{last} from node {Self} to node {target} failed: {e.Message}";
        var where = $"stay at node {Self}";
        if (message.Contains(where, StringComparison.Ordinal))
            return message;
        var slots = _mesh.Cluster.Current.Slots;
        for (var s = first; s <= last; s++)
        {
            if (slots.AssignmentOf(s) is var a && (a.Primary != Self || a.IsMoving))
                return message;
        }
        return $"{message}; the slots {where}";
    }

    /// <summary>Throws unless <paramref name="target"/> replicates every slot of the range (<paramref name="toReplica"/>) or none in <paramref name="state"/>.</summary>
    private void CheckReplicated(ClusterState state, int first, int last, ushort target, bool toReplica)
    {
        for (var s = first; s <= last; s++)
        {
            if (state.Slots.AssignmentOf(s).HasReplica(target) != toReplica)
                throw new SlotMoveException($"the replicas of slot {s} changed before its move from node {Self} to node {target} was announced; the slots stay at node {Self}, retry");
        }
    }

    /// <summary>Waits, up to <see cref="SlotMoveOptions.BatchTimeout"/>, until the target is in this node's in-sync set (it may be resynchronizing).</summary>
    private async Task WaitUntilInSyncAsync(ReplicationStream replication, int first, int last, ushort target, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (!replication.IsInSync(target))
        {
            if (waited.Elapsed >= _options.BatchTimeout)
                throw new SlotMoveException($"node {target} replicates slots {first}-{last} but has not been in sync with node {Self} for {_options.BatchTimeout.TotalSeconds:0.#} s (resynchronizing?); the slots stay at node {Self}, retry once it is");
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits, up to <see cref="SlotMoveOptions.BatchTimeout"/>, until the target acknowledged the replication stream up
    /// to <paramref name="position"/> while in sync: it then holds every write made here before the handover's mark.
    /// </summary>
    private async Task WaitForReplicaAsync(ReplicationStream replication, long position, int first, int last, ushort target, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (!replication.HasAcknowledged(target, position))
        {
            // Out of sync, it may have missed a write to the slots: its resynchronization takes longer than a handover should.
            if (!replication.IsInSync(target))
                throw new SlotMoveException($"node {target} fell out of sync with node {Self} during the handover of slots {first}-{last}; the slots stay at node {Self}");
            var left = _options.BatchTimeout - waited.Elapsed;
            if (left <= TimeSpan.Zero)
                throw new SlotMoveException($"node {target} did not acknowledge the writes to slots {first}-{last} within {_options.BatchTimeout.TotalSeconds:0.#} s; the slots stay at node {Self}");
            // Completes once every in-sync replica has the position, or the target left the set (then it is not waited for).
            bool reached;
            try
            {
                reached = await replication.WaitAsync(position).AsTask().WaitAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                continue; // looked at again above
            }
            if (!reached)
                throw new SlotMoveException($"node {Self} is stopping; the slots {first}-{last} stay at node {Self}");
        }
    }

    /// <summary>
    /// Clears the handed-away mark of slots that <paramref name="state"/> gives back to this node: it is their primary
    /// again (a promotion after it became their replica by a move) or it imports them. Otherwise it would refuse every
    /// request for them with Moving for good. Marks of a move in progress stay: its slots are moving away from here.
    /// </summary>
    private void TakeBackHandedAway(ClusterState state)
    {
        if (_keyspace.Moves is not { } moves)
            return;
        for (var s = 0; s < SlotTable.SlotCount; s++)
        {
            if (!moves.IsGone(s))
                continue;
            var a = state.Slots.AssignmentOf(s);
            if ((a.Primary == Self && !a.IsMoving) || a.Importing == Self)
                moves.SetGone(s, s, false);
        }
    }

    private static bool IsHandedTo(ClusterState state, int first, int last, ushort target)
    {
        for (var s = first; s <= last; s++)
        {
            var a = state.Slots.AssignmentOf(s);
            if (a.Primary != target || a.IsMoving)
                return false;
        }
        return true;
    }

    private void CheckMovable(ClusterState state, int first, int last, ushort target)
    {
        if (target == Self)
            throw new SlotMoveException($"slots {first}-{last} are already at node {Self}");
        if (!state.Members.TryGet(target, out _))
            throw new SlotMoveException($"node {target} is not a member at epoch {state.Epoch}");
        for (var s = first; s <= last; s++)
        {
            var a = state.Slots.AssignmentOf(s);
            if (a.Primary != Self)
                throw new SlotMoveException($"slot {s} is owned by node {a.Primary}, not by node {Self}: a move starts at the slots' owner");
            if (a.IsMoving && a.Importing != target)
                throw new SlotMoveException($"slot {s} is already moving to node {a.Importing}");
        }
    }

    /// <summary>
    /// The assignment after the handover: the target is primary; the replicas stay, the target leaving them and the old
    /// primary taking its place if it was one. In sync: the replicas of <paramref name="holders"/> the state still lists
    /// in sync, and this node for a move to a replica (it keeps its copy, final since the mark).
    /// </summary>
    private SlotAssignment HandedTo(SlotAssignment old, ushort target, List<ushort> holders)
    {
        var replicas = new List<ushort>();
        var inSync = new List<ushort>();
        foreach (var r in old.Replicas)
        {
            var replica = r == target ? Self : r;
            replicas.Add(replica);
            if (replica == Self || (old.IsInSync(r) && holders.Contains(r)))
                inSync.Add(replica);
        }
        return new SlotAssignment(target, replicas.ToArray(), inSync.ToArray());
    }

    /// <summary>
    /// After the handover's mark (no write to the slots here any more): waits, up to
    /// <see cref="SlotMoveOptions.BatchTimeout"/>, until every replica of the slots in sync here has acknowledged this
    /// node's stream up to the mark, and returns those that did. They then hold every write made to the slots, as the
    /// target does, so the handover lists them in sync and the target continues their stream without a reset: the slots
    /// never lack an in-sync replica (docs/elasticity.md, "Durability and replicas"). One that falls out of sync meanwhile
    /// is left out (the target resynchronizes it).
    /// </summary>
    private async Task<List<ushort>> ReplicasHoldingAsync(int first, int last, ushort target, bool toReplica, CancellationToken cancellationToken)
    {
        var holders = new List<ushort>();
        if (_keyspace.Replication is not { } replication)
            return holders;
        var mark = replication.AppendedPosition;
        var slots = _mesh.Cluster.Current.Slots;
        for (var s = first; s <= last; s++)
        {
            foreach (var r in slots.AssignmentOf(s).Replicas)
            {
                if (r != target && !holders.Contains(r))
                    holders.Add(r);
            }
        }
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var waiting = false;
            foreach (var r in holders)
                waiting |= replication.IsInSync(r) && !replication.HasAcknowledged(r, mark);
            var left = _options.BatchTimeout - waited.Elapsed;
            if (!waiting || left <= TimeSpan.Zero)
                break;
            try
            {
                // Completes once every in-sync replica has the mark, or one left the set (then it is looked at again).
                if (!await replication.WaitAsync(mark).AsTask().WaitAsync(left, cancellationToken).ConfigureAwait(false))
                    throw new SlotMoveException($"node {Self} is stopping; the slots {first}-{last} stay at node {Self}");
            }
            catch (TimeoutException)
            {
            }
        }
        holders.RemoveAll(r => !replication.HasAcknowledged(r, mark));
        if (toReplica && !replication.HasAcknowledged(target, mark))
            throw new SlotMoveException($"node {target} fell out of sync with node {Self} during the handover of slots {first}-{last}; the slots stay at node {Self}");
        return holders;
    }

    /// <summary>A copy of <paramref name="table"/> with each assignment of [<paramref name="first"/>, <paramref name="last"/>] changed by <paramref name="change"/> (ranges kept apart).</summary>
    private static SlotTable Reassign(SlotTable table, int first, int last, Func<SlotAssignment, SlotAssignment> change)
    {
        var result = table;
        var ranges = table.Ranges;
        for (var i = 0; i < ranges.Count; i++)
        {
            var from = Math.Max(first, ranges[i].FirstSlot);
            var to = Math.Min(last, ranges[i].LastSlot);
            if (from <= to)
                result = result.Assign(from, to, change(table.RangeAssignments[i]));
        }
        return result;
    }

    private async Task<long> CopyAsync(Batches sender, SlotMoves moves, int first, int last, CancellationToken cancellationToken)
    {
        var keys = 0L;
        var scan = 0UL;
        var nowMs = _keyspace.NowMs;
        // The scan also visits keys created after it began (those hashed past its cursor), so writes to the slots that
        // outpace the throttle would keep the copy from ever ending. Once more bytes were written to the slots since the
        // copy began than it has scanned (sent, or waiting in the batch: 0 sent during the first batch's scan, and one
        // write captured then would have lifted the throttle for the whole step), the copy stops yielding to the throttle and finishes at the link's speed.
        var capturedAtStart = moves.Captured.AppendedPosition;
        var lowPriority = true;
        do
        {
            // A throttled batch's scan runs below the requests' priority (LowPriorityWork); an unthrottled one at full speed.
            // The wait for that thread is yielding already, not the copy's work: the duty cycle's rest does not grow by
            // it. A machine busy enough to starve the thread (other processes) gets the copy back at normal priority.
            if (sender.IsPaced && lowPriority && !LowPriorityWork.IsCurrent)
            {
                var posted = Stopwatch.GetTimestamp();
                await LowPriorityWork.Enter();
                var waited = Stopwatch.GetElapsedTime(posted);
                sender.NotWork(waited);
                lowPriority = waited < LowPriorityWork.StarvedAfter;
            }
            var visitor = new CopyVisitor(sender, first, last, nowMs);
            scan = _keyspace.ScanSlots(scan, first, last, 128, ref visitor);
            keys += visitor.Count;
            if (moves.Captured.AppendedPosition - capturedAtStart > sender.SentBytes + sender.Pending)
                sender.Throttled = false;
            if (sender.Pending >= sender.MaxBytes)
            {
                // The link's writer lock is shared with requests forwarded over it: never held by the low-priority thread.
                if (LowPriorityWork.IsCurrent)
                    await Task.Yield();
                await sender.SendAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        while (scan != 0);
        if (LowPriorityWork.IsCurrent)
            await Task.Yield();
        if (sender.Pending > 0)
            await sender.SendAsync(cancellationToken).ConfigureAwait(false);
        return keys;
    }

    /// <summary>Sends the next batch of captured changes; returns its size in bytes.</summary>
    private static async Task<long> ShipCapturedAsync(Batches sender, SlotMoves moves, StreamCursor cursor, CancellationToken cancellationToken)
    {
        var raw = new ArrayBufferWriter<byte>(sender.MaxBytes);
        if (!moves.Captured.TryRead(cursor, sender.MaxBytes, raw, out _))
            throw new SlotMoveException($"the slots changed faster than they could be shipped (over {ReplicationStream.BacklogLimit >> 20} MiB behind)");
        sender.Add(raw.WrittenSpan);
        await sender.SendAsync(cancellationToken).ConfigureAwait(false);
        return raw.WrittenCount;
    }

    /// <summary>Marks the slots handed away once no lock of theirs is held, within <see cref="SlotMoveOptions.LockDrainTimeout"/>.</summary>
    private async Task HandAwayAsync(SlotMoves moves, int first, int last, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        KeyPredicateInRange inRange = new(first, last);
        while (!_keyspace.TryHandAway(moves, first, last, inRange.Matches))
        {
            if (deadline.Elapsed >= _options.LockDrainTimeout)
                throw new SlotMoveException($"a transaction or an explicit lock still held a key of slots {first}-{last} after {_options.LockDrainTimeout.TotalSeconds:0.#} s; the slots stay at node {Self}, retry later");
            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Clears the mark of the slots of [<paramref name="first"/>, <paramref name="last"/>] still moving to <paramref name="target"/>; false when the change was not committed.</summary>
    /// <remarks>The target drops what it received when it installs the state (<see cref="SlotImports"/>).</remarks>
    private async Task<bool> UndoAnnounceAsync(int first, int last, ushort target)
    {
        try
        {
            await _changes.ProposeAsync(current => Unmarked(current, first, last, target), CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            SlotMoveLog.Failed(_logger, first, last, Self, target, $"undoing the announcement: {e.Message}");
            return false;
        }
    }

    /// <summary>The state with the slots of [<paramref name="first"/>, <paramref name="last"/>] that this node owns and that move to <paramref name="target"/> no longer moving; null when there are none.</summary>
    private ClusterState? Unmarked(ClusterState current, int first, int last, ushort target)
    {
        var table = current.Slots;
        var changed = false;
        for (var s = first; s <= last; s++)
        {
            var a = table.AssignmentOf(s);
            changed |= a.Primary == Self && a.Importing == target;
        }
        return changed
            ? current.Next(slots: Reassign(table, first, last, a => a.Primary == Self && a.Importing == target ? a.WithImporting(SlotAssignment.NotMoving) : a))
            : null;
    }

    /// <summary>Starts <see cref="ClearStaleMarksAsync"/> unless it runs, when <paramref name="state"/> marks slots of this node moving.</summary>
    private void ClearStaleMarksSoon(ClusterState state)
    {
        if (FirstMarked(state, 0) is null || Interlocked.CompareExchange(ref _clearing, 1, 0) != 0)
            return;
        using (ExecutionContext.SuppressFlow())
            _ = Task.Run(ClearStaleMarksAsync);
    }

    /// <summary>
    /// Clears the marks of slots this node owns that are moving while no move of its own runs (it takes the movers'
    /// turn first, so a move in progress is never taken for stale): the node restarted in the middle of a move (the
    /// state it learns still holds the announcement), or an undo was not committed. Retried with a growing pause until
    /// none is left or the node stops.
    /// </summary>
    /// <remarks>
    /// With a Raft group the change is decided on the newest committed state, so it cannot undo a handover that was
    /// committed meanwhile. Without one, this node may have learned an older state than the target holds (a push from
    /// another member arrived first, while the target already serves the slots at the state that handed them over): the
    /// target is first asked to reset the import, which it accepts only while it still imports the slots from this
    /// node, and only then is the mark cleared; otherwise the target's newer state reaches this node over their link.
    /// </remarks>
    private async Task ClearStaleMarksAsync()
    {
        var stopping = _mesh.Stopping;
        try
        {
            for (var pause = 10; !stopping.IsCancellationRequested; pause = Math.Min(pause * 2, 1000))
            {
                await _one.WaitAsync(stopping).ConfigureAwait(false);
                var left = false;
                try
                {
                    for (var run = FirstMarked(_mesh.Cluster.Current, 0); run is { } r; run = FirstMarked(_mesh.Cluster.Current, r.Last + 1))
                        left |= !await TryClearAsync(r.First, r.Last, r.Target, stopping).ConfigureAwait(false);
                }
                finally
                {
                    _one.Release();
                }
                if (!left)
                    break;
                await Task.Delay(pause, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The node stops.
        }
        finally
        {
            Volatile.Write(ref _clearing, 0);
        }
        if (!stopping.IsCancellationRequested)
            ClearStaleMarksSoon(_mesh.Cluster.Current); // a state installed after the last look
    }

    private async Task<bool> TryClearAsync(int first, int last, ushort target, CancellationToken stopping)
    {
        try
        {
            if (_changes is PeerPushedStateChanges)
            {
                if (_mesh.GetLink(target) is not { IsUp: true } link)
                    throw new SlotMoveException($"no live link to node {target}");
                await new Batches(link, target, _mesh.Cluster.Current.Epoch, first, last, _options).ResetAsync(stopping).ConfigureAwait(false);
            }
            await _changes.ProposeAsync(current => Unmarked(current, first, last, target), stopping).ConfigureAwait(false);
            SlotMoveLog.StaleMarkCleared(_logger, Self, first, last, target);
            _keptBecause = null;
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            // Retried up to once a second: each new reason is logged once.
            if (e.Message != _keptBecause)
                SlotMoveLog.StaleMarkKept(_logger, Self, first, last, target, e.Message);
            _keptBecause = e.Message;
            return false;
        }
    }

    /// <summary>The first run of slots from <paramref name="from"/> on that this node owns and that move to one node in <paramref name="state"/>, or null.</summary>
    private (int First, int Last, ushort Target)? FirstMarked(ClusterState state, int from)
    {
        var table = state.Slots;
        for (var s = from; s < SlotTable.SlotCount; s++)
        {
            var a = table.AssignmentOf(s);
            if (a.Primary != Self || !a.IsMoving)
                continue;
            var last = s;
            while (last + 1 < SlotTable.SlotCount && table.AssignmentOf(last + 1) is { } next && next.Primary == Self && next.Importing == a.Importing)
                last++;
            return (s, last, a.Importing);
        }
        return null;
    }

    private sealed class KeyPredicateInRange(int first, int last)
    {
        public bool Matches(ReadOnlySpan<byte> key)
        {
            var slot = KeySlot.Of(key);
            return slot >= first && slot <= last;
        }
    }

    /// <summary>Adds every live key of a scanned batch in the slots as a put with its expiry.</summary>
    private struct CopyVisitor(Batches sender, int first, int last, long nowMs) : IStoreEntryVisitor
    {
        public long Count;

        public void Visit(in StoreEntry entry)
        {
            var expiresAt = entry.Metadata.ExpiresAt;
            var key = entry.Key.Span;
            var slot = KeySlot.Of(key);
            if ((expiresAt != 0 && expiresAt <= nowMs) || slot < first || slot > last)
                return;
            var value = entry.Value.Span;
            // With its version: a change record streamed after it names that version as its base (docs/storage.md).
            if (entry.Metadata.HasVersion)
                StreamRecords.WritePutVersioned(sender.Reserve(StreamRecords.PutVersionedSize(key.Length, value.Length)), key, value, expiresAt, entry.Metadata.Type, entry.Metadata.Version);
            else
                StreamRecords.WritePut(sender.Reserve(StreamRecords.PutSize(key.Length, value.Length)), key, value, expiresAt, entry.Metadata.Type);
            Count++;
        }
    }

    /// <summary>MigrateKeys batches to the target: built in a pooled buffer, sent with a window of answers in flight, throttled.</summary>
    private sealed class Batches(PeerLink link, ushort target, ulong epoch, int first, int last, SlotMoveOptions options)
    {
        private readonly Queue<(Task<ResponseResult> Answer, byte[] Buffer)> _inFlight = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private byte[] _batch = [];
        private int _length;
        private long _sentBytes;
        private TimeSpan _workStarted;

        /// <summary>Record bytes per batch: small while throttled, so the copy's work comes in short slices between requests.</summary>
        public int MaxBytes => IsPaced ? options.ThrottledBatchBytes : options.BatchBytes;

        /// <summary>Whether the throttle applies now: the copy rests between batches and scans at low priority.</summary>
        public bool IsPaced => Throttled && options.MaxBytesPerSecond > 0;

        /// <summary>Record bytes sent so far (the throttle's measure).</summary>
        public long SentBytes => _sentBytes;

        /// <summary>Whether <see cref="SlotMoveOptions.MaxBytesPerSecond"/> applies (the background copy) or not (catching up and the handover).</summary>
        public bool Throttled { get; set; } = true;

        /// <summary>Record bytes waiting in the current batch.</summary>
        public int Pending => _length == 0 ? 0 : _length - MigrateKeysRequest.PrefixSize;

        public Span<byte> Reserve(int size)
        {
            if (_length == 0)
                Begin(MigrateKeysRequest.KindRecords);
            if (_length + size > _batch.Length)
            {
                var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_length + size, _batch.Length * 2));
                _batch.AsSpan(0, _length).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_batch);
                _batch = grown;
            }
            var span = _batch.AsSpan(_length, size);
            _length += size;
            return span;
        }

        public void Add(ReadOnlySpan<byte> records) => records.CopyTo(Reserve(records.Length));

        /// <summary>
        /// Asks the target to drop what an earlier attempt left. With a Raft-decided state the target may not have
        /// installed the announcing state yet (it learns it from the leader's push): WrongNode then, retried every
        /// 10 ms for up to <see cref="SlotMoveOptions.BatchTimeout"/>.
        /// </summary>
        public async Task ResetAsync(CancellationToken cancellationToken)
        {
            var waited = Stopwatch.StartNew();
            while (true)
            {
                Begin(MigrateKeysRequest.KindReset);
                var result = await link.CallAsync(new MigrateKeysRequest(_batch, _length), ResponseShape.Status, options.BatchTimeout, target, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (result.Status != StatusCode.WrongNode || waited.Elapsed >= options.BatchTimeout)
                {
                    ArrayPool<byte>.Shared.Return(_batch);
                    _batch = [];
                    _length = 0;
                    if (result.IsError)
                        throw new SlotMoveException($"node {target} refused to import slots {first}-{last} ({result.Status}: {result.ErrorMessage})");
                    return;
                }
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Sends the current batch; waits for the oldest answer when the window is full, and for the throttle.</summary>
        public async Task SendAsync(CancellationToken cancellationToken)
        {
            if (_length == 0)
                return;
            if (ProtocolConstants.HeaderSize - 4 + _length > link.SendLimit)
                throw new SlotMoveException($"a batch of {_length} bytes exceeds the link's frame limit ({link.SendLimit} bytes): a key and value that large cannot be moved");
            var answer = link.CallAsync(new MigrateKeysRequest(_batch, _length), ResponseShape.Status, options.BatchTimeout, target, cancellationToken: cancellationToken).AsTask();
            _inFlight.Enqueue((answer, _batch));
            _sentBytes += _length;
            _batch = [];
            _length = 0;
            while (_inFlight.Count >= (IsPaced ? options.ThrottledWindow : options.Window))
                await CollectOldestAsync().ConfigureAwait(false);
            if (IsPaced)
            {
                // The throttle: rest so that the copy works at most its duty cycle (this batch's scan and round trip
                // measured its work) and is never ahead of MaxBytesPerSecond on average since the move began.
                var now = _clock.Elapsed;
                var rest = options.Pacing.RestAfter(now - _workStarted, _sentBytes, now);
                if (rest > TimeSpan.FromMilliseconds(1))
                    await Task.Delay(rest, cancellationToken).ConfigureAwait(false);
            }
            _workStarted = _clock.Elapsed;
        }


        /// <summary>Leaves <paramref name="wait"/> (the scan's wait for the low-priority thread) out of the current batch's measured work.</summary>
        public void NotWork(TimeSpan wait) => _workStarted += wait;

        /// <summary>Waits for every batch in flight; throws when the target refused one.</summary>
        public async Task DrainAsync()
        {
            while (_inFlight.Count > 0)
                await CollectOldestAsync().ConfigureAwait(false);
        }

        private async Task CollectOldestAsync()
        {
            var (answer, buffer) = _inFlight.Dequeue();
            ResponseResult result;
            try
            {
                result = await answer.ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            if (result.IsError)
                throw new SlotMoveException($"node {target} did not take a batch of slots {first}-{last} ({result.Status}: {result.ErrorMessage})");
        }

        private void Begin(byte kind)
        {
            if (_batch.Length == 0)
                _batch = ArrayPool<byte>.Shared.Rent(options.BatchBytes + MigrateKeysRequest.PrefixSize + 1024);
            BinaryPrimitives.WriteUInt64LittleEndian(_batch, epoch);
            _batch[8] = kind;
            BinaryPrimitives.WriteUInt16LittleEndian(_batch.AsSpan(9), (ushort)first);
            BinaryPrimitives.WriteUInt16LittleEndian(_batch.AsSpan(11), (ushort)last);
            _length = MigrateKeysRequest.PrefixSize;
        }
    }
}
