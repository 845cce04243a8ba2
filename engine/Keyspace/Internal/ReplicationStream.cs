using System.Buffers;
using FastDht.Engine.Transport;
using FastDht.Storage.Durability.Internal;
using FastDht.Storage;

namespace FastDht.Engine.Keyspace.Internal;

/// <summary>
/// A primary's changes, in the order they were applied, for its replicas: every <see cref="KeyWrite"/> that
/// changes something appends a record here, one sender per replica reads them out in batches, and the replicas'
/// acknowledgements decide when a reply that acknowledges a write may leave (this is the output barrier for it).
/// </summary>
/// <remarks>
/// <para>
/// Requirements: an append runs on a connection's read loop under a key's write gate, so it must be a memory copy and
/// never wait; a reply must be able to wait, without blocking or allocating, until every in-sync replica acknowledged
/// its records; a replica that is gone must not make the primary buffer without bound; with no replicas nothing of
/// this exists (the keyspace holds no stream).
/// </para>
/// <para>
/// Design: like the write-ahead log, appends copy the encoded record into one buffer under a short lock, return the
/// stream position after it, and leave a per-thread mark, so a session learns which position its replies wait for
/// without threading a value through every write path. A sender registers a <see cref="StreamCursor"/> at the
/// position it starts from; the buffer keeps what the slowest cursor has not read yet and drops the rest (with no
/// cursor, everything at once). A cursor that falls more than <see cref="BacklogLimit"/> behind is overrun: its sender
/// gives up and resynchronizes its replica from a snapshot later. Acknowledgement: each replica's acknowledged
/// position is reported here; the barrier's position is the lowest over the <b>in-sync</b> replicas (none in sync:
/// everything is reached). A replica leaves the in-sync set here (<see cref="SetInSync"/>) before the writes waiting
/// for it are released, which is the order the design requires (docs/replication.md).
/// </para>
/// <para>
/// Releasing: an acknowledgement usually covers the held replies of many connections at once. They are resumed
/// together on the thread that reported it, after the locks are left (<see cref="WaiterWakeup"/>, as the log does after
/// an fsync): a held reply's continuation is its connection's flush, which sends right there. Completing each waiter
/// asynchronously queued one thread-pool work item, and often woke a worker, per waiting connection per acknowledgement
/// (docs/replication.md, "What a replicated write costs").
/// </para>
/// </remarks>
internal sealed class ReplicationStream : IOutputBarrier, IDisposable
{
    /// <summary>64 MiB: a few seconds of heavy write traffic; a replica further behind than that is resynchronized instead.</summary>
    public const int BacklogLimit = 64 << 20;

    // 256 KiB first; grows by doubling while cursors lag, shrinks back when they catch up (see Compact).
    private const int InitialBufferSize = 256 * 1024;

    [ThreadStatic]
    private static ReplicationStream? t_markStream;

    [ThreadStatic]
    private static long t_mark;

    private readonly Lock _sync = new();
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    private int _length;
    private long _base;
    private long _appended;
    private readonly List<StreamCursor> _cursors = [];

    private readonly Lock _ackLock = new();
    private readonly List<ReplicaProgress> _replicas = [];
    private readonly List<DurabilityWaiter> _waiters = []; // the log's pooled waiter: the same wait for a position
    private readonly WaiterWakeup _released = new(); // waiters an acknowledgement covers, resumed after _ackLock is left
    private long _acknowledged = long.MaxValue;
    private bool _stopped;
    private long _abandonedThrough; // replies waiting for a position up to here are failed (see Abandon); under _ackLock
    private int _rangesLost; // how many states took ranges from this node that it did not hand over (AbandonForLostRanges)

    /// <summary>The stream position after the last record appended.</summary>
    public long AppendedPosition => Volatile.Read(ref _appended);

    /// <summary>The position every in-sync replica has acknowledged (<see cref="long.MaxValue"/> when none is in sync).</summary>
    public long AcknowledgedPosition => Volatile.Read(ref _acknowledged);

