using FastDht.Engine.Keyspace.Internal;
using System.Buffers;
using System.Buffers.Binary;
using FastDht.Engine.Cluster;
using FastDht.Engine.Connections;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Mesh.Internal;
using FastDht.Protocol;
using FastDht.Storage;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// Keeps one replica in step with this primary: over the peer link to it, a full resynchronization (reset, snapshot of
/// the ranges it copies, then the stream from where the snapshot began), then the stream, batched and pipelined.
/// </summary>
/// <remarks>
/// <para>
/// Batching and pipelining: the sender reads whatever the stream holds beyond its cursor (up to
/// <see cref="BatchBytes"/>) into one ReplicaSync frame and sends it without waiting for the answer, up to
/// <see cref="Window"/> frames in flight; it waits for the oldest answer only when the window is full or nothing is left
/// to send. Under load one frame carries many writes and the link never idles for a round trip; a lone write waits for
/// one round trip.
/// </para>
/// <para>
/// In sync: the replica joins the in-sync set once it acknowledged the position the stream had reached when its
/// snapshot ended. It leaves it (<see cref="ReplicationStream.SetInSync"/>, before the writes waiting for it are
/// released) when its link closes, an answer does not come within the replica timeout, it refuses a batch, or it falls
/// so far behind that the stream overran its cursor; then the sender starts over with a full resynchronization.
/// </para>
/// </remarks>
internal sealed class ReplicaSender
{
    /// <summary>256 KiB per frame: hundreds of small writes per frame, and within the smallest frame limits nodes are run with (a larger record goes alone).</summary>
    public const int BatchBytes = 256 * 1024;

    /// <summary>8 frames in flight (2 MiB): enough to keep a loopback or LAN link busy while answers come back.</summary>
    public const int Window = 8;

    // 100 ms between attempts to reach a replica that is down or refused: a returning replica is found quickly, a
    // refusing one costs a few frames a second.
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly PeerMesh _mesh;
    private readonly LocalKeyspace _keyspace;
    private readonly ReplicationStream _stream;
    private readonly ushort _replica;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _raw = new(BatchBytes);
    private readonly Queue<InFlight> _inFlight = new();
    private byte[] _batch = [];
    private int _batchLength;
    private readonly SenderWakeup _wakeup = new(); // an append, the link's close or the stop: see StreamAsync's idle wait
    private readonly IClusterChanges? _changes;
    private int _joining;

    // 1 from the moment this sender gives the replica up until it has caught up again: while its removal from the
    // in-sync set is being committed the local stream still counts it in sync (the writes waiting for it stay held),
    // and the state change that removes it must not make ListIfInSync propose it again. Without this flag it did:
    // a frozen replica was listed in sync again 3 ms after its removal, while its primary acknowledged writes without
    // it (found by the fault tests: SIGSTOP of a replica), so a later promotion could have lost them.
    private int _leaving;
    private CancellationToken _stoppingToken;

    // The handover (PrepareHandover) against the sender's own decisions: it marks the replica in sync in the stream
    // before its state is installed, so a decision to give the replica up is taken only on a state at least that new
    // (_handoverEpoch), under this lock.
    private readonly Lock _gate = new();
    private ulong _handoverEpoch;
    private StreamCursor? _handoverCursor; // opened at a handover for a replica that copied nothing from here before
    private bool _caughtUp; // the sender's own stream holds the replica in sync (set when it caught up or continued)

    public ReplicaSender(PeerMesh mesh, LocalKeyspace keyspace, ReplicationStream stream, ushort replica, TimeSpan timeout, ILogger logger, IClusterChanges? changes = null)
    {
        _changes = changes;
        _mesh = mesh;
        _keyspace = keyspace;
        _stream = stream;
        _replica = replica;
        _timeout = timeout;
        _logger = logger;
    }

    private ushort SelfId => _mesh.Identity.SelfId;

