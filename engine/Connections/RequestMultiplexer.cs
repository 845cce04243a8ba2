using System.Buffers;
using FastDht.Protocol;

namespace FastDht.Engine.Connections;

/// <summary>
/// Request ids for one connection that sends requests, and the table matching each response to its request.
/// </summary>
/// <remarks>
/// Requirements: many threads send on one connection while its read loop completes responses in any order (a lock
/// wait at the owner must not hold up the requests behind it); a response, a timeout and a connection failure may
/// race for one request, and exactly one of them may complete it.
/// Design: one short lock around a dictionary keyed by request id. Whoever removes the entry owns the completion;
/// the loser finds nothing and does nothing, so a late response after a timeout is dropped. Ids are a wrapping u32
/// counter that skips ids still in use, and 0: a node's going-away notice to a client carries id 0 (docs/protocol.md
/// §3), so no request may. After <see cref="FailAll"/> (or <see cref="TryCloseIfIdle"/>) the multiplexer refuses new
/// registrations, so nothing is registered on a dead connection and left to hang.
/// The dictionary grows to the high-water mark of requests in flight and is then reused: no allocation per request.
/// Forward window: a node forwarding its clients' commands asks <see cref="HasRoomForForward"/> before each one and,
/// when <see cref="ForwardWindow"/> requests are in flight, stops reading its client until the owner has answered half of
/// them (<see cref="WaitForRoomAsync"/>). Without it a pipelined flood through a non-owner queued as many forwards as the
/// socket buffers and pipes of both directions hold (300,000 at 2 M SETs through `redis-cli --pipe`, answered up to 4 s
/// later at load 20): their timeout, which runs from registration, fired on requests the owner had simply not reached yet.
/// With the window a forward waits at most a window's worth of the owner's work, and the flood waits in the client's
/// socket (TCP back-pressure), as it does at a node that owns every key. Peer calls (heartbeats, transactions, moves)
/// never wait for the window: they are few, and must not queue behind a client's flood.
/// </remarks>
internal sealed class RequestMultiplexer
{
    /// <summary>Requests in flight at which a forwarding session waits for room: about 300 KB of small forwards, a few ms of the owner's work.</summary>
    public const int ForwardWindow = 4096;

    /// <summary>In flight at or below which the sessions waiting for room go on: half the window, so they wake once per half window, not per answer.</summary>
    private const int RoomMark = ForwardWindow / 2;

    private readonly Lock _lock = new();
    private readonly Dictionary<uint, PendingRequest> _pending = new();
    private uint _nextId;
    private bool _closed;
    private StatusCode _closedStatus;
    private string _closedMessage = "";

    // _pending.Count, readable without the lock (written under it).
    private int _inFlight;

    // Created by the first session that finds the window full, completed (asynchronously) when room is back: one per full window, shared by every waiter.
    private TaskCompletionSource? _room;

