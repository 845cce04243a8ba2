using Microsoft.Win32.SafeHandles;

namespace FastDht.Storage.Durability.Internal;

/// <summary>
/// Prepares the log's next segment ahead of need on its own thread: a file under a temporary name, reserved to the
/// segment size (filled with zeros under <c>always</c>, its blocks allocated only under <c>everysec</c> and <c>no</c>:
/// <see cref="SegmentFile.Reserve(SafeFileHandle, long, long, bool, Func{bool}?)"/>) and synced, which a rotation then
/// only names and heads.
/// Also cuts closed segments back to their last record, so their unused zeros do not hold the disk.
/// </summary>
/// <remarks>
/// Why a thread of its own: filling 64 MiB takes about 0.1 s on an idle disk and far longer on a busy one; on the
/// flush thread every reply under <c>always</c> would wait for it. The flush thread asks for the next segment once the
/// current one is half full, so a rotation normally finds it ready; it waits here only when a segment fills faster
/// than the next is prepared (or a snapshot's rotation follows another at once). A failure (disk full) is reported to
/// whoever takes the segment, and at once to the log (<c>reported</c>): the log then refuses new writes while the
/// current segment still has room for those already accepted. A failed attempt is tried again every retry interval
/// until one succeeds, which is reported too (writes resume), and the next request tries again from the start.
/// </remarks>
internal sealed class SegmentPreparer : IDisposable
{
    /// <summary>The extension of a prepared segment's temporary name; such files left by a crash are deleted at open.</summary>
    public const string Extension = ".prepared";

    private readonly string _directory;
    private readonly long _size;
    private readonly bool _writeZeros;
    private readonly TimeSpan _retry;
    private readonly Action<Exception?>? _reported;
    private readonly object _gate = new();
    private readonly Thread _thread;
    private readonly Queue<(SafeFileHandle Segment, long Length)> _trims = new();
    private PreparedSegment? _ready;
    private Exception? _failure;
    private bool _wanted;
    private bool _closing;
    private int _attempts;

    // Preparer thread only: whether the last attempt failed (so that the next success is reported).
    private bool _lastFailed;

    /// <summary>
    /// A preparer of <paramref name="size"/>-byte segments in <paramref name="directory"/>, filled with zeros when
    /// <paramref name="writeZeros"/> (under <c>always</c>), otherwise only allocated. <paramref name="reported"/> hears of
    /// a failed attempt (with its error) and of the first success after one (with null), on this preparer's thread and
    /// outside its lock; a failed attempt is tried again every <paramref name="retry"/> until one succeeds.
    /// </summary>
    public SegmentPreparer(string directory, long size, bool writeZeros, TimeSpan retry = default, Action<Exception?>? reported = null)
    {
        _directory = directory;
        _size = size;
        _writeZeros = writeZeros;
        _retry = retry;
        _reported = reported;
        _thread = new Thread(Run) { IsBackground = true, Name = "FastDht WAL prepare" };
        _thread.Start();
    }

    /// <summary>How many segments were prepared (statistics and tests).</summary>
    public int Prepared { get; private set; }

    /// <summary>Asks for a prepared segment unless one is ready or under way; a failed attempt is tried again.</summary>
    public void Request()
    {
        lock (_gate)
            RequestLocked();
    }

    /// <summary>Waits until a prepared segment is ready (asking for one if needed); throws <see cref="IOException"/> when preparing it failed or the log closes.</summary>
    public void WaitUntilReady()
    {
        lock (_gate)
            WaitLocked();
    }

    /// <summary>Takes the prepared segment, waiting for it if needed; throws <see cref="IOException"/> when preparing it failed or the log closes.</summary>
    public PreparedSegment Take()
    {
        lock (_gate)
        {
            WaitLocked();
            var ready = _ready!.Value;
            _ready = null;
            return ready;
        }
    }

    /// <summary>
    /// Disposes a ready segment (its folder was deleted, so its name is gone): the next <see cref="Take"/> prepares
    /// another. One being prepared in the deleted folder fails when it is named, and is prepared again then.
    /// </summary>
    public void DropReady()
    {
        lock (_gate)
        {
            _ready?.Handle.Dispose();
            _ready = null;
        }
    }

