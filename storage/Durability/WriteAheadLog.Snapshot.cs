using System.Diagnostics;
using FastDht.Storage.Durability.Internal;

namespace FastDht.Storage.Durability;

/// <summary>
/// Snapshots: the store written to a file in the background while writes go on, so that the log before it can be
/// dropped and a restart loads the file instead of replaying everything.
/// </summary>
/// <remarks>
/// <para>
/// Fuzzy, not point-in-time: the store has no copy-on-write and .NET has no fork, so a point-in-time image would mean
/// stopping writes or copying every value. Instead the snapshot thread (1) asks the flush thread to begin a new
/// segment and notes its position P: every record before P is in older segments and, because a change is applied to
/// the store before it is logged, already in the store; (2) reads every key with the store's cursor while writes go
/// on, so each key is written as it was at some moment after P; (3) waits until every change the read may have seen
/// has been appended (<see cref="WriteAheadLogOptions.SnapshotBarrier"/>) and is on disk; (4) renames the file into
/// place and fsyncs the folder. Recovery loads the file and replays the log from P: each record is a whole value,
/// a removal or an expiry for a key that is present, so replaying, on top of a newer state, records the state has
/// already seen ends in the state after the last record, which is the one the log describes (docs/storage.md).
/// </para>
/// <para>
/// Retention: the newest two snapshots are kept, with the log from the older one's position; everything before it
/// is deleted once a new snapshot is in place. A damaged newest snapshot then still has an older one, and the log
/// after it, to fall back on.
/// </para>
/// </remarks>
public sealed partial class WriteAheadLog
{
    // 4096 keys per scan batch: large enough that the cursor's overhead vanishes, small enough to notice a close quickly.
    private const int ScanBatch = 4096;

    // Redis's CONFIG_BGSAVE_RETRY_DELAY: a size-triggered snapshot that failed is tried again after 5 s, not in a loop.
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(5);

    private readonly IKeyValueStore _store;
    private readonly Thread _snapshotter;
    private readonly object _snapshotSync = new();
    private long _snapshotBase;
    private TaskCompletionSource<SnapshotReport>? _snapshotRun;
    private bool _snapshotScheduled;
    private SnapshotReport? _lastSnapshot;
    private Exception? _lastSnapshotFailure;
    private long _lastFailureTicks;

    // Requests from the snapshot thread to the flush thread (set under _sync), answered under _control.
    private readonly object _control = new();
    private bool _rotationWanted;
    private bool _syncWanted;
    private long _rotatedAt = -1;
    private long _syncedTo = -1;
    private Exception? _controlError;

    /// <summary>The log position the newest snapshot replays from (0 when there is none): the log before it is no longer needed.</summary>
    public long SnapshotPosition => Volatile.Read(ref _snapshotBase);

    /// <summary>Whether a snapshot is being written (or was asked for and is about to be).</summary>
    public bool IsSnapshotting
    {
        get
        {
            lock (_snapshotSync)
                return _snapshotRun is not null;
        }
    }

    /// <summary>The last snapshot this log wrote since it was opened; null when none.</summary>
    public SnapshotReport? LastSnapshot
    {
        get
        {
            lock (_snapshotSync)
                return _lastSnapshot;
        }
    }

    /// <summary>Why the last snapshot attempt failed, if it did (cleared by the next success).</summary>
    public Exception? LastSnapshotFailure
    {
        get
        {
            lock (_snapshotSync)
                return _lastSnapshotFailure;
        }
    }

    /// <summary>
    /// Starts a snapshot in the background unless one is already running; <paramref name="completion"/> completes
    /// when the one started (or the one running) is in place, or faults with the reason it failed.
    /// </summary>
    /// <returns>True when this call started it; false when one was already running (Redis's BGSAVE refuses then).</returns>
    public bool TryStartSnapshot(out Task<SnapshotReport> completion)
    {
        lock (_snapshotSync)
        {
            if (_snapshotRun is { } running)
            {
                completion = running.Task;
                return false;
            }
            if (Volatile.Read(ref _closing))
            {
                completion = Task.FromException<SnapshotReport>(Closed());
                return false;
            }
            completion = Begin().Task;
            return true;
        }
    }

    /// <summary>Starts a snapshot now, or, when one is running, right after it (Redis's BGSAVE SCHEDULE); true when it started now.</summary>
    public bool ScheduleSnapshot()
    {
        lock (_snapshotSync)
        {
            if (_snapshotRun is not null)
            {
                _snapshotScheduled = true;
                return false;
            }
            Begin();
            return true;
        }
    }

