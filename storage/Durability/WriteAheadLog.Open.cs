using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using FastDht.Storage.Durability.Internal;
using Microsoft.Win32.SafeHandles;

namespace FastDht.Storage.Durability;

/// <summary>Opening a log: lock the folder, replay every segment into the store, cut a torn tail, then start appending.</summary>
/// <remarks>
/// The rules for damage: the last record of the last segment may be incomplete or fail its checksum when it reaches
/// the end of the file (a crash in the middle of a write): it is cut off, and recovery goes on. Any other damaged
/// record (bytes follow it, or it is not in the last segment), a segment that does not continue where the previous
/// ended, or a record whose checksum holds but whose content does not parse, is corruption: opening fails with a
/// <see cref="LogCorruptionException"/> naming the file and offset, unless <see cref="WriteAheadLogOptions.TruncateAtCorruption"/>
/// allows cutting the log there (the records after it are lost, and the report says where).
/// </remarks>
public sealed partial class WriteAheadLog
{
    /// <summary>The file that keeps a second process from using the same folder.</summary>
    public const string LockFileName = "LOCK";

    private WriteAheadLog(WriteAheadLogOptions options, SafeFileHandle lockFile, IKeyValueStore store)
    {
        _options = options;
        _lockFile = lockFile;
        _store = store;
        _flusher = null!;
        _snapshotter = null!;
        _deferredWrite = null!;
        _workQueued = null!;
        _preparer = null!;
    }

    private WriteAheadLog(WriteAheadLog recovered)
    {
        _options = recovered._options;
        _lockFile = recovered._lockFile;
        _store = recovered._store;
        _segment = recovered._segment;
        _segmentOffset = recovered._segmentOffset;
        _written = recovered._written;
        _appended = recovered._written;
        _durable = recovered._written;
        _synced = recovered._written;
        _snapshotBase = recovered._snapshotBase;
        MapSegment();
        _deferredWrite = new DeferredWrite(this);
        _workQueued = _options.WorkQueued ?? ThreadPoolHasQueuedWork;
        _preparer = new SegmentPreparer(_options.Directory, _options.SegmentSize, WriteZeros, _options.RetryInterval, OnNextSegmentReported);
        _flusher = StartFlusher();
        _snapshotter = StartSnapshotter();
    }

