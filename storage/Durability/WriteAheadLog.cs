using System.Buffers;
using System.Diagnostics;
using FastDht.Storage.Durability.Internal;
using Microsoft.Win32.SafeHandles;

namespace FastDht.Storage.Durability;

/// <summary>
/// The write-ahead log of a node's keyspace: every change is appended here before it is acknowledged, and replayed
/// into the store when the node starts again. Appends are memory copies; one background thread writes and fsyncs.
/// </summary>
/// <remarks>
/// <para>
/// Requirements: an append must never touch the disk (it runs on a connection's read loop, under a key's write
/// gate); a reply must be able to wait, without blocking a thread and without allocating, until its record is
/// durable in the sense of <see cref="FsyncPolicy"/>; with many clients one fsync must cover every record written
/// meanwhile (group commit), so throughput grows with concurrency instead of being one fsync per write.
/// </para>
/// <para>
/// Design: appends copy the encoded record into the active buffer under <c>_sync</c> and return the log position
/// after it. A write round swaps the active buffer for the spare one and writes it with one positional write
/// (WriteAheadLog.Flush.cs). Under <see cref="FsyncPolicy.Always"/> the flush thread does every round and fsyncs it
/// before publishing the new durable position and completing the waiters it covers; while it writes and fsyncs, new
/// appends fill the other buffer: that is the group commit, and the batch grows by itself to whatever arrived during
/// one fsync; when the last fsync answered several writers, a round waits briefly until as many are in again
/// (<see cref="WriteAheadLogOptions.GroupCommitDelay"/>), so their records share one fsync. Under
/// <see cref="FsyncPolicy.EverySec"/> and <see cref="FsyncPolicy.No"/> a reply needs its record in the operating system only, so the thread about to send it writes the round itself (one write covers every record
/// appended meanwhile, by any connection) and the flush thread fsyncs once a second (everysec) outside the write gate.
/// </para>
/// <para>
/// Hand-written rather than Microsoft.FASTER.Core's FasterLog: this is the product's hot path, and the measurement in
/// docs/benchmarks.md (benchmarks/Durability) decided it; the log also needs exactly this record format for its
/// torn-tail and corruption rules, and waits that allocate nothing.
/// </para>
/// <para>
/// Disk full: the open segment's space is reserved when it is made, so only the next segment can meet a full disk, and
/// it is made ahead, once the current one is half full. When it cannot be made, <see cref="IsWritable"/> turns false at
/// once (the keyspace refuses new writes with a clear error, nothing changed; reads go on) while the current segment
/// still has room (about half of it): the writes already accepted are written into it and acknowledged as usual. The next
/// segment is tried again every <see cref="WriteAheadLogOptions.RetryInterval"/>; once it is made, writes resume.
/// </para>
/// <para>
/// Failure of a write or an fsync (an I/O error, a record that outgrew the reserved room): the failed round is kept and
/// retried every <see cref="WriteAheadLogOptions.RetryInterval"/> at the same offset, so nothing appended is lost (it
/// is in the store already, and is logged once the disk takes it); <see cref="IsWritable"/> is false meanwhile. A
/// client's reply waiting for such a record gives up at once (<see cref="WhenDurableForSendAsync"/>: its connection is
/// closed, the outcome unknown to it, never reported as durable); other waits (a peer's, a transaction's decision) wait
/// until the disk takes the round. When it does, the backlog is written, the waiters complete and writes resume.
/// </para>
/// </remarks>
public sealed partial class WriteAheadLog : IDisposable
{
    // 256 KiB: a few thousand small records per buffer before it grows; a flush round rarely holds more.
    private const int InitialBufferSize = 256 * 1024;

    [ThreadStatic]
    private static WriteAheadLog? t_markLog;

    [ThreadStatic]
    private static long t_mark;

    private readonly WriteAheadLogOptions _options;
    private readonly ReplayTally _replay = new(); // what recovery met: the highest version, the change records it skipped