    /// <summary>Under <c>_snapshotSync</c>: a new run, picked up by the snapshot thread.</summary>
    private TaskCompletionSource<SnapshotReport> Begin()
    {
        _snapshotRun = new TaskCompletionSource<SnapshotReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        Monitor.Pulse(_snapshotSync);
        return _snapshotRun;
    }

    /// <summary>A dedicated thread: a snapshot reads the whole store and writes and fsyncs a large file.</summary>
    private Thread StartSnapshotter()
    {
        var thread = new Thread(SnapshotLoop) { IsBackground = true, Name = "FastDht snapshot" };
        thread.Start();
        return thread;
    }

    private void SnapshotLoop()
    {
        while (true)
        {
            TaskCompletionSource<SnapshotReport> run;
            lock (_snapshotSync)
            {
                while (true)
                {
                    if (Volatile.Read(ref _closing))
                    {
                        _snapshotRun?.TrySetException(Closed());
                        _snapshotRun = null;
                        return;
                    }
                    if (_snapshotRun is { } requested)
                    {
                        run = requested;
                        break;
                    }
                    if (GrewEnough() || ResumeWanted())
                    {
                        run = Begin();
                        break;
                    }
                    // 1 s: how late a size-triggered snapshot may start; a request wakes the thread at once.
                    Monitor.Wait(_snapshotSync, 1000);
                }
            }
            SnapshotReport? report = null;
            Exception? error = null;
            try
            {
                report = WriteSnapshot();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                error = e; // reported to whoever asked and logged; the node goes on, and the next snapshot tries again
            }
            lock (_snapshotSync)
            {
                _snapshotRun = null;
                if (report is not null)
                {
                    _lastSnapshot = report;
                    _lastSnapshotFailure = null;
                }
                else
                {
                    _lastSnapshotFailure = error;
                    _lastFailureTicks = Stopwatch.GetTimestamp();
                }
                if (_snapshotScheduled && !Volatile.Read(ref _closing))
                {
                    _snapshotScheduled = false;
                    Begin();
                }
            }
            _options.SnapshotFinished?.Invoke(report, error);
            if (report is not null)
                run.TrySetResult(report);
            else
                run.TrySetException(error!);
        }
    }

    /// <summary>Under <c>_snapshotSync</c>: the log grew past <see cref="WriteAheadLogOptions.SnapshotLogSize"/> since the last snapshot began.</summary>
    private bool GrewEnough() =>
        _options.SnapshotLogSize > 0
        && Volatile.Read(ref _appended) - Volatile.Read(ref _snapshotBase) >= _options.SnapshotLogSize
        && (_lastSnapshotFailure is null || Stopwatch.GetElapsedTime(_lastFailureTicks) >= RetryAfterFailure);

    /// <summary>Under <c>_snapshotSync</c>: writes wait for a snapshot (<see cref="TryBeginAgain"/>); after a failure tried again in 5 s.</summary>
    private bool ResumeWanted() =>
        _awaitingSnapshot && (_lastSnapshotFailure is null || Stopwatch.GetElapsedTime(_lastFailureTicks) >= RetryAfterFailure);

