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

    /// <summary>Runs until <paramref name="stopping"/>: resynchronize, stream, and start over after every failure.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        _stoppingToken = stopping;
        using var registration = stopping.UnsafeRegister(static state => ((SenderWakeup)state!).Set(), _wakeup);
        while (!stopping.IsCancellationRequested)
        {
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
            else
            {
                try
                {
                    reason = await SyncAsync(link, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    reason = "the node is stopping";
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    reason = $"the sender failed: {e.Message}"; // a defect; the replica is resynchronized rather than left behind
                }
            }
            // Out of the in-sync set first (in the cluster state too, with a Raft group): only then are the writes that
            // waited for it released.
            if (_stream.IsInSync(_replica))
            {
                Volatile.Write(ref _leaving, 1);
                if (_changes is not null && !await LeaveInSyncAsync(stopping).ConfigureAwait(false))
                {
                    // Demoted (or stopping) before the state dropped it: the writes that wait for it are never
                    // acknowledged here; their clients time out, and the new primary decides what they became.
                    await DrainAsync().ConfigureAwait(false);
                    if (!await DelayAsync(stopping).ConfigureAwait(false))
                        return;
                    continue;
                }
                _stream.SetInSync(_replica, false, reason: reason);
                ReplicationLog.OutOfSync(_logger, SelfId, _replica, reason);
            }
            await DrainAsync().ConfigureAwait(false);
            if (!await DelayAsync(stopping).ConfigureAwait(false))
                return;
        }
    }

    private static async Task<bool> DelayAsync(CancellationToken stopping)
    {
        try
        {
            await Task.Delay(RetryDelay, stopping).ConfigureAwait(false);
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
            if (!InSyncChanges.Lists(state, SelfId, _replica))
                return IsPrimaryOfAny(state);
            try
            {
                await _changes!.ProposeAsync(InSyncChanges.Set(SelfId, _replica, inSync: false), stopping).ConfigureAwait(false);
            }
            catch (ClusterChangeException e)
            {
                ReplicationLog.InSyncChangeFailed(_logger, SelfId, _replica, e.Message);
                if (!await DelayAsync(stopping).ConfigureAwait(false))
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

    /// <summary>In sync in this node's stream, and not being given up (<see cref="_leaving"/>): only then may the state list it.</summary>
    private bool InSyncHere => _stream.IsInSync(_replica) && Volatile.Read(ref _leaving) == 0;

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
                    await _changes!.ProposeAsync(s => InSyncHere ? InSyncChanges.Set(SelfId, _replica, inSync: true)(s) : null, stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
                {
                    ReplicationLog.InSyncChangeFailed(_logger, SelfId, _replica, e.Message);
                    await DelayAsync(stopping).ConfigureAwait(false);
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
            if (_mesh.Cluster.Current is var current && current != state)
            {
                // A change that leaves what it copies from this node alone (an in-sync set, another range) goes on.
                if (!InSyncChanges.SameCopies(state, current, SelfId, _replica))
                    return "the cluster state changed"; // resynchronize under the new one (its ranges may differ)
                state = current;
            }
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
            if (!_stream.IsInSync(_replica))
            {
                _stream.SetInSync(_replica, true, cursor.Position);
                Volatile.Write(ref _leaving, 0);
                ReplicationLog.InSync(_logger, SelfId, _replica, cursor.Position);
                JoinInSync(stopping);
            }
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
        if (batch.Acknowledges >= joinAt && !_stream.IsInSync(_replica))
        {
            _stream.SetInSync(_replica, true, batch.Acknowledges);
            Volatile.Write(ref _leaving, 0);
            ReplicationLog.InSync(_logger, SelfId, _replica, batch.Acknowledges);
            JoinInSync(_stoppingToken);
        }
        return null;
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
            StreamRecords.WritePut(sender.Reserve(StreamRecords.PutSize(key.Length, value.Length)), key, value, expiresAt, entry.Metadata.Type);
            Count++;
        }
    }
}