    /// <summary>Runs until <paramref name="stopping"/>: resynchronize (or continue from a handover), stream, and start over after every failure.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        _stoppingToken = stopping;
        using var registration = stopping.UnsafeRegister(static state => ((SenderWakeup)state!).Set(), _wakeup);
        while (!stopping.IsCancellationRequested)
        {
            // A handover prepared for a state not installed yet: decide nothing on the state before it.
            if (_mesh.Cluster.Current.Epoch < Volatile.Read(ref _handoverEpoch))
            {
                if (!await DelayAsync(TimeSpan.FromMilliseconds(1), stopping).ConfigureAwait(false))
                    return;
                continue;
            }
            var link = _mesh.GetLink(_replica);
            string reason;
            if (!Replicator.ReplicasOf(_mesh.Cluster.Current, SelfId).Contains(_replica))
            {
                reason = "it copies no range of this node in the current cluster state";
            }
            else if (link is null || !link.IsUp)
            {
                reason = "no live link to it";
            }
            else if (_mesh.Loading.IsLoading)
            {
                reason = "this node is still loading its log"; // a snapshot now would miss what the replay adds after it
            }
            else if (TakeHandoverCursor() is { } continued)
            {
                reason = await GuardedAsync(ContinueAsync(link, continued, stopping)).ConfigureAwait(false);
            }
            else if (_stream.IsInSync(_replica) || (_changes is not null && InSyncChanges.Lists(_mesh.Cluster.Current, SelfId, _replica)))
            {
                // A resynchronization begins with a reset that removes the replica's copies: never while the state (or
                // this node's stream) counts it in sync, so it is taken out first (a promoted primary's replica, a
                // handover this sender could not continue).
                reason = "it is resynchronized, and still counted in sync";
            }
            else
            {
                reason = await GuardedAsync(SyncAsync(link, stopping)).ConfigureAwait(false);
            }
            Volatile.Write(ref _caughtUp, false);
            // Out of the in-sync set first (in the cluster state too, with a Raft group): only then are the writes that
            // waited for it released.
            if (_stream.IsInSync(_replica) || (_changes is not null && InSyncChanges.Lists(_mesh.Cluster.Current, SelfId, _replica)))
            {
                Volatile.Write(ref _leaving, 1);
                if (!await LeaveAsync(reason, stopping).ConfigureAwait(false))
                {
                    // Demoted (or stopping) before the state dropped it: the writes that wait for it are never
                    // acknowledged here, and the new primary decides what they became. Their replies are failed (each
                    // held connection is dropped: outcome unknown) rather than held for ever, which left a client of
                    // the old primary unanswered (docs/replication.md, "Failover").
                    if (!stopping.IsCancellationRequested)
                        _stream.Abandon();
                    await DrainAsync().ConfigureAwait(false);
                    if (!await DelayAsync(RetryDelay, stopping).ConfigureAwait(false))
                        return;
                    continue;
                }
            }
            await DrainAsync().ConfigureAwait(false);
            if (!await DelayAsync(RetryDelay, stopping).ConfigureAwait(false))
                return;
        }
    }

    private static async Task<string> GuardedAsync(Task<string> run)
    {
        try
        {
            return await run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return "the node is stopping";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"the sender failed: {e.Message}"; // a defect; the replica is resynchronized rather than left behind
        }
    }

    /// <summary>
    /// Takes the replica out of the in-sync set, in the cluster state first (with a Raft group), then in the stream;
    /// false when this node is no longer the primary (or stops) before the state dropped it.
    /// </summary>
    private async Task<bool> LeaveAsync(string reason, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            if (_changes is not null && !await LeaveInSyncAsync(stopping).ConfigureAwait(false))
                return false;
            lock (_gate)
            {
                // A handover that lists it again may have been prepared meanwhile: out of the stream only on a state
                // at least as new as that, which does not list it.
                var state = _mesh.Cluster.Current;
                if (state.Epoch >= _handoverEpoch && (_changes is null || !InSyncChanges.Lists(state, SelfId, _replica)))
                {
                    _stream.SetInSync(_replica, false, reason: reason);
                    ReplicationLog.OutOfSync(_logger, SelfId, _replica, reason);
                    return true;
                }
            }
            if (!await DelayAsync(TimeSpan.FromMilliseconds(1), stopping).ConfigureAwait(false))
                return false;
        }
        return false;
    }

    /// <summary>
    /// A handover (<see cref="Replicator"/>'s PrepareHandover, before the state is installed) lists this replica in
    /// sync for slots this node now serves: the stream counts it in sync from before the first write to them, and a
    /// replica that copied nothing from this node gets a cursor to be continued from (<paramref name="openCursor"/>).
    /// </summary>
    public void ContinueAtHandover(ulong epoch, bool openCursor)
    {
        lock (_gate)
        {
            if (epoch > _handoverEpoch)
                _handoverEpoch = epoch;
            _stream.SetInSync(_replica, true, _stream.AppendedPosition);
            if (openCursor && _handoverCursor is null)
                _handoverCursor = _stream.OpenCursor(_wakeup);
        }
    }

    /// <summary>
    /// The cursor a handover opened, when every range the replica copies from this node lists it in sync in the state
    /// now (then it holds all of them, and the stream from the cursor on is all it lacks); otherwise the cursor is closed.
    /// </summary>
    private StreamCursor? TakeHandoverCursor()
    {
        lock (_gate)
        {
            var cursor = _handoverCursor;
            _handoverCursor = null;
            if (cursor is null)
                return null;
            if (_stream.IsInSync(_replica) && ListedForAll(_mesh.Cluster.Current))
                return cursor;
            _stream.CloseCursor(cursor);
            return null;
        }
    }

    /// <summary>Drops a handover's cursor that the running stream made needless (its own cursor is older).</summary>
    private void DropHandoverCursor()
    {
        lock (_gate)
        {
            if (_handoverCursor is { } cursor)
                _stream.CloseCursor(cursor);
            _handoverCursor = null;
        }
    }

    private bool ListedForAll(ClusterState state)
    {
        foreach (var a in state.Slots.RangeAssignments)
        {
            if (a.Primary == SelfId && a.HasReplica(_replica) && !a.IsInSync(_replica))
                return false;
        }
        return true;
    }

    /// <summary>The replica holds every slot it copies from here up to the handover's cursor: the stream goes on from it, with no reset.</summary>
    private async Task<string> ContinueAsync(PeerLink link, StreamCursor cursor, CancellationToken stopping)
    {
        try
        {
            Volatile.Write(ref _caughtUp, true);
            Volatile.Write(ref _leaving, 0);
            ReplicationLog.Continued(_logger, SelfId, _replica, cursor.Position);
            return await StreamAsync(link, cursor, _mesh.Cluster.Current, joinAt: cursor.Position, stopping).ConfigureAwait(false);
        }
        finally
        {
            _stream.CloseCursor(cursor);
        }
    }

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, stopping).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Takes the replica out of the in-sync set of this node's ranges in the cluster state; true once the state no
    /// longer lists it (the writes waiting for it may then go on without it), false when this node is no longer the
    /// primary (or stops) first.
    /// </summary>
    private async Task<bool> LeaveInSyncAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var state = _mesh.Cluster.Current;
            // Not listed: the removal committed (this sender's, or one crossing it), or a state took away the ranges that
            // listed it. The writes still waiting may then go on without it as long as this node is a primary: the
            // removal leaves no in-sync set that could promote the replica, and a state that took ranges this node did
            // not hand over failed every write waiting before it was installed (Replicator.FailWritesOfLostRanges), so
            // what still waits is newer. Before that, such writes to a promoted range were released here as acknowledged.
            if (!InSyncChanges.Lists(state, SelfId, _replica))
                return IsPrimaryOfAny(state);
            try
            {
                await _changes!.ProposeAsync(InSyncChanges.Set(SelfId, _replica, inSync: false), stopping).ConfigureAwait(false);
            }
            catch (ClusterChangeException e)
            {
                ReplicationLog.InSyncChangeFailed(_logger, SelfId, _replica, e.Message);
                if (!await DelayAsync(RetryDelay, stopping).ConfigureAwait(false))
                    return false;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return false;
    }

    private bool IsPrimaryOfAny(ClusterState state)
    {
        foreach (var a in state.Slots.RangeAssignments)
        {
            if (a.Primary == SelfId)
                return true;
        }
        return false;
    }

    /// <summary>In sync in this node's stream by this sender's own catching up (a handover may count it in sync before), and not being given up (<see cref="_leaving"/>): only then may the state list it.</summary>
    private bool InSyncHere => _stream.IsInSync(_replica) && Volatile.Read(ref _leaving) == 0 && Volatile.Read(ref _caughtUp);

    /// <summary>After a state change: a replica in sync here that the state does not list is listed again.</summary>
    public void ListIfInSync(ClusterState state, CancellationToken stopping)
    {
        if (InSyncHere && !InSyncChanges.Lists(state, SelfId, _replica) && Replicator.ReplicasOf(state, SelfId).Contains(_replica))
            JoinInSync(stopping);
    }

    /// <summary>The replica is in sync here: the cluster state is told too (in the background), so it may be promoted.</summary>
    private void JoinInSync(CancellationToken stopping)
    {
        if (_changes is null || Interlocked.Exchange(ref _joining, 1) != 0)
            return;
        // Off the caller's thread: it may be a ClusterStateHolder subscriber, which must not wait or install.
        _ = Task.Run(() => JoinInSyncAsync(stopping));
    }

    private async Task JoinInSyncAsync(CancellationToken stopping)
    {
        try
        {
            // Only while it is still in sync here: a replica that fell out meanwhile must not be listed.
            while (!stopping.IsCancellationRequested && InSyncHere && !InSyncChanges.Lists(_mesh.Cluster.Current, SelfId, _replica))
            {
                try
                {
                    // Null: the change is no longer needed (out of sync here, or this node no longer serves a range the
                    // replica copies: failed over or moved away). Without this end the loop proposed again at once,
                    // for ever, spinning a core on an idle node; the next state change calls ListIfInSync again.
                    if (await _changes!.ProposeAsync(s => InSyncHere ? InSyncChanges.Set(SelfId, _replica, inSync: true)(s) : null, stopping).ConfigureAwait(false) is null)
                        return;
                }
                catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
                {
                    ReplicationLog.InSyncChangeFailed(_logger, SelfId, _replica, e.Message);
                    await DelayAsync(RetryDelay, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Volatile.Write(ref _joining, 0);
        }
    }

    /// <summary>One resynchronization and the streaming after it, until something fails; returns why it stopped.</summary>
    private async Task<string> SyncAsync(PeerLink link, CancellationToken stopping)
    {
        var cursor = _stream.OpenCursor(_wakeup);
        try
        {
            var state = _mesh.Cluster.Current;
            BeginBatch(state.Epoch, ReplicaSyncRequest.KindReset, cursor.Position);
            var reset = await link.CallAsync(new ReplicaSyncRequest(_batch, _batchLength), ResponseShape.Status, _timeout, _replica).ConfigureAwait(false);
            if (reset.IsError)
                return $"it refused the resynchronization ({reset.Status}: {reset.ErrorMessage})";

            var keys = 0L;
            var perScan = 64; // entries per scan call, lowered for large entries so one call's records stay near one batch
            BeginBatch(state.Epoch, ReplicaSyncRequest.KindRecords, cursor.Position);
            // The attempts prepared here and not ended, read after the cursor opened: one that ends meanwhile has its
            // end record in the stream after the cursor, so the replica drops it again.
            foreach (var prepared in _mesh.Participant.Prepared)
            {
                var record = Transactions.Internal.TxnPrepareRecord.Encode(prepared);
                StreamRecords.WriteTxn(Reserve(StreamRecords.TxnSize(record.Length)), record);
            }
            // The whole store, each key's cluster slot computed: the store may group keys by a slot function of its own.
            var scan = 0UL;
            do
            {
                var visitor = new SnapshotVisitor(this, state, _keyspace.NowMs);
                var before = _batchLength;
                scan = _keyspace.Scan(scan, perScan, ref visitor);
                keys += visitor.Count;
                if (visitor.Count > 0)
                    perScan = (int)Math.Clamp(BatchBytes / Math.Max(1, (_batchLength - before) / visitor.Count), 1, 256);
                if (_batchLength - ReplicaSyncRequest.PrefixSize >= BatchBytes)
                {
                    if (await SendBatchAsync(link, acknowledges: 0).ConfigureAwait(false) is { } failed)
                        return failed;
                    BeginBatch(state.Epoch, ReplicaSyncRequest.KindRecords, cursor.Position);
                }
            }
            while (scan != 0);
            if (_batchLength > ReplicaSyncRequest.PrefixSize && await SendBatchAsync(link, acknowledges: 0).ConfigureAwait(false) is { } last)
                return last;
            var joinAt = _stream.AppendedPosition;
            ReplicationLog.Resynchronized(_logger, SelfId, _replica, keys, cursor.Position);
            return await StreamAsync(link, cursor, state, joinAt, stopping).ConfigureAwait(false);
        }
        finally
        {
            _stream.CloseCursor(cursor);
        }
    }

    private async Task<string> StreamAsync(PeerLink link, StreamCursor cursor, ClusterState state, long joinAt, CancellationToken stopping)
    {
        // The link's close wakes an idle sender too (one registration per resynchronization, not per wait).
        _ = link.Completion.ContinueWith(static (_, wakeup) => ((SenderWakeup)wakeup!).Set(), _wakeup, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        while (!stopping.IsCancellationRequested)
        {
            if (!link.IsOpen)
                return "its link closed";
            if (!Follow(ref state))
                return "the cluster state changed"; // resynchronize under the new one (its ranges may differ)
            // Answers that are in already are taken first, so a write's acknowledgement never waits for the window to fill.
            while (_inFlight.TryPeek(out var done) && done.Answer.IsCompleted)
            {
                _inFlight.Dequeue();
                if (Collect(done, await done.Answer.ConfigureAwait(false), joinAt) is { } failed)
                    return failed;
            }
            if (_inFlight.Count < Window && cursor.Position < _stream.AppendedPosition)
            {
                _raw.ResetWrittenCount();
                if (!_stream.TryRead(cursor, BatchBytes, _raw, out var end))
                    return $"it fell more than {ReplicationStream.BacklogLimit >> 20} MiB behind";
                // The state is looked at again after the read: a write to slots a handover gave this node was accepted
                // only once that state was installed, so a record read here is filtered by a state at least that new.
                if (!Follow(ref state))
                    return "the cluster state changed";
                BeginBatch(state.Epoch, ReplicaSyncRequest.KindRecords, end);
                AddFiltered(state, _raw.WrittenSpan);
                if (await SendBatchAsync(link, end).ConfigureAwait(false) is { } failed)
                    return failed;
                continue;
            }
            if (_inFlight.Count > 0)
            {
                var oldest = _inFlight.Dequeue();
                if (Collect(oldest, await oldest.Answer.ConfigureAwait(false), joinAt) is { } failed)
                    return failed;
                continue;
            }
            // Caught up and every batch acknowledged: the replica has everything up to the cursor, so it is in sync now
            // even if no write came after its snapshot. Then wait for the next write (or the link to close).
            if (!_caughtUp)
                CaughtUp(cursor.Position);
            // Armed first, then looked again: an append, a close or the stop just before the wait is never slept through.
            var woken = _wakeup.WaitAsync();
            if (cursor.Position < _stream.AppendedPosition || !link.IsOpen || stopping.IsCancellationRequested)
                _wakeup.Set();
            await woken.ConfigureAwait(false);
        }
        return "the node is stopping";
    }

    /// <summary>Takes a batch's answer: the replica's acknowledged position moves, and it joins the in-sync set once past <paramref name="joinAt"/>; returns why not when it refused.</summary>
    private string? Collect(InFlight batch, ResponseResult answer, long joinAt)
    {
        ArrayPool<byte>.Shared.Return(batch.Buffer);
        if (answer.IsError)
            return answer.Status == StatusCode.Timeout
                ? $"it did not acknowledge a batch within {_timeout.TotalMilliseconds:0} ms"
                : $"it refused a batch ({answer.Status}: {answer.ErrorMessage})";
        if (batch.Acknowledges == 0)
            return null;
        _stream.Acknowledge(_replica, batch.Acknowledges);
        if (batch.Acknowledges >= joinAt && !_caughtUp)
            CaughtUp(batch.Acknowledges);
        return null;
    }

    /// <summary>The replica acknowledged everything from its snapshot on: in sync here, then in the cluster state.</summary>
    private void CaughtUp(long position)
    {
        Volatile.Write(ref _caughtUp, true);
        _stream.SetInSync(_replica, true, position);
        Volatile.Write(ref _leaving, 0);
        ReplicationLog.InSync(_logger, SelfId, _replica, position);
        JoinInSync(_stoppingToken);
    }

    /// <summary>
    /// Moves <paramref name="state"/> to the current state unless that changes what the replica copies from here in a
    /// way the stream cannot follow; false then (the replica is resynchronized). It follows a change that only takes
    /// slots away, and one that adds slots the new state lists the replica in sync for (a handover to this node: the
    /// replica holds them, <see cref="ContinueAtHandover"/>), while the replica is caught up.
    /// </summary>
    private bool Follow(ref ClusterState state)
    {
        var current = _mesh.Cluster.Current;
        if (current == state)
            return true;
        // A change that leaves what it copies from this node alone (an in-sync set, another range) goes on.
        if (!InSyncChanges.SameCopies(state, current, SelfId, _replica))
        {
            if (!_caughtUp || !InSyncChanges.AddsOnlyInSync(state, current, SelfId, _replica))
                return false;
            DropHandoverCursor(); // this stream's own cursor is older: it carries the handed slots' writes already
        }
        state = current;
        return true;
    }

    /// <summary>Copies the records of <paramref name="records"/> whose slot this replica copies from this node (and every clear) into the batch.</summary>
    private void AddFiltered(ClusterState state, ReadOnlySpan<byte> records)
    {
        while (!records.IsEmpty)
        {
            StreamRecords.TryRead(records, out var kind, out var key, out _, out _, out var size);
            // Transaction records go to every replica: it keeps a prepared part whole and installs, if promoted, the
            // writes of the slots it then serves (ReplicatedPrepares).
            if (kind is StreamRecords.KindClear or StreamRecords.KindTxn || CopiesSlotOf(state, key))
                Append(records[..size]);
            records = records[size..];
        }
    }

    private bool CopiesSlotOf(ClusterState state, ReadOnlySpan<byte> key)
    {
        var assignment = state.Slots.AssignmentOf(KeySlot.Of(key));
        return assignment.Primary == SelfId && assignment.HasReplica(_replica);
    }

    /// <summary>Sends the batch; the answer is collected later. Returns why not when it could not even be sent.</summary>
    private async ValueTask<string?> SendBatchAsync(PeerLink link, long acknowledges)
    {
        // A frame larger than the replica accepts can never be sent: the replica is resynchronized without it forever,
        // so say so plainly rather than loop.
        if (ProtocolConstants.HeaderSize - 4 + _batchLength > link.SendLimit)
            return $"a batch of {_batchLength} bytes exceeds the link's frame limit ({link.SendLimit} bytes): a key and value that large cannot be replicated";
        var answer = link.CallAsync(new ReplicaSyncRequest(_batch, _batchLength), ResponseShape.Status, _timeout, _replica);
        _inFlight.Enqueue(new InFlight(answer, acknowledges, _batch));
        _batch = [];
        _batchLength = 0;
        if (_inFlight.Count < Window)
            return null;
        // Window full: collect the oldest answer before sending more.
        var oldest = _inFlight.Dequeue();
        return Collect(oldest, await oldest.Answer.ConfigureAwait(false), joinAt: long.MaxValue);
    }

    /// <summary>Waits for what is still in flight after a failure, returning the buffers.</summary>
    private async Task DrainAsync()
    {
        while (_inFlight.TryDequeue(out var entry))
        {
            await entry.Answer.ConfigureAwait(false);
            ArrayPool<byte>.Shared.Return(entry.Buffer);
        }
    }

    private void BeginBatch(ulong epoch, byte kind, long position)
    {
        if (_batch.Length == 0)
            _batch = ArrayPool<byte>.Shared.Rent(BatchBytes + ReplicaSyncRequest.PrefixSize);
        BinaryPrimitives.WriteUInt64LittleEndian(_batch, epoch);
        _batch[8] = kind;
        BinaryPrimitives.WriteInt64LittleEndian(_batch.AsSpan(9), position);
        _batchLength = ReplicaSyncRequest.PrefixSize;
    }

    private Span<byte> Reserve(int size)
    {
        if (_batchLength + size > _batch.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_batchLength + size, _batch.Length * 2));
            _batch.AsSpan(0, _batchLength).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_batch);
            _batch = grown;
        }
        var span = _batch.AsSpan(_batchLength, size);
        _batchLength += size;
        return span;
    }

    private void Append(ReadOnlySpan<byte> record) => record.CopyTo(Reserve(record.Length));

    private readonly record struct InFlight(ValueTask<ResponseResult> Answer, long Acknowledges, byte[] Buffer);

    /// <summary>Adds every live key of a scanned batch that the replica copies to the snapshot, as a put with its expiry.</summary>
    private struct SnapshotVisitor(ReplicaSender sender, ClusterState state, long nowMs) : IStoreEntryVisitor
    {
        public long Count;

        public void Visit(in StoreEntry entry)
        {
            var expiresAt = entry.Metadata.ExpiresAt;
            var key = entry.Key.Span;
            if ((expiresAt != 0 && expiresAt <= nowMs) || !sender.CopiesSlotOf(state, key))
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
}
