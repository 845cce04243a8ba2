using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using FastDht.Storage.Durability.Internal;
using Microsoft.Win32.SafeHandles;

namespace FastDht.Storage.Durability;

/// <summary>
/// Writing the log: write rounds (by the flush thread, or under <c>everysec</c>/<c>no</c> by the caller who waits),
/// fsyncs as the policy says, segment rotation, surviving a failing disk.
/// </summary>
/// <remarks>
/// <para>
/// A write round moves the active buffer into the pending one (the spare) and writes it with one positional write at
/// the segment's end. Rounds are serialized by <c>_writeGate</c>; a round that fails keeps its bytes pending, and the
/// next round rewrites exactly them at the same offset before anything newer, so nothing appended is lost or reordered.
/// </para>
/// <para>
/// Who writes: under <see cref="FsyncPolicy.Always"/> only the flush thread, which fsyncs each round before publishing
/// it (group commit). Under <see cref="FsyncPolicy.EverySec"/> and <see cref="FsyncPolicy.No"/> a reply needs its record
/// written to the operating system only, which is a memory copy into the page cache: the thread about to send the reply
/// writes the round itself (<see cref="TryMakeDurable"/>), as Redis writes its AOF buffer in its event loop before
/// replying, instead of waking the flush thread and being woken back (two thread hops per round on a 2-core machine).
/// When other work is queued on the thread pool (connections received meanwhile, about to append too) and the round
/// would be a system call (the segment is not mapped, see <see cref="MapSegment"/>), the caller leaves the write to
/// one round queued behind that work (<see cref="DeferredWrite"/>) and waits for it, so one write covers every reply
/// of that round of connections, as Redis writes its AOF once per event-loop round.
/// The flush thread then only fsyncs once a second (never holding the gate while it does, so a reply never waits for an
/// fsync), writes what nobody waited for, rotates segments, and retries after a failure.
/// </para>
/// </remarks>
public sealed partial class WriteAheadLog
{
    // Serializes write rounds and segment changes; taken before _sync, never the other way round.
    private readonly Lock _writeGate = new();

    // Owned under _writeGate (and by Open before the flush thread starts, Dispose after it ends).
    private SafeFileHandle? _segment;
    private long _segmentOffset;
    private long _written;
    private int _pendingLength;
    private long _pendingEnd;

    // Under everysec and no: the open segment's reserved length mapped into memory (owned like _segment). A round is
    // then a copy into the page cache, where a write(2) would have put it too, without the system call (MapSegment).
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private long _mapped;

    // Set while the flush thread holds the gate for a rotation (fsyncs): callers then wait instead of queueing behind it.
    private volatile bool _rotating;

    // Set (under _writeGate) once the current segment is half full and the next was asked for.
    private bool _nextRequested;

    // Under _writeGate: the open segment's file was deleted (its data directory removed): no round is written or
    // published until the flush thread begins the log again in the restored directory (TryBeginAgain).
    private bool _segmentLost;

    // From the moment the log began again in a restored directory until a snapshot of the store is in it: rounds are
    // written but not published, and writes stay refused, since the records before that point are in memory only.
    private volatile bool _awaitingSnapshot;

    // Under _writeGate: statx's answer (SegmentFile.IsLinked).
    private readonly byte[] _statx = new byte[SegmentFile.StatxSize];

    // Flush thread only.
    private long _lastSyncTicks;

    private long _synced;

    // Set under _sync: a caller waits for records that nobody is writing (non-Always policies); the flush thread writes them.
    private bool _writeWanted;

    /// <summary>A dedicated thread, not the thread pool: fsync blocks for milliseconds, and a pool thread blocked on the disk is one a connection does not get.</summary>
    private Thread StartFlusher()
    {
        var thread = new Thread(FlushLoop) { IsBackground = true, Name = "FastDht WAL flush" };
        thread.Start();
        return thread;
    }

