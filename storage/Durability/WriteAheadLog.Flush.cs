using System.Diagnostics;
using FastDht.Storage.Durability.Internal;
using Microsoft.Win32.SafeHandles;

namespace FastDht.Storage.Durability;

/// <summary>The flush thread: writes what was appended, fsyncs as the policy says, rotates segments, survives a failing disk.</summary>
public sealed partial class WriteAheadLog
{
    // Owned by the flush thread (and by Open before it starts, Dispose after it ends).
    private SafeFileHandle? _segment;
    private long _segmentOffset;
    private long _written;
    private bool _unsynced;
    private long _lastSyncTicks;
    private long _synced;

    /// <summary>A dedicated thread, not the thread pool: fsync blocks for milliseconds, and a pool thread blocked on the disk is one a connection does not get.</summary>
    private Thread StartFlusher()
    {
        var thread = new Thread(FlushLoop) { IsBackground = true, Name = "FastDht WAL flush" };
        thread.Start();
        return thread;
    }

    private void FlushLoop()
    {
        _lastSyncTicks = Stopwatch.GetTimestamp();
        while (true)
        {
            byte[] buffer;
            int length;
            long end;
            bool closing, rotate, sync;
            lock (_sync)
            {
                while (_activeLength == 0 && !_closing && !_rotationWanted && !_syncWanted)
                {
                    var timeout = Timeout.Infinite;
                    if (_unsynced && _options.Fsync == FsyncPolicy.EverySec)
                    {
                        timeout = (int)Math.Max(0, 1000 - Stopwatch.GetElapsedTime(_lastSyncTicks).TotalMilliseconds);
                        if (timeout == 0)
                            break;
                    }
                    _flusherIdle = true;
                    Monitor.Wait(_sync, timeout);
                    _flusherIdle = false;
                }
                closing = _closing;
                rotate = _rotationWanted;
                sync = _syncWanted;
                _rotationWanted = _syncWanted = false;
                buffer = _active;
                length = _activeLength;
                end = _appended;
                if (length > 0)
                {
                    // The spare buffer is free: the previous round's write finished before this swap.
                    _active = _spare;
                    _activeLength = 0;
                    _spare = buffer;
                }
            }
            if (length > 0 && !WriteWithRetry(buffer, length, end))
                return; // closing while the disk still fails: what is pending stays undurable, its waiters get false
            if (rotate)
                RotateOnRequest();
            if (sync)
                SyncOnRequest();
            if (_unsynced && (closing || Stopwatch.GetElapsedTime(_lastSyncTicks) >= TimeSpan.FromSeconds(1)))
                TrySync();
            if (closing && length == 0)
                return;
        }
    }

    /// <summary>Writes one round's bytes (and fsyncs under Always), retrying until it succeeds or the log closes.</summary>
    private bool WriteWithRetry(byte[] buffer, int length, long end)
    {
        while (true)
        {
            try
            {
                if (_segmentOffset > LogFormat.SegmentHeaderSize && _segmentOffset + length > _options.SegmentSize)
                    Rotate();
                // A retry after a failure rewrites the same bytes at the same offset: a partial earlier write is overwritten.
                RandomAccess.Write(_segment!, buffer.AsSpan(0, length), _segmentOffset);
                var synced = _options.Fsync == FsyncPolicy.Always;
                if (synced)
                {
                    RandomAccess.FlushToDisk(_segment!);
                    _lastSyncTicks = Stopwatch.GetTimestamp();
                }
                else
                {
                    _unsynced = true;
                }
                _segmentOffset += length;
                _written = end;
                if (synced)
                    Volatile.Write(ref _synced, end);
                Recovered();
                Publish(end);
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Failed(e);
                if (_closingSignal.Wait(_options.RetryInterval))
                    return false;
            }
        }
    }

    /// <summary>The once-a-second fsync of <see cref="FsyncPolicy.EverySec"/> (and the last one at close).</summary>
    private void TrySync()
    {
        if (_options.Fsync == FsyncPolicy.No)
        {
            _unsynced = false;
            return;
        }
        try
        {
            RandomAccess.FlushToDisk(_segment!);
            _unsynced = false;
            _lastSyncTicks = Stopwatch.GetTimestamp();
            Volatile.Write(ref _synced, _written);
            Recovered();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Retried on the next tick; new writes are refused meanwhile.
            Failed(e);
            _lastSyncTicks = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Closes the full segment (fsynced, whatever the policy: once per segment costs nothing, and a snapshot relies on the segments after it) and starts the next at the current position.</summary>
    private void Rotate()
    {
        RandomAccess.FlushToDisk(_segment!);
        Volatile.Write(ref _synced, _written);
        var next = OpenNewSegment(_written);
        _segment!.Dispose();
        _segment = next;
        _segmentOffset = LogFormat.SegmentHeaderSize;
        _unsynced = false;
    }

    /// <summary>Creates (or recreates, after a failed attempt) the segment file whose first record is at <paramref name="basePosition"/>.</summary>
    private SafeFileHandle OpenNewSegment(long basePosition)
    {
        var path = Path.Combine(_options.Directory, LogFormat.SegmentName(basePosition));
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            Span<byte> header = stackalloc byte[LogFormat.SegmentHeaderSize];
            LogFormat.WriteSegmentHeader(header, basePosition);
            RandomAccess.Write(handle, header, 0);
            if (_options.Fsync != FsyncPolicy.No)
            {
                RandomAccess.FlushToDisk(handle);
                DirectorySync.Flush(_options.Directory); // the new file's name, too
            }
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private void CloseSegment()
    {
        _segment?.Dispose();
        _segment = null;
    }

    private void Failed(Exception e)
    {
        if (_failure is not null)
            return;
        _failure = e;
        _options.HealthChanged?.Invoke(e);
    }

    private void Recovered()
    {
        if (_failure is null)
            return;
        _failure = null;
        _options.HealthChanged?.Invoke(null);
    }
}