    /// <summary>Requests awaiting an answer.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _pending.Count;
        }
    }

    public bool IsClosed
    {
        get
        {
            lock (_lock)
                return _closed;
        }
    }

    /// <summary>Whether a forward may be sent now: fewer than <see cref="ForwardWindow"/> requests are in flight. One volatile read.</summary>
    public bool HasRoomForForward => Volatile.Read(ref _inFlight) < ForwardWindow;

    /// <summary>Completes when a forward may be sent again: in flight has fallen to half the window, or the connection failed (registering then fails at once).</summary>
    /// <remarks>
    /// Bounded: every request in flight ends within its timeout, by its answer, the sweeper or the connection's failure.
    /// The caller must have flushed what it wrote to this connection, or its own forwards could be the ones never answered.
    /// </remarks>
    public Task WaitForRoomAsync()
    {
        lock (_lock)
        {
            if (_closed || _pending.Count < ForwardWindow)
                return Task.CompletedTask;
            // Asynchronous continuations: the answer that frees the room arrives on the link's read loop, which must not run a session.
            return (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>Assigns an id and records the request until it is answered or times out.</summary>
    /// <remarks>
    /// <paramref name="inDoubtIfLost"/>: the request is a client's command and its sender registers it holding the
    /// connection's writer lock, writing its frame right after: from now on a loss of the connection leaves its outcome
    /// unknown (<see cref="PendingRequest.InDoubtIfLost"/>). False resets the mark (requests are pooled); a sender that
    /// registers before it holds the lock sets the mark itself once it does.
    /// </remarks>
    /// <returns>False (and <paramref name="status"/>/<paramref name="message"/> say why) when the connection already failed.</returns>
    public bool TryRegister(PendingRequest request, TimeSpan timeout, out uint id, out StatusCode status, out string message, bool inDoubtIfLost = false)
    {
        request.DeadlineTicks = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        request.InDoubtIfLost = inDoubtIfLost;
        lock (_lock)
        {
            if (_closed)
            {
                id = 0;
                status = _closedStatus;
                message = _closedMessage;
                return false;
            }
            do
            {
                id = ++_nextId;
            }
            while (id == 0 || !_pending.TryAdd(id, request));
            _inFlight = _pending.Count;
        }
        status = StatusCode.Ok;
        message = "";
        return true;
    }

    /// <summary>Removes a request whose frame could not be sent; the caller completes it.</summary>
    public bool TryRemove(uint id, out PendingRequest request)
    {
        TaskCompletionSource? room;
        bool removed;
        lock (_lock)
        {
            removed = _pending.Remove(id, out request!);
            room = Removed();
        }
        room?.TrySetResult();
        return removed;
    }

    /// <summary>Completes the request a response answers; false when none is waiting (it timed out, or the id is unknown).</summary>
    public bool Complete(in FrameHeader header, in ReadOnlySequence<byte> body)
    {
        PendingRequest? request;
        TaskCompletionSource? room;
        lock (_lock)
        {
            if (!_pending.Remove(header.RequestId, out request))
                return false;
            room = Removed();
        }
        room?.TrySetResult();
        request.OnResponse(header, body);
        return true;
    }

    /// <summary>
    /// Refuses every registration from now on, as <see cref="FailAll"/> would, but only when no request is waiting: a
    /// connection being retired closes once the last answer it waits for is in, and a request registered concurrently
    /// either comes first (the close waits for its answer) or is refused with <paramref name="status"/>, never sent.
    /// </summary>
    /// <returns>True when this call closed the multiplexer; false when requests are waiting or it was closed already.</returns>
    public bool TryCloseIfIdle(StatusCode status, string message)
    {
        lock (_lock)
        {
            if (_closed || _pending.Count != 0)
                return false;
            _closed = true;
            _closedStatus = status;
            _closedMessage = message;
            return true;
        }
    }

    /// <summary>Fails every waiting request and refuses new ones: the connection is gone.</summary>
    /// <remarks>
    /// With <paramref name="inDoubtMessage"/>, the requests sent as <see cref="PendingRequest.InDoubtIfLost"/> fail with
    /// <see cref="StatusCode.Timeout"/> and that message instead: they were written, so the other side may have run them.
    /// New registrations are still refused with <paramref name="status"/>: those are never sent.
    /// </remarks>
    public void FailAll(StatusCode status, string message, string? inDoubtMessage = null)
    {
        PendingRequest[] failed;
        TaskCompletionSource? room;
        lock (_lock)
        {
            if (!_closed)
            {
                _closed = true;
                _closedStatus = status;
                _closedMessage = message;
            }
            // Waiters go on and find the connection closed.
            room = _room;
            _room = null;
            if (_pending.Count == 0)
            {
                failed = [];
            }
            else
            {
                failed = new PendingRequest[_pending.Count];
                _pending.Values.CopyTo(failed, 0);
                _pending.Clear();
            }
            _inFlight = 0;
        }
        room?.TrySetResult();
        foreach (var request in failed)
        {
            if (inDoubtMessage is not null && Volatile.Read(ref request.InDoubtIfLost))
                request.OnFailure(StatusCode.Timeout, inDoubtMessage);
            else
                request.OnFailure(status, message);
        }
    }

    /// <summary>Fails the requests whose deadline has passed with <see cref="StatusCode.Timeout"/>; called by a periodic sweeper.</summary>
    /// <remarks><paramref name="inDoubtMessage"/>, when given: the message of the expired <see cref="PendingRequest.InDoubtIfLost"/> requests (a client's commands: say that they may have been applied).</remarks>
    /// <returns>How many timed out.</returns>
    public int FailExpired(long nowTicks, string message, string? inDoubtMessage = null)
    {
        List<KeyValuePair<uint, PendingRequest>>? expired = null;
        TaskCompletionSource? room;
        lock (_lock)
        {
            foreach (var entry in _pending)
            {
                if (entry.Value.DeadlineTicks <= nowTicks)
                    (expired ??= []).Add(entry);
            }
            if (expired is null)
                return 0;
            foreach (var entry in expired)
                _pending.Remove(entry.Key);
            room = Removed();
        }
        room?.TrySetResult();
        foreach (var entry in expired)
            entry.Value.OnFailure(StatusCode.Timeout, inDoubtMessage is not null && Volatile.Read(ref entry.Value.InDoubtIfLost) ? inDoubtMessage : message);
        return expired.Count;
    }

    /// <summary>Under the lock, after a removal: the waiters to wake when in flight has fallen to the mark, else null.</summary>
    private TaskCompletionSource? Removed()
    {
        var count = _pending.Count;
        _inFlight = count;
        if (_room is null || count > RoomMark)
            return null;
        var room = _room;
        _room = null;
        return room;
    }
}