    /// <summary>Hands over a closed segment: it is cut back to <paramref name="length"/> (its last record) and closed.</summary>
    public void Trim(SafeFileHandle segment, long length)
    {
        lock (_gate)
        {
            if (_closing)
            {
                segment.Dispose();
                return;
            }
            _trims.Enqueue((segment, length));
            Monitor.PulseAll(_gate);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _closing = true;
            Monitor.PulseAll(_gate);
        }
        _thread.Join();
    }

    private void RequestLocked()
    {
        if (_ready is not null || _wanted || _closing)
            return;
        _wanted = true;
        _failure = null;
        Monitor.PulseAll(_gate);
    }

    private void WaitLocked()
    {
        RequestLocked();
        while (_ready is null)
        {
            if (_closing)
                throw new IOException("the log is closing");
            if (!_wanted && _failure is { } failure)
                throw new IOException($"cannot reserve the next log segment ({_size} bytes) in {_directory}: {failure.Message}", failure);
            Monitor.Wait(_gate);
        }
    }

    private void Run()
    {
        while (true)
        {
            (SafeFileHandle Segment, long Length)? trim = null;
            lock (_gate)
            {
                while (!_closing && _trims.Count == 0 && !_wanted)
                {
                    if (_failure is null || _ready is not null || _retry <= TimeSpan.Zero)
                    {
                        Monitor.Wait(_gate);
                    }
                    else if (!Monitor.Wait(_gate, _retry) && _failure is not null && _ready is null)
                    {
                        // Nobody asked meanwhile: try again by itself, so that writes resume once space returns even
                        // when no rotation is due (the log refuses writes until a next segment is ready).
                        _wanted = true;
                        _failure = null;
                    }
                }
                if (_closing)
                    break;
                if (_trims.Count > 0)
                    trim = _trims.Dequeue();
            }
            if (trim is { } closed)
            {
                TrimClosed(closed.Segment, closed.Length);
                continue;
            }
            PreparedSegment? prepared = null;
            Exception? error = null;
            try
            {
                prepared = Prepare();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = e;
            }
            lock (_gate)
            {
                _wanted = false;
                if (prepared is { } done && !_closing)
                {
                    _ready = done;
                    Prepared++;
                }
                else
                {
                    prepared?.Handle.Dispose();
                    _failure = error ?? new IOException("the log is closing");
                }
                Monitor.PulseAll(_gate);
            }
            if (error is not null)
            {
                _lastFailed = true;
                _reported?.Invoke(error);
            }
            else if (prepared is not null && _lastFailed)
            {
                _lastFailed = false;
                _reported?.Invoke(null);
            }
        }
        lock (_gate)
        {
            while (_trims.Count > 0)
                _trims.Dequeue().Segment.Dispose();
            _ready?.Handle.Dispose();
            _ready = null;
        }
    }

    /// <summary>Creates a new temporary file and reserves it to the segment size; null when the log closed meanwhile.</summary>
    private PreparedSegment? Prepare()
    {
        var path = Path.Combine(_directory, $"next-{++_attempts}{Extension}");
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            if (!SegmentFile.Reserve(handle, 0, _size, _writeZeros, () => Volatile.Read(ref _closing)))
            {
                Discard(handle, path);
                return null;
            }
            // The allocation (and the new size) is committed now: with zeros, no later sync of a record written over
            // them has metadata to flush; allocated only, the first sync after a write into a block still converts it.
            SegmentFile.SyncData(handle);
            return new PreparedSegment(handle, path);
        }
        catch
        {
            Discard(handle, path); // a full disk: give the space back at once
            throw;
        }
    }

    private static void Discard(SafeFileHandle handle, string path)
    {
        handle.Dispose();
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Deleted at the next open.
        }
    }

    private static void TrimClosed(SafeFileHandle segment, long length)
    {
        try
        {
            // No sync: a cut that a crash loses leaves zeros after the last record, which recovery reads as the segment's end.
            if (RandomAccess.GetLength(segment) > length)
                RandomAccess.SetLength(segment, length);
        }
        catch (IOException)
        {
            // The zeros stay: harmless, the segment is dropped with the log before the next snapshot.
        }
        finally
        {
            segment.Dispose();
        }
    }
}