    public long AppendPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expiresAt, EntryType type = EntryType.String)
    {
        long end;
        lock (_sync)
        {
            StreamRecords.WritePut(Reserve(StreamRecords.PutSize(key.Length, value.Length)), key, value, expiresAt, type);
            end = Commit(StreamRecords.PutSize(key.Length, value.Length));
        }
        Mark(end);
        return end;
    }

    public long AppendPutVersioned(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryType type, long expiresAt, ulong version)
    {
        var size = StreamRecords.PutVersionedSize(key.Length, value.Length);
        long end;
        lock (_sync)
        {
            StreamRecords.WritePutVersioned(Reserve(size), key, value, expiresAt, type, version);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>Appends a change record: <paramref name="plan"/>'s delta (inserted bytes from <paramref name="next"/>) of the value at <paramref name="baseVersion"/>.</summary>
    public long AppendChange(ReadOnlySpan<byte> key, ulong baseVersion, ulong version, in DeltaPlan plan, ReadOnlySpan<byte> next)
    {
        var size = StreamRecords.ChangeSize(key.Length, plan.EncodedSize);
        long end;
        lock (_sync)
        {
            StreamRecords.WriteChange(Reserve(size), key, baseVersion, version, plan, next);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>Appends an expiry change of the value at <paramref name="baseVersion"/>, giving <paramref name="version"/>.</summary>
    public long AppendExpireChange(ReadOnlySpan<byte> key, long expiresAt, ulong baseVersion, ulong version)
    {
        var size = StreamRecords.ExpireChangeSize(key.Length);
        long end;
        lock (_sync)
        {
            StreamRecords.WriteExpireChange(Reserve(size), key, expiresAt, baseVersion, version);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    public long AppendExpire(ReadOnlySpan<byte> key, long expiresAt)
    {
        long end;
        lock (_sync)
        {
            StreamRecords.WriteExpire(Reserve(StreamRecords.ExpireSize(key.Length)), key, expiresAt);
            end = Commit(StreamRecords.ExpireSize(key.Length));
        }
        Mark(end);
        return end;
    }

    public long AppendDelete(ReadOnlySpan<byte> key)
    {
        long end;
        lock (_sync)
        {
            StreamRecords.WriteDelete(Reserve(StreamRecords.DeleteSize(key.Length)), key);
            end = Commit(StreamRecords.DeleteSize(key.Length));
        }
        Mark(end);
        return end;
    }

    /// <summary>Appends a transaction record (a participant's prepared part or its end) for every replica of this node.</summary>
    public long AppendTxn(ReadOnlySpan<byte> body)
    {
        long end;
        lock (_sync)
        {
            StreamRecords.WriteTxn(Reserve(StreamRecords.TxnSize(body.Length)), body);
            end = Commit(StreamRecords.TxnSize(body.Length));
        }
        Mark(end);
        return end;
    }

    /// <summary>Appends the removal of every key (FLUSHALL): each replica removes the keys of the ranges it copies from this primary.</summary>
    public long AppendClear()
    {
        long end;
        lock (_sync)
        {
            Reserve(StreamRecords.ClearSize)[0] = StreamRecords.KindClear;
            end = Commit(StreamRecords.ClearSize);
        }
        Mark(end);
        return end;
    }

    /// <summary>The highest position this thread appended to this stream since the last call (0 when none), and forgets it.</summary>
    /// <remarks>The same contract as <see cref="Storage.Durability.WriteAheadLog.TakeThreadMark"/>.</remarks>
    public long TakeThreadMark()
    {
        if (!ReferenceEquals(t_markStream, this))
            return 0;
        t_markStream = null;
        var mark = t_mark;
        t_mark = 0;
        return mark;
    }

    /// <summary>A reader that starts at the current end of the stream: what is appended from now on stays until it has read it.</summary>
    /// <param name="wakeup">Set after each append from now on (and when the stream stops): the reader's way to wait for records.</param>
    public StreamCursor OpenCursor(SenderWakeup? wakeup = null)
    {
        lock (_sync)
        {
            var cursor = new StreamCursor(this, _appended, wakeup);
            _cursors.Add(cursor);
            return cursor;
        }
    }

    /// <summary>
    /// Copies whole records from the cursor's position into <paramref name="into"/>, up to about <paramref name="maxBytes"/>
    /// (at least one record), and moves the cursor past them; returns the stream position after what was copied.
    /// </summary>
    /// <returns>False when the cursor was overrun (it fell <see cref="BacklogLimit"/> behind) or closed: its sender must resynchronize.</returns>
    public bool TryRead(StreamCursor cursor, int maxBytes, ArrayBufferWriter<byte> into, out long end)
    {
        lock (_sync)
        {
            end = cursor.Position;
            if (cursor.Overrun || !_cursors.Contains(cursor))
                return false;
            var from = (int)(cursor.Position - _base);
            var available = _buffer.AsSpan(from, _length - from);
            var taken = 0;
            while (taken < available.Length && (taken == 0 || taken < maxBytes))
            {
                if (!StreamRecords.TryRead(available[taken..], out _, out _, out _, out _, out var size))
                    throw new InvalidOperationException("the replication stream holds a malformed record"); // our own encoding: a bug, not input
                taken += size;
            }
            available[..taken].CopyTo(into.GetSpan(taken));
            into.Advance(taken);
            cursor.Position += taken;
            end = cursor.Position;
            Compact();
            return true;
        }
    }

    /// <summary>Stops keeping records for <paramref name="cursor"/>.</summary>
    public void CloseCursor(StreamCursor cursor)
    {
        lock (_sync)
        {
            _cursors.Remove(cursor);
            Compact();
        }
    }

    /// <summary>Starts tracking a replica's acknowledgements (out of sync until <see cref="SetInSync"/>).</summary>
    public void AddReplica(ushort nodeId)
    {
        lock (_ackLock)
        {
            if (Find(nodeId) is null)
                _replicas.Add(new ReplicaProgress(nodeId));
        }
    }

    /// <summary>The replica has applied (and made durable) everything up to <paramref name="position"/>.</summary>
    public void Acknowledge(ushort nodeId, long position)
    {
        lock (_ackLock)
        {
            var replica = Find(nodeId);
            if (replica is null || position <= replica.Acknowledged)
                return;
            replica.Acknowledged = position;
            if (replica.InSync)
                Recompute();
        }
        _released.RunHere();
    }

    /// <summary>
    /// Puts a replica in or out of the in-sync set. Out: the writes that were waiting for it are released after this
    /// returns, never before. In: from now on every reply waits for it too.
    /// </summary>
    public void SetInSync(ushort nodeId, bool inSync, long acknowledged = 0, string? reason = null)
    {
        lock (_ackLock)
        {
            var replica = Find(nodeId);
            if (replica is null || replica.InSync == inSync)
                return;
            replica.InSync = inSync;
            if (!inSync)
            {
                replica.LastOutOfSyncReason = reason;
                replica.TimesOutOfSync++;
            }
            if (inSync)
                replica.Acknowledged = Math.Max(replica.Acknowledged, acknowledged);
            Recompute();
        }
        _released.RunHere();
    }

    /// <summary>Whether a replica is in the in-sync set now.</summary>
    public bool IsInSync(ushort nodeId)
    {
        lock (_ackLock)
            return Find(nodeId)?.InSync ?? false;
    }

    /// <summary>Whether a replica is in the in-sync set now and has acknowledged everything up to <paramref name="position"/>.</summary>
    public bool HasAcknowledged(ushort nodeId, long position)
    {
        lock (_ackLock)
            return Find(nodeId) is { InSync: true } replica && replica.Acknowledged >= position;
    }

    /// <summary>How many times a replica left the in-sync set.</summary>
    public int TimesOutOfSync(ushort nodeId)
    {
        lock (_ackLock)
            return Find(nodeId)?.TimesOutOfSync ?? 0;
    }

    /// <summary>Why a replica last left the in-sync set (null if it never did).</summary>
    public string? LastOutOfSyncReason(ushort nodeId)
    {
        lock (_ackLock)
            return Find(nodeId)?.LastOutOfSyncReason;
    }

    /// <summary>The replicas in the in-sync set now, in the order they were added.</summary>
    public ushort[] InSyncReplicas()
    {
        lock (_ackLock)
        {
            var result = new List<ushort>();
            foreach (var r in _replicas)
            {
                if (r.InSync)
                    result.Add(r.NodeId);
            }
            return [.. result];
        }
    }

    public bool IsReached(long mark) => Volatile.Read(ref _acknowledged) >= mark;

    // A replica that stops acknowledging leaves the in-sync set after the replica timeout, which releases the wait.
    ValueTask<bool> IOutputBarrier.WaitAsync(long mark, bool giveUpOnFailure) => WaitAsync(mark);

    /// <summary>Completes with true once every in-sync replica acknowledged <paramref name="mark"/>, with false if the stream stops first.</summary>
    public ValueTask<bool> WaitAsync(long mark)
    {
        if (Volatile.Read(ref _acknowledged) >= mark)
            return new ValueTask<bool>(true);
        DurabilityWaiter waiter;
        lock (_ackLock)
        {
            if (_acknowledged >= mark)
                return new ValueTask<bool>(true);
            if (_stopped || mark <= _abandonedThrough)
                return new ValueTask<bool>(false);
            waiter = DurabilityWaiter.Rent(mark);
            _waiters.Add(waiter);
        }
        return waiter.AsValueTask();
    }

    /// <summary>
    /// Fails every reply waiting now, and every later wait for a position appended so far, unless the in-sync replicas
    /// acknowledge it first: this node lost the ranges of a replica it still counts in sync (a failover), so that
    /// replica's acknowledgements will never come, and the replies must not be sent either (the new primary decides what
    /// the writes became). Each held connection is dropped, which tells its client the outcome is unknown.
    /// </summary>
    /// <remarks>
    /// Without this the held replies waited for ever: a client of the old primary was never answered (a 60 MB SET that
    /// got its primary failed over, docs/known-issues.md). Later writes (a straggler that passed its ownership check
    /// before the new state was installed) are covered by the next call: the sender calls it on every turn of its retry
    /// loop while it stays demoted.
    /// </remarks>
    public void Abandon()
    {
        lock (_ackLock)
            AbandonLocked();
    }

    private void AbandonLocked()
    {
        _abandonedThrough = Math.Max(_abandonedThrough, Volatile.Read(ref _appended));
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            var waiter = _waiters[i];
            if (waiter.Target > _abandonedThrough)
                continue;
            _waiters[i] = _waiters[^1];
            _waiters.RemoveAt(_waiters.Count - 1);
            waiter.Complete(_acknowledged >= waiter.Target);
        }
    }

    /// <summary>How many times <see cref="AbandonForLostRanges"/> was called (for tests and diagnostics; no sender reads it).</summary>
    public int RangesLost => Volatile.Read(ref _rangesLost);

    /// <summary>
    /// A state that takes ranges from this node that it did not hand over (its replicas were promoted while it was
    /// silent) is about to be installed: every reply waiting now, and every later wait for a position appended so far, is
    /// failed as in <see cref="Abandon"/> (outcome unknown), even though this node may keep other ranges. Returns how
    /// many waiting replies were failed.
    /// </summary>
    /// <remarks>
    /// A write to a lost range that is still waiting has not been acknowledged by every in-sync replica, so the new
    /// primary may lack it; the replicas it waits for leave the in-sync set soon (the state no longer lists them for
    /// this node), and without this their leaving released it as acknowledged (docs/known-issues.md, "Fixed since the
    /// audit"). The stream cannot tell a waiting write's range, so the writes of the ranges kept are failed too: a
    /// truthful answer (they are applied here and the outcome is unknown to the client), and rare (a promotion away from
    /// a live node needs it silent for a whole failover timeout, without a lease, so it took no new writes meanwhile).
    /// </remarks>
    public int AbandonForLostRanges()
    {
        Interlocked.Increment(ref _rangesLost);
        lock (_ackLock)
        {
            var waiting = _waiters.Count;
            AbandonLocked();
            return waiting - _waiters.Count;
        }
    }

    /// <summary>Fails every waiting reply (the node is stopping: what they acknowledge may not have reached the replicas).</summary>
    public void Dispose()
    {
        lock (_ackLock)
        {
            _stopped = true;
            foreach (var waiter in _waiters)
                waiter.Complete(_acknowledged >= waiter.Target);
            _waiters.Clear();
        }
        lock (_sync)
        {
            foreach (var cursor in _cursors)
                cursor.Wakeup?.Set();
            _cursors.Clear();
        }
    }

    private ReplicaProgress? Find(ushort nodeId)
    {
        foreach (var r in _replicas)
        {
            if (r.NodeId == nodeId)
                return r;
        }
        return null;
    }

    /// <summary>
    /// Under <c>_ackLock</c>: the barrier's position is the lowest acknowledgement of an in-sync replica; the waiters it
    /// covers move to <see cref="_released"/>, which the caller resumes once it left the lock.
    /// </summary>
    private void Recompute()
    {
        var lowest = long.MaxValue;
        foreach (var r in _replicas)
        {
            if (r.InSync && r.Acknowledged < lowest)
                lowest = r.Acknowledged;
        }
        Volatile.Write(ref _acknowledged, lowest);
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            var waiter = _waiters[i];
            if (waiter.Target > lowest)
                continue;
            _waiters[i] = _waiters[^1];
            _waiters.RemoveAt(_waiters.Count - 1);
            _released.Add(waiter);
        }
    }

    private void Mark(long end)
    {
        t_markStream = this;
        t_mark = end;
    }

    /// <summary>Under <c>_sync</c>: room for <paramref name="size"/> bytes at the end of the buffer.</summary>
    private Span<byte> Reserve(int size)
    {
        if (_cursors.Count == 0)
        {
            // Nobody reads: nothing needs keeping. The position still advances, so later cursors start after it.
            _base += _length;
            _length = 0;
        }
        else if (_length + size > BacklogLimit)
        {
            OverrunSlowest();
        }
        var needed = _length + size;
        if (needed > _buffer.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }
        return _buffer.AsSpan(_length, size);
    }

    /// <summary>Under <c>_sync</c>: makes the reserved record part of the stream and wakes a sender that waits for one.</summary>
    private long Commit(int size)
    {
        _length += size;
        var end = _appended + size;
        Volatile.Write(ref _appended, end);
        // One read per cursor while its sender is busy or already woken; a sender's continuation runs on the thread
        // pool, never here under the lock and a key's write gate.
        foreach (var cursor in _cursors)
            cursor.Wakeup?.Set();
        return end;
    }

    /// <summary>Under <c>_sync</c>: the backlog is full: the cursor furthest behind is overrun and the records only it needed are dropped.</summary>
    private void OverrunSlowest()
    {
        StreamCursor? slowest = null;
        foreach (var c in _cursors)
        {
            if (slowest is null || c.Position < slowest.Position)
                slowest = c;
        }
        if (slowest is null)
            return;
        slowest.Overrun = true;
        _cursors.Remove(slowest);
        Compact();
    }

    /// <summary>Under <c>_sync</c>: drops the records every cursor has read.</summary>
    private void Compact()
    {
        var keepFrom = _appended;
        foreach (var c in _cursors)
        {
            if (c.Position < keepFrom)
                keepFrom = c.Position;
        }
        var drop = (int)(keepFrom - _base);
        if (drop <= 0)
            return;
        // Moving the kept bytes costs a copy of what lags; done only when at least half the buffer is dead, so each
        // byte is moved a bounded number of times on average.
        if (drop < _length && drop < _buffer.Length / 2)
            return;
        _buffer.AsSpan(drop, _length - drop).CopyTo(_buffer);
        _length -= drop;
        _base = keepFrom;
    }

    /// <summary>What the stream knows of one replica.</summary>
    private sealed class ReplicaProgress(ushort nodeId)
    {
        public ushort NodeId { get; } = nodeId;

        public long Acknowledged { get; set; }

        public bool InSync { get; set; }

        public string? LastOutOfSyncReason { get; set; }

        public int TimesOutOfSync { get; set; }
    }
}