    /// <summary>Opens (or creates) the log in <see cref="WriteAheadLogOptions.Directory"/>, replaying every record into <paramref name="store"/>.</summary>
    /// <exception cref="LogCorruptionException">A record in the middle of the log is damaged and truncation was not allowed.</exception>
    /// <exception cref="IOException">The folder cannot be used (another process holds it, permissions, disk).</exception>
    public static WriteAheadLog Open(WriteAheadLogOptions options, IKeyValueStore store, out LogRecoveryReport report)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        if (options.SegmentSize < 4096 || options.SegmentSize > WriteAheadLogOptions.MaxSegmentSize)
            throw new ArgumentOutOfRangeException(nameof(options), $"the segment size must be 4 KiB to 1 GiB (it is {options.SegmentSize})");
        System.IO.Directory.CreateDirectory(options.Directory);
        SafeFileHandle lockFile;
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix: a second node on this folder fails here.
            lockFile = File.OpenHandle(Path.Combine(options.Directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"the data directory {options.Directory} is in use by another process ({e.Message})", e);
        }
        var opening = new WriteAheadLog(options, lockFile, store);
        try
        {
            report = opening.Recover(store);
            if (opening._segment is null)
                opening._segment = opening.CreateFirstSegment(opening._written);
            else
                opening.ReserveRecoveredSegment();
            if (opening._segmentOffset == 0)
                opening._segmentOffset = LogFormat.SegmentHeaderSize;
        }
        catch
        {
            opening.CloseSegment();
            lockFile.Dispose();
            throw;
        }
        return new WriteAheadLog(opening);
    }

    /// <summary>
    /// The segment appending continues in is reserved up to the segment size if it is shorter (written by an older
    /// version, or cut after a torn tail), as a new one is (<see cref="WriteZeros"/>). Best effort: on a disk too full
    /// for it the node still starts (reads are served) and the segment grows as records come, as an unreserved file does.
    /// </summary>
    private void ReserveRecoveredSegment()
    {
        try
        {
            var length = RandomAccess.GetLength(_segment!);
            if (length >= _options.SegmentSize)
                return;
            SegmentFile.Reserve(_segment!, length, _options.SegmentSize, WriteZeros);
            SegmentFile.SyncData(_segment!);
        }
        catch (IOException)
        {
            // The zeros written so far are harmless: recovery reads zeros after the last record as the end of the log.
        }
    }

    /// <summary>Loads the newest valid snapshot (if any), then replays the log from the position it names.</summary>
    private LogRecoveryReport Recover(IKeyValueStore store)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var temporary in System.IO.Directory.GetFiles(_options.Directory, "*" + SnapshotFormat.TemporaryExtension))
            File.Delete(temporary); // a snapshot that was being written when the node stopped: never in place, never needed
        foreach (var prepared in System.IO.Directory.GetFiles(_options.Directory, "*" + SegmentPreparer.Extension))
            File.Delete(prepared); // a next segment zeroed ahead, never named: the preparer makes another when needed
        var files = System.IO.Directory.GetFiles(_options.Directory, "*" + LogFormat.SegmentExtension);
        Array.Sort(files, StringComparer.Ordinal);
        var snapshot = LoadNewestSnapshot(store, files, out var damaged, out var missing);
        var from = 0;
        if (snapshot is { } loaded)
        {
            _snapshotBase = loaded.LogPosition;
            // A snapshot begins a segment at its position (docs/storage.md), so the log after it starts in the segment
            // named for that position. Without it the records after the snapshot are gone, however whole the older
            // segments are (they end exactly where the missing one began): refused, never replayed as if complete.
            from = SegmentAt(files, loaded.LogPosition);
            if (from < 0)
            {
                // Truncation allowed: the log starts again at the snapshot's position; a later segment would leave a gap.
                var segment = Path.Combine(_options.Directory, LogFormat.SegmentName(loaded.LogPosition));
                var lost = Missing(segment, $"the segment beginning at log position {loaded.LogPosition}, which the snapshot {loaded.File} needs, is missing");
                DeleteSegmentsAfter(files, loaded.LogPosition);
                _written = loaded.LogPosition;
                return new LogRecoveryReport(0, 0, 0, 0, missing ?? lost, Stopwatch.GetElapsedTime(started))
                {
                    HighestVersion = _replay.HighestVersion,
                    Snapshot = loaded.File,
                    SnapshotKeys = loaded.Keys,
                    DamagedSnapshot = damaged,
                };
            }
        }
        else if (missing is null && files.Length > 0 && SnapshotFormat.TryParsePosition(files[0], LogFormat.SegmentExtension, out var first) && first != 0)
        {
            // Without a snapshot the log must hold every record from position 0: one that begins later lost its beginning.
            // Truncation allowed: the log is replayed from where it begins, and the report says what was missing.
            missing = Missing(files[0], $"the log begins at position {first} but no snapshot holds the records before it (the snapshots or the segments before it are missing)");
        }
        var report = ReplaySegments(store, files.AsSpan(from).ToArray(), started);
        return report with
        {
            Snapshot = snapshot?.File,
            SnapshotKeys = snapshot?.Keys ?? 0,
            DamagedSnapshot = damaged,
            TruncatedAt = missing ?? report.TruncatedAt,
            HighestVersion = _replay.HighestVersion,
            SkippedChanges = _replay.SkippedChanges,
        };
    }

    /// <summary>The index of the segment whose first record is at <paramref name="position"/>; -1 when there is none.</summary>
    private static int SegmentAt(string[] segments, long position)
    {
        for (var i = 0; i < segments.Length; i++)
        {
            if (SnapshotFormat.TryParsePosition(segments[i], LogFormat.SegmentExtension, out var basePosition) && basePosition == position)
                return i;
        }
        return -1;
    }

    private static void DeleteSegmentsAfter(string[] segments, long position)
    {
        foreach (var segment in segments)
        {
            if (SnapshotFormat.TryParsePosition(segment, LogFormat.SegmentExtension, out var basePosition) && basePosition > position)
                File.Delete(segment);
        }
    }

    /// <summary>A part of the log that recovery needs is gone: corruption, unless truncation is allowed; then the report's "file at offset (reason)".</summary>
    private string Missing(string path, string reason) =>
        _options.TruncateAtCorruption ? $"{path} at offset 0 ({reason})" : throw new LogCorruptionException(path, 0, reason);

    /// <summary>
    /// Loads the newest snapshot that checks whole (Recover then checks that the log after it is there); a damaged newer
    /// one is set aside (renamed <c>*.snap.damaged</c>) once something older took its place: an older snapshot, or the
    /// whole log from position 0.
    /// With nothing to fall back on, opening fails naming the damaged file. Null when the folder holds no snapshot.
    /// A damaged snapshot still tells how far the log went: its name is the position where a segment began, so when that
    /// segment is missing too, the fallback's log ends early and would look whole: <paramref name="missing"/> then names it
    /// (<see cref="Missing"/>: refused unless truncation is allowed), checked before anything is set aside.
    /// </summary>
    private LoadedSnapshot? LoadNewestSnapshot(IKeyValueStore store, string[] segments, out string? damaged, out string? missing)
    {
        damaged = null;
        missing = null;
        var damagedAt = -1L;
        var snapshots = System.IO.Directory.GetFiles(_options.Directory, "*" + SnapshotFormat.Extension);
        Array.Sort(snapshots, StringComparer.Ordinal);
        SnapshotCorruptionException? firstDamage = null;
        var setAside = new List<string>();
        for (var i = snapshots.Length - 1; i >= 0; i--)
        {
            var path = snapshots[i];
            if (!SnapshotFormat.TryParsePosition(path, SnapshotFormat.Extension, out var named))
                continue; // not a name this log writes
            var result = SnapshotFileReader.Load(path, store, _replay);
            if (result.Valid && result.LogPosition != named)
                result = result with { Valid = false, DamageOffset = 8, Damage = $"its header names log position {result.LogPosition}, its file name {named}" };
            if (!result.Valid)
            {
                store.Clear();
                if (firstDamage is null)
                {
                    firstDamage = new SnapshotCorruptionException(path, result.DamageOffset, result.Damage!);
                    damagedAt = named;
                }
                setAside.Add(path);
                continue;
            }
            foreach (var record in result.ApplicationRecords)
            {
                if (_options.ApplicationRecord is { } handler && !handler(record))
                    throw new SnapshotCorruptionException(path, 0, "a record of the log's user that it carries does not parse");
            }
            missing = LogBeyondFallback(segments, damagedAt, firstDamage);
            SetAside(setAside, firstDamage, ref damaged);
            return new LoadedSnapshot(path, result.LogPosition, result.Keys);
        }
        if (firstDamage is null)
            return null;
        // No snapshot is usable: the whole log is the last resort, if it is still there from its beginning.
        if (segments.Length == 0 || !SnapshotFormat.TryParsePosition(segments[0], LogFormat.SegmentExtension, out var first) || first != 0)
            throw firstDamage;
        missing = LogBeyondFallback(segments, damagedAt, firstDamage);
        SetAside(setAside, firstDamage, ref damaged);
        return null;
    }

    /// <summary>
    /// After falling back past the damaged snapshot at <paramref name="damagedAt"/>: a snapshot begins a segment at its
    /// position and that segment is never dropped while the snapshot is the newest, so the log reached it; when no
    /// segment begins there, the records from it on are gone (<see cref="Missing"/>); null when it is there or none was damaged.
    /// </summary>
    private string? LogBeyondFallback(string[] segments, long damagedAt, SnapshotCorruptionException? damage)
    {
        if (damage is null || damagedAt <= 0 || SegmentAt(segments, damagedAt) >= 0)
            return null;
        var segment = Path.Combine(_options.Directory, LogFormat.SegmentName(damagedAt));
        return Missing(segment, $"the damaged snapshot {damage.File} shows that the log reached position {damagedAt}, but the segment beginning there is missing: the records after it are gone");
    }

    private static void SetAside(List<string> paths, SnapshotCorruptionException? firstDamage, ref string? damaged)
    {
        if (firstDamage is null)
            return;
        damaged = $"{firstDamage.File} at offset {firstDamage.Offset}: {firstDamage.Reason}";
        foreach (var path in paths)
            File.Move(path, Path.ChangeExtension(path, null) + SnapshotFormat.DamagedExtension, overwrite: true);
    }

    private readonly record struct LoadedSnapshot(string File, long LogPosition, long Keys);

    /// <summary>Replays <paramref name="files"/> (whole segments, in log order) into the store; the last one stays open for appending.</summary>
    private LogRecoveryReport ReplaySegments(IKeyValueStore store, string[] files, long started)
    {
        long records = 0, bytes = 0, torn = 0;
        string? truncatedAt = null;
        var position = -1L;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        Span<byte> header = stackalloc byte[LogFormat.SegmentHeaderSize];
        Span<byte> recordHeader = stackalloc byte[LogFormat.RecordHeaderSize];
        try
        {
            for (var i = 0; i < files.Length; i++)
            {
                var file = files[i];
                var isLast = i == files.Length - 1;
                long offset = LogFormat.SegmentHeaderSize;
                long length;
                string? damage = null;
                var tornHere = false;
                var damagedEnd = 0L; // where the damaged record ends: what a torn tail cuts off
                // 1 MiB of read-ahead: recovery reads every segment once, front to back, in large sequential reads.
                using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20))
                {
                    length = stream.Length;
                    if (length < LogFormat.SegmentHeaderSize)
                    {
                        if (!isLast)
                            throw new LogCorruptionException(file, 0, "the segment header is incomplete");
                        // A crash while the segment was being created: nothing in it was ever acknowledged.
                        torn += length;
                        stream.Dispose();
                        File.Delete(file);
                        break;
                    }
                    stream.ReadExactly(header);
                    if (isLast && !header.ContainsAnyExcept((byte)0) && SegmentFile.RestIsZero(stream, buffer))
                    {
                        // Renamed into place before its header reached the disk (fsync no): nothing in it was ever written.
                        stream.Dispose();
                        File.Delete(file);
                        break;
                    }
                    if (!header[..8].SequenceEqual(LogFormat.Magic))
                        throw new LogCorruptionException(file, 0, "this is not a FastDht log segment (bad magic)");
                    var basePosition = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
                    if (position >= 0 && basePosition != position)
                        throw new LogCorruptionException(file, 0, $"the segment begins at log position {basePosition} but the previous one ends at {position}: a segment is missing");
                    position = basePosition;

                    while (offset < length)
                    {
                        if (length - offset < LogFormat.RecordHeaderSize)
                        {
                            if (SegmentFile.RestIsZero(stream, buffer))
                                break; // the zeros a segment was reserved with: its records end here
                            damage = "the record header is incomplete";
                            damagedEnd = length;
                            tornHere = isLast;
                            break;
                        }
                        stream.ReadExactly(recordHeader);
                        var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(recordHeader);
                        var checksum = BinaryPrimitives.ReadUInt32LittleEndian(recordHeader[4..]);
                        var recordEnd = offset + LogFormat.RecordHeaderSize + payloadLength;
                        if (payloadLength == 0 && checksum == 0)
                        {
                            // A zeroed header: the segment was reserved with zeros, and its records end here, provided
                            // only zeros follow. Anything else after it was written once and is lost: corruption.
                            if (SegmentFile.RestIsZero(stream, buffer))
                                break;
                            damage = "a zeroed record header is followed by written bytes (a part of the log is missing)";
                            break;
                        }
                        if (payloadLength == 0 || payloadLength > LogFormat.MaxPayload || recordEnd > length)
                        {
                            damage = recordEnd > length ? "the record runs past the end of the file" : $"impossible record length {payloadLength}";
                            damagedEnd = recordEnd > length ? length : offset + LogFormat.RecordHeaderSize;
                            // Torn when nothing but zeros follows its header (or it runs past the end of the file).
                            tornHere = isLast && (recordEnd >= length || SegmentFile.RestIsZero(stream, buffer));
                            break;
                        }
                        if (buffer.Length < payloadLength)
                        {
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = ArrayPool<byte>.Shared.Rent((int)payloadLength);
                        }
                        var payload = buffer.AsSpan(0, (int)payloadLength);
                        stream.ReadExactly(payload);
                        if (LogFormat.Checksum(payload) != checksum)
                        {
                            damage = "the record's checksum does not match";
                            damagedEnd = recordEnd;
                            // Torn when only zeros follow it: a write cut short in a reserved segment (or at the file's end).
                            tornHere = isLast && SegmentFile.RestIsZero(stream, buffer);
                            break;
                        }
                        if (!LogReplay.TryApply(payload, store, _options.ApplicationRecord, _replay))
                        {
                            damage = "the record's checksum matches but its content does not parse";
                            break;
                        }
                        records++;
                        bytes += recordEnd - offset;
                        position += recordEnd - offset;
                        offset = recordEnd;
                    }
                }

                var handle = File.OpenHandle(file, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
                var keep = false;
                try
                {
                    if (damage is not null)
                    {
                        if (tornHere)
                        {
                            torn += damagedEnd - offset;
                        }
                        else if (_options.TruncateAtCorruption)
                        {
                            truncatedAt = $"{file} at offset {offset} ({damage})";
                            for (var j = i + 1; j < files.Length; j++)
                                File.Delete(files[j]);
                        }
                        else
                        {
                            throw new LogCorruptionException(file, offset, damage);
                        }
                        RandomAccess.SetLength(handle, offset);
                        RandomAccess.FlushToDisk(handle);
                        isLast = true;
                    }
                    if (isLast)
                    {
                        // Appending continues in this segment, right after its last whole record.
                        _segment = handle;
                        _segmentOffset = offset;
                        keep = true;
                        break;
                    }
                }
                finally
                {
                    if (!keep)
                        handle.Dispose();
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        _written = Math.Max(position, 0);
        return new LogRecoveryReport(records, files.Length, bytes, torn, truncatedAt, Stopwatch.GetElapsedTime(started));
    }
}