    // Appends and the flush thread's buffer swap; a Monitor (not System.Threading.Lock) because the flush thread waits on it.
    private readonly object _sync = new();
    private byte[] _active = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    private byte[] _spare = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    private int _activeLength;
    private long _appended;
    private bool _flusherIdle;
    private bool _closing;

    private long _durable;
    private volatile Exception? _failure;

    // The next segment cannot be made (disk full): writes are refused while the current segment holds those in flight.
    // Set and cleared under _writeGate by the preparer's report (OnNextSegmentReported, applied on a pool thread); rounds
    // still go on.
    private volatile Exception? _reserveFailure;

    // The preparer's report not yet applied (the latest wins), taken under _writeGate by ApplyReserveReport.
    private ReserveReport? _reserveReport;

    // Under _writeGate: what HealthChanged last reported (null: healthy).
    private Exception? _reportedHealth;

    // Statistics: each counted where it happens, under the lock that place already holds (or interlocked).
    private long _records;
    private long _writeRounds;
    private long _fsyncs;
    private long _waits;
    private long _wakeBatches;
    private long _holds;
    private long _heldTicks;

    private readonly Lock _waitLock = new();
    private readonly List<DurabilityWaiter> _waiters = [];

    // _waiters.Count, readable without _waitLock.
    private int _waiting;

    // The group commit's hold: the flush thread sleeps on it until _holdFor waits are registered (both under _waitLock).
    private readonly HoldSignal _hold = new();
    private int _holdFor;

    // Under _writeGate (read by the flush thread): how many waits the last fsync answered (the writers in flight that a hold waits for).
    private int _lastWoken;

    // Under _writeGate, like _lastWoken: whether records of another group of writers were already appended when the
    // last round was published (two groups in flight: the next round starts at once, see HoldForWritersInFlight).
    private bool _lastHadNextGroup;
    private readonly WaiterWakeup _wakeup = new();

    // Under Always: the finished waits of connections' held flushes, resumed by the flush thread itself.
    private readonly WaiterWakeup _wakeupHere = new();
    private readonly DeferredWrite _deferredWrite;

    // Zeroes the next segment ahead on its own thread (and cuts closed ones back): rotation never writes the zeros.
    private readonly SegmentPreparer _preparer;
    private readonly Func<bool> _workQueued;
    private bool _stopped;

    private readonly ManualResetEventSlim _closingSignal = new();
    private readonly Thread _flusher;
    // Replaced (under _writeGate, by the flush thread) when the log begins again in a restored data directory.
    private SafeFileHandle _lockFile;

    /// <summary>The log position after the last record appended.</summary>
    public long AppendedPosition => Volatile.Read(ref _appended);

    /// <summary>The log position up to which records are durable (fsynced under Always; written to the operating system otherwise).</summary>
    public long DurablePosition => Volatile.Read(ref _durable);

    /// <summary>
    /// The log position up to which records are on the disk itself (fsynced): what a power loss or kernel crash keeps
    /// at least. Equals <see cref="DurablePosition"/> under <see cref="FsyncPolicy.Always"/>; under
    /// <see cref="FsyncPolicy.EverySec"/> it trails it by about a second at most.
    /// </summary>
    public long SyncedPosition => Volatile.Read(ref _synced);

    /// <summary>
    /// False while the disk refuses writes, or has no room for the next segment (or after the log closed): callers must
    /// refuse new writes before changing anything.
    /// </summary>
    public bool IsWritable => _failure is null && _reserveFailure is null && !Volatile.Read(ref _closing);

    /// <summary>The error that makes the log unwritable right now, if any.</summary>
    public Exception? Failure => _failure ?? _reserveFailure;

    /// <summary>The folder of the segment files.</summary>
    public string Directory => _options.Directory;

    /// <summary>The fsync policy in force.</summary>
    public FsyncPolicy Fsync => _options.Fsync;