    /// <summary>
    /// Whether everything up to <paramref name="position"/> is durable, making it so first when that needs no disk
    /// flush: under <see cref="FsyncPolicy.EverySec"/> and <see cref="FsyncPolicy.No"/> the pending records are written
    /// to the operating system on this thread (a memory copy; never an fsync), unless the round needs a positional write
    /// (the segment is not mapped) and other work is queued on the thread pool: then one write round is queued after
    /// that work (it covers their records too) and this returns false. False under <see cref="FsyncPolicy.Always"/>
    /// until the flush thread's fsync covers it, and while the disk fails or a segment is being rotated: then wait with
    /// <see cref="WhenDurableAsync"/>.
    /// </summary>
    public bool TryMakeDurable(long position)
    {
        if (Volatile.Read(ref _durable) >= position)
            return true;
        if (_options.Fsync == FsyncPolicy.Always || _failure is not null || _rotating)
            return false;
        // Into a mapped segment a round is a memory copy, not a system call: leaving it to a later round would save
        // nothing and cost a thread hop (the deferred round resumes the replies on a pool thread), as well as counting
        // the pool's queues for every reply. Only rounds that go out with a positional write are deferred.
        if (Volatile.Read(ref _mapped) == 0 && _workQueued())
        {
            // Other connections' work is queued and will likely append too: one write after it covers them all.
            _deferredWrite.Schedule();
            return false;
        }
        lock (_writeGate)
        {
            // Another caller's round may have covered this position while this one queued: group write, no syscall.
            if (Volatile.Read(ref _durable) >= position)
                return true;
            if (_segment is null || _failure is not null)
                return false;
            TryWriteRound(onFlusher: false);
        }
        return Volatile.Read(ref _durable) >= position;
    }

    /// <summary>
    /// The write round <see cref="TryMakeDurable"/> deferred (<see cref="DeferredWrite"/>, on a pool thread): writes what
    /// was appended, then resumes here the replies it made durable (each sends its connection's replies).
    /// </summary>
    internal void WriteDeferred()
    {
        var written = false;
        lock (_writeGate)
        {
            if (_segment is not null && _failure is null)
                written = TryWriteRound(onFlusher: false, resumeHere: true);
        }
        if (!written)
            WakeFlusher(); // closing, failing or rotating: the flush thread takes over the waiters, as for any caller
        _wakeup.RunHere();
    }

    private static bool ThreadPoolHasQueuedWork() => ThreadPool.PendingWorkItemCount > 0;

    private void FlushLoop()
    {
        var always = _options.Fsync == FsyncPolicy.Always;
        _lastSyncTicks = Stopwatch.GetTimestamp();
        while (true)
        {
            bool closing, rotate, sync;
            lock (_sync)
            {
                // Always: woken by every append while idle. Otherwise: by a caller's request, by a full buffer nobody
                // wrote, or once a second to write what nobody waited for and fsync (everysec) everything written.
                while (!_closing && !_rotationWanted && !_syncWanted && !_writeWanted
                    && (always ? _activeLength == 0 : _activeLength < InitialBufferSize && !TickDue()))
                {
                    _flusherIdle = true;
                    Monitor.Wait(_sync, always ? Timeout.Infinite : MillisecondsToTick());
                    _flusherIdle = false;
                }
                closing = _closing;
                rotate = _rotationWanted;
                sync = _syncWanted;
                _rotationWanted = _syncWanted = _writeWanted = false;
            }
            if (always && !closing && !rotate && !sync)
                HoldForWritersInFlight();
            if (!WriteWithRetry(resumeHere: always))
                return; // closing while the disk still fails: what is pending stays undurable, its waiters get false
            if (always)
                ResumeOnFlushThread();
            if (rotate)
                RotateOnRequest();
            if (sync)
                SyncOnRequest();
            if (!always && (closing || TickDue()))
            {
                CheckSegmentLinked();
                TrySync();
            }
            if (closing && Volatile.Read(ref _activeLength) == 0)
                return;
        }
    }

