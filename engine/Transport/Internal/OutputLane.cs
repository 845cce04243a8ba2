using System.Buffers;

namespace FastDht.Engine.Transport.Internal;

/// <summary>
/// The frames of a fragmenting connection that keep their order behind a large frame: the large frames themselves,
/// which the send loop sends in pieces between the other frames, and every frame that may not pass them, sent whole
/// after them. Frames that may pass (answers, heartbeats) go through the output pipe meanwhile.
/// </summary>
/// <remarks>
/// Why a second queue and not the output pipe: a pipe is consumed from its front only, and its back-pressure holds the
/// writer lock while a large frame drains, so nothing written after a large frame could leave before it. Bounded: a
/// writer that leaves more than <see cref="RoomLimit"/> queued behind the frame being sent waits (after releasing the
/// writer lock) until the send loop has taken it down, so a link holds about one large frame and a mebibyte besides.
/// </remarks>
internal sealed class OutputLane
{
    /// <summary>How many bytes may wait behind the frame being sent before writers wait: 1 MiB, as the output pipe's pause.</summary>
    public const long RoomLimit = 1 << 20;

    private readonly object _gate = new();
    private readonly Queue<LaneFrame> _frames = new();
    private int _count;
    // How many frames from the front may be sent: a frame is queued when its writer releases the lock, and may go only
    // once that writer's flush has passed the connection's output barriers (a reply acknowledging a write leaves only
    // once the write is durable), as the output pipe's bytes do. Frames are published in order, so a count says which.
    private int _published;
    private long _bytes;
    private TaskCompletionSource? _room;
    private bool _closed;

    /// <summary>Whether no frame waits: a frame that may not pass then goes through the output pipe.</summary>
    public bool IsEmpty => Volatile.Read(ref _count) == 0;

    /// <summary>Whether more than <see cref="RoomLimit"/> waits behind the frame being sent.</summary>
    public bool NeedsRoom
    {
        get
        {
            lock (_gate)
                return IsOverLimit();
        }
    }

    /// <summary>Queues a copy of <paramref name="frame"/>; called with the connection's writer lock held, so frames queue in the order written.</summary>
    public void Add(in ReadOnlySequence<byte> frame, bool inPieces, long afterPipeBytes)
    {
        var queued = new LaneFrame(frame, inPieces, afterPipeBytes);
        lock (_gate)
        {
            if (_closed)
            {
                queued.Release();
                return;
            }
            _frames.Enqueue(queued);
            _bytes += queued.Length;
            Volatile.Write(ref _count, _frames.Count);
        }
    }

    /// <summary>Every frame queued so far may be sent (a flush passed the output barriers); false when there was none new.</summary>
    public bool Publish()
    {
        lock (_gate)
        {
            if (_published == _frames.Count)
                return false;
            _published = _frames.Count;
            return true;
        }
    }

    /// <summary>The first frame, if it is published and the output pipe's bytes written before it (<see cref="LaneFrame.AfterPipeBytes"/>) are all sent.</summary>
    public LaneFrame? Ready(long pipeBytesSent)
    {
        if (Volatile.Read(ref _count) == 0)
            return null;
        lock (_gate)
            return !_closed && _published > 0 && _frames.TryPeek(out var head) && head.AfterPipeBytes <= pipeBytesSent ? head : null;
    }

    /// <summary>The send loop sent <paramref name="bytes"/> more of <paramref name="frame"/> (the first frame); a frame sent whole leaves the lane.</summary>
    public void OnSent(LaneFrame frame, int bytes)
    {
        frame.Sent += bytes;
        if (frame.Sent < frame.Length)
            return;
        TaskCompletionSource? room = null;
        lock (_gate)
        {
            if (_frames.TryPeek(out var head) && ReferenceEquals(head, frame))
            {
                _frames.Dequeue();
                _published--;
                _bytes -= frame.Length;
                Volatile.Write(ref _count, _frames.Count);
            }
            if (_room is not null && !IsOverLimit())
            {
                room = _room;
                _room = null;
            }
        }
        frame.Release();
        room?.TrySetResult();
    }

    /// <summary>Completes once no more than <see cref="RoomLimit"/> waits behind the frame being sent, or the lane is closed.</summary>
    public Task WaitForRoomAsync()
    {
        lock (_gate)
        {
            if (_closed || !IsOverLimit())
                return Task.CompletedTask;
            // Only a writer that queued past the bound waits: one object per wait, never on the usual path.
            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task;
        }
    }

    /// <summary>The connection is closed: nothing more is queued or sent, and waiting writers go on (their flush reports the close).</summary>
    public void Close()
    {
        TaskCompletionSource? room;
        lock (_gate)
        {
            _closed = true;
            room = _room;
            _room = null;
        }
        room?.TrySetResult();
    }

    /// <summary>Gives every queued frame's chunks back to the pool; only once the send loop has ended.</summary>
    public void ReleaseAll()
    {
        lock (_gate)
        {
            _closed = true;
            while (_frames.TryDequeue(out var frame))
                frame.Release();
            _bytes = 0;
            _published = 0;
            Volatile.Write(ref _count, 0);
        }
    }

    private bool IsOverLimit()
    {
        if (!_frames.TryPeek(out var head))
            return false;
        return _bytes - head.Length > RoomLimit;
    }
}