    /// <summary>Writes one snapshot and drops what it makes unnecessary; on the snapshot thread.</summary>
    private SnapshotReport WriteSnapshot()
    {
        var started = Stopwatch.GetTimestamp();
        var position = RequestRotation();
        var carried = _options.SnapshotApplicationState?.Invoke() ?? [];
        var path = Path.Combine(_options.Directory, SnapshotFormat.Name(position));
        var temporary = Path.ChangeExtension(path, null) + SnapshotFormat.TemporaryExtension;
        long keys, bytes;
        try
        {
            using (var writer = new SnapshotFileWriter(temporary, position, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()))
            {
                var visitor = new SnapshotFileWriter.Visitor(writer);
                ulong cursor = 0;
                do
                {
                    if (Volatile.Read(ref _closing))
                        throw Closed();
                    cursor = _store.Scan(cursor, SlotRange.All, ScanBatch, ref visitor);
                }
                while (cursor != 0);
                foreach (var record in carried)
                    writer.AddApplicationRecord(record);
                writer.Complete();
                keys = writer.Keys;
                bytes = writer.Length;
            }
            _options.SnapshotBarrier?.Invoke();
            // The snapshot may hold changes logged after P: it must never be on disk without them.
            RequestSync(Volatile.Read(ref _appended));
            File.Move(temporary, path, overwrite: true);
            DirectorySync.Flush(_options.Directory);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
                // Deleted at the next start.
            }
            throw;
        }
        var previous = Volatile.Read(ref _snapshotBase);
        Volatile.Write(ref _snapshotBase, position);
        DropBefore(previous);
        SnapshotResumesWrites();
        return new SnapshotReport(path, position, keys, bytes, Stopwatch.GetElapsedTime(started), DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// Deletes the snapshots older than the one at <paramref name="position"/> and every segment that lies wholly
    /// before it: the newest two snapshots stay, with the log from the older one on.
    /// </summary>
    private void DropBefore(long position)
    {
        var segments = System.IO.Directory.GetFiles(_options.Directory, "*" + LogFormat.SegmentExtension);
        Array.Sort(segments, StringComparer.Ordinal);
        for (var i = 0; i + 1 < segments.Length; i++)
        {
            // A segment ends where the next begins: it is wholly before the position when the next begins at or before it.
            if (SnapshotFormat.TryParsePosition(segments[i + 1], LogFormat.SegmentExtension, out var nextBase) && nextBase <= position)
                TryDelete(segments[i]);
        }
        foreach (var snapshot in System.IO.Directory.GetFiles(_options.Directory, "*" + SnapshotFormat.Extension))
        {
            if (SnapshotFormat.TryParsePosition(snapshot, SnapshotFormat.Extension, out var at) && at < position)
                TryDelete(snapshot);
        }
        try
        {
            DirectorySync.Flush(_options.Directory);
        }
        catch (IOException)
        {
            // Only deletions are at stake: a file that comes back after a power loss is deleted by the next snapshot.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the next snapshot to delete; nothing depends on it being gone.
        }
    }

    /// <summary>Asks the flush thread to begin a new segment after what it has written; returns that segment's position.</summary>
    private long RequestRotation()
    {
        lock (_control)
        {
            _rotatedAt = -1;
            _controlError = null;
        }
        try
        {
            // Here, not on the flush thread: the rotation then finds the next segment zeroed.
            _preparer.WaitUntilReady();
        }
        catch (IOException e)
        {
            throw new IOException($"the log could not begin a new segment for the snapshot: {e.Message}", e);
        }
        Request(ref _rotationWanted);
        lock (_control)
        {
            while (_rotatedAt < 0)
                WaitForFlusher("begin a new segment");
            return _rotatedAt;
        }
    }

    /// <summary>Asks the flush thread to fsync the log, whatever the policy, and waits until it covers <paramref name="position"/>.</summary>
    private void RequestSync(long position)
    {
        lock (_control)
            _controlError = null;
        Request(ref _syncWanted);
        lock (_control)
        {
            while (_syncedTo < position)
                WaitForFlusher("force the log to disk");
        }
    }

    private void Request(ref bool flag)
    {
        lock (_sync)
        {
            if (_closing)
                throw Closed();
            flag = true;
            if (_flusherIdle)
                Monitor.Pulse(_sync);
        }
    }

    /// <summary>Under <c>_control</c>: one bounded wait for the flush thread's answer; throws when it cannot come.</summary>
    private void WaitForFlusher(string what)
    {
        if (_controlError is { } error)
            throw new IOException($"the log could not {what} for the snapshot: {error.Message}", error);
        // Refused writes while the log waits for this very snapshot (TryBeginAgain) are no reason to give up.
        if (_failure is { } failure && !_awaitingSnapshot)
            throw new IOException($"the log cannot write to disk, so no snapshot can be completed: {failure.Message}", failure);
        if (Volatile.Read(ref _closing))
            throw Closed();
        Monitor.Wait(_control, 100);
    }

    /// <summary>On the flush thread, after the round that saw the request was written.</summary>
    private void RotateOnRequest()
    {
        Exception? error = null;
        long rotatedAt;
        lock (_writeGate)
        {
            try
            {
                // Under the gate: no caller's round lands between the last record of the old segment and the rotation.
                if (_segmentOffset > LogFormat.SegmentHeaderSize)
                    RotateHoldingGate();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = e; // the old segment is still the current one: appending goes on there
            }
            rotatedAt = _written;
        }
        lock (_control)
        {
            if (error is null)
                _rotatedAt = rotatedAt;
            _controlError = error;
            Monitor.PulseAll(_control);
        }
    }

    /// <summary>On the flush thread: an fsync asked for by a snapshot, whatever the policy.</summary>
    private void SyncOnRequest()
    {
        Exception? error = null;
        long target;
        lock (_writeGate)
            target = _written;
        try
        {
            // Outside the gate, as the once-a-second fsync: only this thread replaces the segment.
            SyncSegment(_segment!);
            Volatile.Write(ref _synced, Math.Max(target, Volatile.Read(ref _synced)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e;
        }
        lock (_control)
        {
            if (error is null)
                _syncedTo = target;
            _controlError = error;
            Monitor.PulseAll(_control);
        }
    }

    private static IOException Closed() => new("the log closed before the snapshot was complete");
}