    /// <summary>
    /// On the flush thread under <see cref="FsyncPolicy.Always"/>, before a round: if the last fsync answered several
    /// writers and fewer of them wait again, gives them up to <see cref="WriteAheadLogOptions.GroupCommitDelay"/> to
    /// append, so one fsync covers them all instead of one fsync for the first and another for the rest.
    /// </summary>
    /// <remarks>
    /// Why: the writers an fsync answers come back together (each gets its reply, sends its next write), but spread over
    /// the time the replies take to go out and the requests to come in; starting the next fsync at the first arrival
    /// covered one record and made the rest wait for a second fsync (counted in docs/storage.md, "Group commit"). The
    /// hold ends as soon as as many waits are registered as the last fsync answered (the registration that reaches the
    /// count wakes this thread); a lone writer (the last fsync answered one wait) never waits. Nor does a round whose
    /// records were already waiting when the last fsync ended (two groups in flight): that group formed during the
    /// fsync, and the writers the fsync answered come back during the next one, so holding for them would only leave
    /// the disk idle while they are answered (docs/storage.md, "Holding an fsync"). It sleeps
    /// (<see cref="HoldSignal"/>, a futex with a microsecond timeout) rather than yielding in a loop: on two cores the
    /// loop took a core from the very threads that would append.
    /// </remarks>
    private void HoldForWritersInFlight()
    {
        var expected = _lastWoken;
        var delay = _options.GroupCommitDelay;
        if (expected < 2 || delay <= TimeSpan.Zero || _lastHadNextGroup)
            return;
        lock (_waitLock)
        {
            if (_waiting >= expected || Volatile.Read(ref _closing))
                return;
            _holdFor = expected;
            _hold.Raise();
        }
        var start = Stopwatch.GetTimestamp();
        _hold.Sleep(start + (long)(delay.TotalSeconds * Stopwatch.Frequency));
        lock (_waitLock)
            _hold.TryLower(); // the delay ran out: fewer came back; this thread is the sleeper, nobody to wake
        _holds++;
        _heldTicks += Stopwatch.GetTimestamp() - start;
    }

    private bool TickDue() => Stopwatch.GetElapsedTime(_lastSyncTicks) >= TimeSpan.FromSeconds(1);

    private int MillisecondsToTick() => (int)Math.Clamp(1000 - Stopwatch.GetElapsedTime(_lastSyncTicks).TotalMilliseconds, 1, 1000);

    /// <summary>
    /// On the flush thread, after an fsync under <see cref="FsyncPolicy.Always"/>: resumes the connections' held
    /// flushes it finished right here (each sends its connection's replies), outside every lock of the log, instead
    /// of waking a pool thread to; only when nothing was appended meanwhile (<see cref="Publish"/>).
    /// </summary>
    /// <remarks>
    /// Why: with no other group of writers waiting, the next round cannot start before these writers are answered and
    /// write again (the hold waits for them), so sending their replies first delays no fsync, and it spares the group
    /// commit a thread hop, the pool thread's futex wake-up and its sleep (docs/storage.md, "Group commit"). With
    /// records appended meanwhile the pool sends them while this thread fsyncs the next group: always sending here
    /// measured fewer SET/s (docs/benchmarks.md, ninth session). A continuation only runs transport and session code,
    /// which never blocks (it runs on the socket event thread otherwise); the one call that would wait for this
    /// thread, <see cref="Dispose"/>, hands itself to another thread when made here.
    /// </remarks>
    private void ResumeOnFlushThread() => _wakeupHere.RunHere();

    /// <summary>
    /// On the flush thread: writes everything appended so far (and fsyncs under Always), retrying until it succeeds or
    /// the log closes. With <paramref name="resumeHere"/> the waits it finishes are left to <see cref="ResumeOnFlushThread"/>.
    /// </summary>
    private bool WriteWithRetry(bool resumeHere = false)
    {
        while (true)
        {
            lock (_writeGate)
            {
                if (TryWriteRound(onFlusher: true, onFlushThread: resumeHere))
                    return true;
            }
            if (_closingSignal.Wait(_options.RetryInterval))
                return false;
        }
    }