    /// <summary>What the log did since it opened: records, write rounds, fsyncs, replies that waited for one.</summary>
    public WriteAheadLogStatistics Statistics => new(
        Volatile.Read(ref _records),
        Volatile.Read(ref _writeRounds),
        Volatile.Read(ref _fsyncs),
        Volatile.Read(ref _waits),
        Volatile.Read(ref _wakeBatches),
        Volatile.Read(ref _holds),
        Volatile.Read(ref _heldTicks) * 1_000_000 / Stopwatch.Frequency);

    /// <summary>Appends an upsert of <paramref name="key"/>; returns the log position after it.</summary>
    public long AppendPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var size = LogFormat.RecordHeaderSize + LogFormat.PutPayloadSize(key.Length, value.Length);
        long end;
        lock (_sync)
        {
            LogFormat.WritePut(Reserve(size), key, value);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>Appends an upsert of <paramref name="key"/> whose value expires at <paramref name="expiresAt"/> (unix ms); returns the log position after it.</summary>
    public long AppendPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expiresAt)
    {
        if (expiresAt == 0)
            return AppendPut(key, value);
        var size = LogFormat.RecordHeaderSize + LogFormat.PutPayloadSize(key.Length, value.Length) + 8;
        long end;
        lock (_sync)
        {
            LogFormat.WritePutExpiring(Reserve(size), key, value, expiresAt);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>Appends an upsert of a collection: its encoded value, its <paramref name="type"/> and its expiry (0: none); returns the log position after it.</summary>
    public long AppendPutTyped(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryType type, long expiresAt)
    {
        if (type == EntryType.String)
            return AppendPut(key, value, expiresAt);
        var size = LogFormat.RecordHeaderSize + LogFormat.PutTypedPayloadSize(key.Length, value.Length);
        long end;
        lock (_sync)
        {
            LogFormat.WritePutTyped(Reserve(size), key, value, type, expiresAt);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>
    /// Appends an upsert of a value of any type with its expiry (0: none) and its version: the base a later change record
    /// names (<see cref="AppendChange"/>). Returns the log position after it.
    /// </summary>
    public long AppendPutVersioned(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryType type, long expiresAt, ulong version)
    {
        var size = LogFormat.RecordHeaderSize + LogFormat.PutVersionedPayloadSize(key.Length, value.Length);
        long end;
        lock (_sync)
        {
            LogFormat.WritePutVersioned(Reserve(size), key, value, type, expiresAt, version);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>
    /// Appends a change of <paramref name="key"/>'s value: <paramref name="plan"/>'s delta (inserted bytes taken from
    /// <paramref name="next"/>, the new value) of the value whose version is <paramref name="baseVersion"/>, giving
    /// <paramref name="version"/>; the type and expiry stay. Recovery applies it only to that base (see
    /// <see cref="ValueDelta"/>). Returns the log position after it.
    /// </summary>
    public long AppendChange(ReadOnlySpan<byte> key, ulong baseVersion, ulong version, in DeltaPlan plan, ReadOnlySpan<byte> next)
    {
        var size = LogFormat.RecordHeaderSize + LogFormat.ChangePayloadSize(key.Length, plan.EncodedSize);
        long end;
        lock (_sync)
        {
            LogFormat.WriteChange(Reserve(size), key, baseVersion, version, plan, next);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>
    /// Appends a change of the expiry of <paramref name="key"/>'s value whose version is <paramref name="baseVersion"/>
    /// (0: it no longer expires), giving <paramref name="version"/>; recovery applies it only to that value, as a change
    /// record. Returns the log position after it.
    /// </summary>
    public long AppendExpireChange(ReadOnlySpan<byte> key, long expiresAt, ulong baseVersion, ulong version)
    {
        var size = LogFormat.RecordHeaderSize + LogFormat.ExpireChangePayloadSize(key.Length);
        long end;
        lock (_sync)
        {
            LogFormat.WriteExpireChange(Reserve(size), key, expiresAt, baseVersion, version);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>Appends a change of <paramref name="key"/>'s expiry (0: it no longer expires); returns the log position after it.</summary>
    public long AppendExpire(ReadOnlySpan<byte> key, long expiresAt)
    {
        var size = LogFormat.RecordHeaderSize + LogFormat.DeletePayloadSize(key.Length) + 8;
        long end;
        lock (_sync)
        {
            LogFormat.WriteExpire(Reserve(size), key, expiresAt);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>Appends a removal of <paramref name="key"/>; returns the log position after it.</summary>
    public long AppendDelete(ReadOnlySpan<byte> key)
    {
        var size = LogFormat.RecordHeaderSize + LogFormat.DeletePayloadSize(key.Length);
        long end;
        lock (_sync)
        {
            LogFormat.WriteDelete(Reserve(size), key);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>
    /// Appends a record of the log's user's own (not a change of the store: a transaction decision, say); it is handed
    /// back to <see cref="WriteAheadLogOptions.ApplicationRecord"/> at recovery. Returns the log position after it.
    /// </summary>
    public long AppendApplication(ReadOnlySpan<byte> body)
    {
        var size = LogFormat.RecordHeaderSize + 1 + body.Length;
        long end;
        lock (_sync)
        {
            var record = Reserve(size);
            var payload = record[LogFormat.RecordHeaderSize..];
            payload[0] = LogFormat.KindApplication;
            body.CopyTo(payload[1..]);
            LogFormat.WriteHeader(record, payload);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>Appends the removal of every key (FLUSHALL); returns the log position after it.</summary>
    /// <remarks>The caller holds every key's write gate meanwhile, so no other write lands between this record and the clear it logs.</remarks>
    public long AppendClear()
    {
        var size = LogFormat.RecordHeaderSize + 1;
        long end;
        lock (_sync)
        {
            LogFormat.WriteClear(Reserve(size));
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>Appends a transaction's writes as one record (replayed whole or not at all); returns the log position after it.</summary>
    public long Append(LogBatch batch)
    {
        var payload = batch.Payload;
        var size = LogFormat.RecordHeaderSize + payload.Length;
        long end;
        lock (_sync)
        {
            var record = Reserve(size);
            payload.CopyTo(record[LogFormat.RecordHeaderSize..]);
            LogFormat.WriteHeader(record, payload);
            end = Commit(size);
        }
        Mark(end);
        return end;
    }

    /// <summary>
    /// The highest position this thread appended to this log since the last call (0 when none), and forgets it.
    /// </summary>
    /// <remarks>
    /// How a session learns which position its replies must wait for without threading a value through every write
    /// path: appends run synchronously on the thread that executes the command, so right after executing it the
    /// session takes the mark on the same thread. A mark nobody takes is harmless: a later take only waits for a
    /// position that is already, or soon, durable. Marks of another log (another node in the same process) are ignored.
    /// </remarks>
    public long TakeThreadMark()
    {
        if (!ReferenceEquals(t_markLog, this))
            return 0;
        t_markLog = null;
        var mark = t_mark;
        t_mark = 0;
        return mark;
    }

    /// <summary>Whether everything up to <paramref name="position"/> is durable.</summary>
    public bool IsDurable(long position) => Volatile.Read(ref _durable) >= position;

    /// <summary>
    /// Completes with true once everything up to <paramref name="position"/> is durable, with false if the log closes
    /// first. Never waits for the disk on the calling thread (under everysec and no it may write the pending records to
    /// the operating system first, see <see cref="TryMakeDurable"/>); allocates nothing in steady state (pooled waiters).
    /// </summary>
    public ValueTask<bool> WhenDurableAsync(long position) => WhenDurable(position, resumeOnFlushThread: false, giveUpOnFailure: false);

    /// <summary>
    /// <see cref="WhenDurableAsync"/> for a connection's held flush (the engine's <c>ReplyGuard</c>): under
    /// <see cref="FsyncPolicy.Always"/> its continuation runs on the flush thread right after the fsync that covers
    /// the position, so the replies leave without a hop to the thread pool (<see cref="ResumeOnFlushThread"/>). The
    /// continuation must never block: it is the transport's send and the session's read loop, which run on the socket
    /// event thread otherwise and never block there either.
    /// </summary>
    /// <remarks>
    /// With <paramref name="giveUpOnFailure"/> (a client's replies) the wait completes with false as soon as a write
    /// or an fsync of the log fails before the position is durable, and at once while it is failing: the reply must
    /// not claim durability, and a client must not wait for a disk that may never come back (a hang, to the client).
    /// The record stays in the log's pending round and is written when the disk takes it.
    /// </remarks>
    internal ValueTask<bool> WhenDurableForSendAsync(long position, bool giveUpOnFailure = false) =>
        WhenDurable(position, resumeOnFlushThread: true, giveUpOnFailure);

    private ValueTask<bool> WhenDurable(long position, bool resumeOnFlushThread, bool giveUpOnFailure)
    {
        if (TryMakeDurable(position))
            return new ValueTask<bool>(true);
        DurabilityWaiter waiter;
        bool wakeHold;
        lock (_waitLock)
        {
            if (Volatile.Read(ref _durable) >= position)
                return new ValueTask<bool>(true);
            if (_stopped || (giveUpOnFailure && _failure is not null))
                return new ValueTask<bool>(false);
            waiter = DurabilityWaiter.Rent(position, resumeOnFlushThread, giveUpOnFailure);
            _waiters.Add(waiter);
            _waiting = _waiters.Count;
            _waits++;
            // The flush thread holds its round for the writers in flight: this one may be the last it waits for.
            wakeHold = _hold.IsRaised && _waiting >= _holdFor && _hold.TryLower();
        }
        if (wakeHold)
            _hold.Wake();
        // Under Always every append already woke the flush thread; otherwise nobody may be writing this record yet, unless
        // a deferred write is queued (it is, if TryMakeDurable just deferred; one that ran meanwhile covered the record).
        if (_options.Fsync != FsyncPolicy.Always && !_deferredWrite.IsScheduled)
            WakeFlusher();
        return waiter.AsValueTask();
    }

    /// <summary>Writes and fsyncs what was appended, stops the flush thread and closes the files; waiters still pending then get false.</summary>
    /// <remarks>
    /// Called from a continuation the flush thread resumes (<see cref="ResumeOnFlushThread"/>), the closing runs on a
    /// thread of its own and this returns at once: the flush thread cannot wait for itself to end.
    /// </remarks>
    public void Dispose()
    {
        if (Thread.CurrentThread == _flusher)
        {
            new Thread(Dispose) { IsBackground = true, Name = "FastDht WAL close" }.Start();
            return;
        }
        lock (_sync)
        {
            if (_closing)
                return;
            _closing = true;
            Monitor.PulseAll(_sync);
        }
        _closingSignal.Set();
        bool wakeHold;
        lock (_waitLock)
            wakeHold = _hold.TryLower();
        if (wakeHold)
            _hold.Wake();
        // The snapshot thread first: a snapshot in progress gives up (its file is deleted) and stops asking the flush thread.
        lock (_snapshotSync)
            Monitor.PulseAll(_snapshotSync);
        _snapshotter.Join();
        _flusher.Join();
        // After the flush thread: its last rotation may still take a segment being prepared.
        _preparer.Dispose();
        // A caller may have written a round after the flush thread's last fsync.
        SyncWrittenAtClose();
        CloseSegment();
        _lockFile.Dispose();
        lock (_waitLock)
        {
            _stopped = true;
            foreach (var waiter in _waiters)
                waiter.Complete(Volatile.Read(ref _durable) >= waiter.Target);
            _waiters.Clear();
        }
        ArrayPool<byte>.Shared.Return(_active);
        ArrayPool<byte>.Shared.Return(_spare);
        _active = _spare = [];
    }

    private void Mark(long end)
    {
        t_markLog = this;
        t_mark = end;
    }

    /// <summary>Under <c>_sync</c>: room for <paramref name="size"/> bytes at the end of the active buffer.</summary>
    private Span<byte> Reserve(int size)
    {
        var needed = _activeLength + size;
        if (needed > _active.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _active.Length * 2));
            _active.AsSpan(0, _activeLength).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_active);
            _active = grown;
        }
        return _active.AsSpan(_activeLength, size);
    }

    /// <summary>
    /// Under <c>_sync</c>: makes the reserved record part of the log; under Always wakes the flush thread if it sleeps
    /// (under everysec and no the caller that waits for the record writes it, see <see cref="TryMakeDurable"/>, and the
    /// flush thread is woken only once a buffer's worth is waiting: appends nobody waits for, a bulk load say, would
    /// otherwise pile up for a whole second, growing the buffer and the round past the segment size).
    /// </summary>
    private long Commit(int size)
    {
        _records++;
        _activeLength += size;
        var end = _appended + size;
        Volatile.Write(ref _appended, end);
        if (_flusherIdle && (_options.Fsync == FsyncPolicy.Always || _activeLength >= InitialBufferSize))
            Monitor.Pulse(_sync);
        return end;
    }

    /// <summary>After the flush thread ended: fsyncs what callers wrote after its last fsync (not under <see cref="FsyncPolicy.No"/>).</summary>
    private void SyncWrittenAtClose()
    {
        lock (_writeGate)
        {
            if (_options.Fsync == FsyncPolicy.No || _segment is null || _written <= Volatile.Read(ref _synced))
                return;
            try
            {
                SyncSegment(_segment);
                Volatile.Write(ref _synced, _written);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Written to the operating system, which still writes it back; what is not synced is what everysec may lose.
            }
        }
    }

    /// <summary>
    /// After a write round (under <c>_writeGate</c>): the durable position moved to <paramref name="durable"/>; the waiters
    /// it covers are resumed together on one thread-pool work item (<see cref="WaiterWakeup"/>); with
    /// <paramref name="resumeHere"/> they are left for the caller to resume once it released the gate
    /// (<see cref="WaiterWakeup.RunHere"/>, a deferred write round); with <paramref name="onFlushThread"/> so are those
    /// waiting for a send (<see cref="WhenDurableForSendAsync"/>), which the flush thread resumes itself
    /// (<see cref="ResumeOnFlushThread"/>), while the others still go to the pool.
    /// </summary>
    private void Publish(long durable, bool resumeHere = false, bool onFlushThread = false)
    {
        Volatile.Write(ref _durable, durable);
        // Only when nothing was appended meanwhile: records waiting for the next fsync mean another group of writers,
        // whose fsync should not wait behind this group's sends (the pool then sends them while the disk works).
        var nextGroup = Volatile.Read(ref _activeLength) != 0;
        onFlushThread &= !nextGroup;
        var woken = 0;
        var pooled = 0;
        lock (_waitLock)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                var waiter = _waiters[i];
                if (waiter.Target > durable)
                    continue;
                _waiters[i] = _waiters[^1];
                _waiters.RemoveAt(_waiters.Count - 1);
                if (onFlushThread && waiter.ResumeOnFlushThread)
                {
                    _wakeupHere.Add(waiter);
                }
                else
                {
                    _wakeup.Add(waiter);
                    pooled++;
                }
                woken++;
            }
            _waiting = _waiters.Count;
            if (woken > 0)
                _wakeBatches++;
        }
        _lastWoken = woken;
        _lastHadNextGroup = nextGroup;
        if (pooled > 0 && !resumeHere)
            _wakeup.Schedule();
    }
}