    /// <summary>
    /// Under <c>_writeGate</c>: writes the pending round (taking the active buffer as the round when none is pending);
    /// true when it is written (or there was nothing to write). A caller that is not the flush thread leaves a round that
    /// needs a new segment, or fails, to the flush thread. With <paramref name="resumeHere"/> the waiters it completes are
    /// left for the caller to resume (<see cref="WaiterWakeup.RunHere"/>) instead of a new work item.
    /// </summary>
    private bool TryWriteRound(bool onFlusher, bool resumeHere = false, bool onFlushThread = false)
    {
        if (_segmentLost && !(onFlusher && TryBeginAgain()))
            return false;
        if (_pendingLength == 0)
        {
            lock (_sync)
            {
                if (_activeLength == 0)
                    return true;
                // The spare buffer is free: no round is pending.
                var round = _active;
                _active = _spare;
                _spare = round;
                _pendingLength = _activeLength;
                _pendingEnd = _appended;
                _activeLength = 0;
            }
        }
        try
        {
            if (_segmentOffset > LogFormat.SegmentHeaderSize && _segmentOffset + _pendingLength > _options.SegmentSize)
            {
                if (!onFlusher)
                {
                    WakeFlusher();
                    return false;
                }
                // A new file is needed: the moment a deleted directory shows (and the next segment cannot be named there).
                if (SegmentDeleted())
                    return false;
                RotateHoldingGate();
            }
            // A retry after a failure rewrites the same bytes at the same offset: a partial earlier write is overwritten.
            if (_segmentOffset + _pendingLength <= _mapped)
                _view!.WriteArray(_segmentOffset, _spare, 0, _pendingLength);
            else
                RandomAccess.Write(_segment!, _spare.AsSpan(0, _pendingLength), _segmentOffset);
            _writeRounds++;
            var end = _pendingEnd;
            if (_options.Fsync == FsyncPolicy.Always)
            {
                SyncSegment(_segment!);
                // Synced into a file nobody can open again is not durable: the round stays pending and unpublished.
                if (SegmentDeleted())
                    return false;
                Volatile.Write(ref _synced, end);
            }
            _segmentOffset += _pendingLength;
            _pendingLength = 0;
            if (!_nextRequested && _segmentOffset >= _options.SegmentSize / 2)
            {
                // Half full: the next segment is zeroed in the background now, so the rotation finds it ready.
                _nextRequested = true;
                _preparer.Request();
            }
            Volatile.Write(ref _written, end);
            Recovered();
            if (!_awaitingSnapshot)
                Publish(end, resumeHere, onFlushThread);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!onFlusher || !SegmentDeleted())
                Failed(e);
            if (!onFlusher)
                WakeFlusher(); // it retries with its back-off
            return false;
        }
    }

    /// <summary>Syncs a segment file's data (fdatasync: <see cref="SegmentFile.SyncData"/>), counted.</summary>
    private void SyncSegment(SafeFileHandle segment)
    {
        SegmentFile.SyncData(segment);
        Interlocked.Increment(ref _fsyncs);
    }

    /// <summary>Asks the flush thread to write what is pending (a caller is waiting for it).</summary>
    private void WakeFlusher()
    {
        lock (_sync)
        {
            _writeWanted = true;
            if (_flusherIdle)
                Monitor.Pulse(_sync);
        }
    }

    /// <summary>
    /// On the flush thread: the once-a-second fsync of <see cref="FsyncPolicy.EverySec"/> (and the last one at close).
    /// Taken outside the gate: writes go on meanwhile; only what was written before it began counts as synced. Only this
    /// thread replaces the segment, so the handle cannot be closed under the fsync.
    /// </summary>
    private void TrySync()
    {
        _lastSyncTicks = Stopwatch.GetTimestamp();
        if (_options.Fsync == FsyncPolicy.No)
            return;
        long target;
        lock (_writeGate)
            target = _written;
        if (target <= Volatile.Read(ref _synced))
            return;
        try
        {
            SyncSegment(_segment!);
            Volatile.Write(ref _synced, target);
            lock (_writeGate)
            {
                if (_pendingLength == 0)
                    Recovered();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Retried on the next tick; new writes are refused meanwhile.
            lock (_writeGate)
                Failed(e);
        }
    }

    /// <summary>Under the gate, on the flush thread: <see cref="Rotate"/>, with callers told to wait rather than queue behind its fsyncs.</summary>
    private void RotateHoldingGate()
    {
        _rotating = true;
        try
        {
            Rotate();
        }
        finally
        {
            _rotating = false;
        }
    }

    /// <summary>
    /// Closes the full segment (synced, whatever the policy: a new segment's records must never reach the disk ahead of
    /// the old one's tail, or a power loss could leave a gap recovery calls corruption) and starts the next at the
    /// current position, in the segment the preparer zeroed ahead (<see cref="SegmentPreparer"/>): here it is only
    /// headed, synced and renamed, so the flush thread never writes the zeros. When none can be prepared (disk full)
    /// this throws: the round fails as any failed write, the log refuses new writes and retries.
    /// </summary>
    private void Rotate()
    {
        if (Volatile.Read(ref _synced) < _written)
        {
            SyncSegment(_segment!);
            Volatile.Write(ref _synced, _written);
        }
        var next = StartSegment(_preparer.Take(), _written);
        UnmapSegment(); // before the cut: a mapping over a cut-off page is a SIGBUS
        _preparer.Trim(_segment!, _segmentOffset);
        _segment = next;
        _segmentOffset = LogFormat.SegmentHeaderSize;
        _nextRequested = false;
        MapSegment();
    }

    /// <summary>Heads a prepared (zeroed) segment with <paramref name="basePosition"/> and gives it its name; disposes it on failure.</summary>
    private SafeFileHandle StartSegment(PreparedSegment prepared, long basePosition)
    {
        try
        {
            Span<byte> header = stackalloc byte[LogFormat.SegmentHeaderSize];
            LogFormat.WriteSegmentHeader(header, basePosition);
            RandomAccess.Write(prepared.Handle, header, 0);
            if (_options.Fsync != FsyncPolicy.No)
                SegmentFile.SyncData(prepared.Handle); // the header (not counted: a rotation's, not a group commit's)
            File.Move(prepared.Path, Path.Combine(_options.Directory, LogFormat.SegmentName(basePosition)), overwrite: true);
            if (_options.Fsync != FsyncPolicy.No)
                DirectorySync.Flush(_options.Directory); // the new name, too
            return prepared.Handle;
        }
        catch
        {
            prepared.Handle.Dispose();
            throw;
        }
    }

    /// <summary>At open, with no segment to continue: the first segment, reserved to its size here (nothing waits yet).</summary>
    private SafeFileHandle CreateFirstSegment(long basePosition)
    {
        var path = Path.Combine(_options.Directory, "first" + SegmentPreparer.Extension);
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            SegmentFile.Reserve(handle, 0, _options.SegmentSize, WriteZeros);
        }
        catch
        {
            handle.Dispose();
            File.Delete(path);
            throw;
        }
        return StartSegment(new PreparedSegment(handle, path), basePosition);
    }

    /// <summary>
    /// Whether segments are reserved with zeros written (under <see cref="FsyncPolicy.Always"/>, whose every round's
    /// fsync would otherwise also commit the conversion of the blocks it wrote into) or only allocated (under
    /// <see cref="FsyncPolicy.EverySec"/> and <see cref="FsyncPolicy.No"/>: no second write of the whole log, and that
    /// conversion is committed by the once-a-second fsync or the kernel's writeback). See <see cref="SegmentFile"/>.
    /// </summary>
    private bool WriteZeros => _options.Fsync == FsyncPolicy.Always;

    /// <summary>
    /// Under <c>_writeGate</c> (or before the flush thread starts): under <see cref="FsyncPolicy.EverySec"/> and
    /// <see cref="FsyncPolicy.No"/>, maps the open segment's reserved length (its blocks are allocated, so no page of
    /// it is a hole: no write into the mapping can meet a full disk). A reply needs its record in the page cache only,
    /// and a copy into a shared mapping puts it there: the write round then costs no system call (one pwrite per reply
    /// at <c>-P 1</c> was the log's whole cost, docs/benchmarks.md). Not under <see cref="FsyncPolicy.Always"/>: every
    /// round is fsynced, after which the first write into each page faults again, as costly as the write it saves.
    /// Best effort: without a mapping the rounds go out with positional writes.
    /// </summary>
    private void MapSegment()
    {
        if (_options.Fsync == FsyncPolicy.Always || _segment is null || !_options.MapSegments)
            return;
        try
        {
            // Never past the file's end (a continued segment whose zeroing failed is shorter): that page would be a SIGBUS.
            var length = Math.Min(RandomAccess.GetLength(_segment), _options.SegmentSize);
            if (length <= _segmentOffset)
                return;
            _map = MemoryMappedFile.CreateFromFile(_segment, null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
            _view = _map.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
            // One page a fault, not a large folio a fault: every dirty byte is written back again at each fsync.
            SegmentFile.AdviseNoReadAhead(_view.SafeMemoryMappedViewHandle, length);
            _mapped = length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            UnmapSegment();
        }
    }

    /// <summary>Under <c>_writeGate</c>: drops the open segment's mapping (before it is cut back, closed or replaced).</summary>
    private void UnmapSegment()
    {
        _mapped = 0;
        _view?.Dispose();
        _map?.Dispose();
        _view = null;
        _map = null;
    }

    private void CloseSegment()
    {
        lock (_writeGate)
        {
            UnmapSegment();
            _segment?.Dispose();
            _segment = null;
        }
    }

    /// <summary>On the flush thread, once a second under everysec and no (under always every round checks): <see cref="SegmentDeleted"/>.</summary>
    private void CheckSegmentLinked()
    {
        lock (_writeGate)
        {
            if (!_segmentLost && _segment is not null)
                SegmentDeleted();
        }
    }

    /// <summary>
    /// Under <c>_writeGate</c>: whether the open segment's file was deleted (its data directory removed, most likely).
    /// Records written there would be lost at the next start, so the log then refuses writes as for a failing disk
    /// until <see cref="TryBeginAgain"/> succeeds. Costs one statx: checked by the flush thread only.
    /// </summary>
    private bool SegmentDeleted()
    {
        if (SegmentFile.IsLinked(_segment!, _statx))
            return false;
        _segmentLost = true;
        Fail(new IOException($"the write-ahead log's open segment was deleted (is the data directory {_options.Directory} gone?): writes are refused until the directory is there again; the node then writes a new log and a snapshot of its store into it"));
        return true;
    }

    /// <summary>
    /// Under <c>_writeGate</c>, on the flush thread, while the segment is lost: once the data directory is there again
    /// (the operator restored it: the node never creates it, which on a lost mount would fill the wrong disk), locks it,
    /// begins the log there at the current position (the pending round goes into it) and asks for a snapshot, which
    /// is what makes the records before that position durable again; writes stay refused until it is in place
    /// (<see cref="SnapshotResumesWrites"/>), as Redis answers MISCONF until a BGSAVE succeeds.
    /// </summary>
    private bool TryBeginAgain()
    {
        if (!System.IO.Directory.Exists(_options.Directory))
            return false;
        SafeFileHandle? lockFile = null;
        SafeFileHandle segment;
        try
        {
            lockFile = File.OpenHandle(Path.Combine(_options.Directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            _preparer.DropReady();
            segment = CreateFirstSegment(_written);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            lockFile?.Dispose();
            Fail(new IOException($"the write-ahead log's data directory {_options.Directory} is back but the log cannot begin again there: {e.Message}", e));
            return false;
        }
        UnmapSegment();
        _segment!.Dispose(); // the deleted one: nothing to cut back
        _segment = segment;
        _segmentOffset = LogFormat.SegmentHeaderSize;
        _nextRequested = false;
        MapSegment();
        _lockFile.Dispose();
        _lockFile = lockFile;
        _segmentLost = false;
        _awaitingSnapshot = true;
        Fail(new IOException($"the write-ahead log began again in {_options.Directory} after its segment was deleted: writes are refused until a snapshot of the store is written there"));
        ScheduleSnapshot();
        return true;
    }

    /// <summary>
    /// After a snapshot is in place: if the log was waiting for one (<see cref="TryBeginAgain"/>), everything written
    /// is durable again: its waiters complete and writes resume.
    /// </summary>
    private void SnapshotResumesWrites()
    {
        if (!_awaitingSnapshot)
            return;
        lock (_writeGate)
        {
            _awaitingSnapshot = false;
            if (_pendingLength == 0 && !_segmentLost)
                Recovered();
            Publish(_written);
        }
        WakeFlusher(); // records appended meanwhile and not yet written: their waiters should not wait for the tick
    }

    /// <summary>Under <c>_writeGate</c>: the log is unwritable for <paramref name="reason"/>, replacing an earlier reason.</summary>
    private void Fail(IOException reason)
    {
        _failure = reason;
        GiveUpWaits();
        ReportHealth();
    }

    /// <summary>Under <c>_writeGate</c>: the disk refused a write or an fsync.</summary>
    private void Failed(Exception e)
    {
        if (_failure is not null)
            return;
        _failure = e;
        GiveUpWaits();
        ReportHealth();
    }

    /// <summary>Under <c>_writeGate</c>: a write round (or an fsync with nothing pending) succeeded again.</summary>
    private void Recovered()
    {
        // A round written into a deleted segment, or before the snapshot a restored directory needs, succeeds too: not a recovery.
        if (_failure is null || _segmentLost || _awaitingSnapshot)
            return;
        _failure = null;
        ReportHealth();
    }

    /// <summary>
    /// Under <c>_writeGate</c>, after <c>_failure</c> was set: the waits that give up on a failure (a client's replies,
    /// <see cref="WhenDurableForSendAsync"/>) and are not durable end now with false. Their records stay pending.
    /// </summary>
    private void GiveUpWaits()
    {
        var durable = Volatile.Read(ref _durable);
        lock (_waitLock)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                var waiter = _waiters[i];
                if (!waiter.GivesUpOnFailure || waiter.Target <= durable)
                    continue;
                _waiters[i] = _waiters[^1];
                _waiters.RemoveAt(_waiters.Count - 1);
                waiter.Complete(false); // continuations run on the pool, never under this lock
            }
            _waiting = _waiters.Count;
        }
    }

    /// <summary>
    /// On the preparer's thread: the next segment could not be made (<paramref name="failure"/>), or could again (null).
    /// While it cannot, new writes are refused (<see cref="IsWritable"/>) but rounds go on: the open segment was reserved
    /// whole and the next is first asked for once it is half full, so the writes accepted before the refusal fit in the
    /// room left (unless they outgrow it) and are acknowledged as durable, truthfully, instead of waiting for the disk.
    /// </summary>
    /// <remarks>
    /// Why the report is applied on a pool thread, never here: applying it takes <c>_writeGate</c>, and the flush thread
    /// holds that gate while a rotation waits for this very thread (<see cref="SegmentPreparer.Take"/>). Blocking here
    /// on the gate deadlocked the two on a full disk (the rotation's retry asked for a segment while this thread was
    /// still reporting the last failed one), and then <see cref="Dispose"/> hung joining the flush thread. The latest
    /// report wins: each application takes whatever was reported last, under the gate, so reports applied out of order
    /// cannot leave an older state behind. Rare (a failure, at most once per retry interval), so a work item each is fine.
    /// </remarks>
    private void OnNextSegmentReported(Exception? failure)
    {
        Volatile.Write(ref _reserveReport, new ReserveReport(failure));
        ThreadPool.UnsafeQueueUserWorkItem(static log => log.ApplyReserveReport(), this, preferLocal: false);
    }

    /// <summary>On a pool thread: applies the preparer's latest report (<see cref="OnNextSegmentReported"/>) under <c>_writeGate</c>.</summary>
    private void ApplyReserveReport()
    {
        lock (_writeGate)
        {
            if (Interlocked.Exchange(ref _reserveReport, null) is not { } report || Volatile.Read(ref _closing))
                return;
            if (report.Failure is not { } failure)
            {
                if (_reserveFailure is null)
                    return;
                _reserveFailure = null;
            }
            else
            {
                if (_reserveFailure is not null)
                    return;
                // Its folder may be gone (the data directory deleted): then that is the failure to report and act on.
                if (!_segmentLost && _segment is not null)
                    SegmentDeleted();
                _reserveFailure = new IOException($"cannot reserve the next log segment ({_options.SegmentSize} bytes) in {_options.Directory}: {failure.Message}; writes are refused (the current segment keeps room for those already accepted) and resume once it can be reserved", failure);
            }
            ReportHealth();
        }
    }

    /// <summary>One report of the segment preparer: the failure to reserve the next segment, or null (it could again).</summary>
    private sealed record ReserveReport(Exception? Failure);

    /// <summary>Under <c>_writeGate</c>: tells <see cref="WriteAheadLogOptions.HealthChanged"/> when the reason writes are refused changed (null: accepted again).</summary>
    private void ReportHealth()
    {
        var now = _failure ?? _reserveFailure;
        if (ReferenceEquals(now, _reportedHealth))
            return;
        _reportedHealth = now;
        _options.HealthChanged?.Invoke(now);
    }
}
