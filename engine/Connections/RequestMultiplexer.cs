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
/// counter that skips ids still in use. After <see cref="FailAll"/> the multiplexer refuses new registrations, so
/// nothing is registered on a dead connection and left to hang.
/// The dictionary grows to the high-water mark of requests in flight and is then reused: no allocation per request.
/// </remarks>
internal sealed class RequestMultiplexer
{
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, PendingRequest> _pending = new();
    private uint _nextId;
    private bool _closed;
    private StatusCode _closedStatus;
    private string _closedMessage = "";

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

    /// <summary>Assigns an id and records the request until it is answered or times out.</summary>
    /// <returns>False (and <paramref name="status"/>/<paramref name="message"/> say why) when the connection already failed.</returns>
    public bool TryRegister(PendingRequest request, TimeSpan timeout, out uint id, out StatusCode status, out string message)
    {
        request.DeadlineTicks = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
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
            while (!_pending.TryAdd(id, request));
        }
        status = StatusCode.Ok;
        message = "";
        return true;
    }

    /// <summary>Removes a request whose frame could not be sent; the caller completes it.</summary>
    public bool TryRemove(uint id, out PendingRequest request)
    {
        lock (_lock)
            return _pending.Remove(id, out request!);
    }

    /// <summary>Completes the request a response answers; false when none is waiting (it timed out, or the id is unknown).</summary>
    public bool Complete(in FrameHeader header, in ReadOnlySequence<byte> body)
    {
        PendingRequest? request;
        lock (_lock)
        {
            if (!_pending.Remove(header.RequestId, out request))
                return false;
        }
        request.OnResponse(header, body);
        return true;
    }

    /// <summary>Fails every waiting request and refuses new ones: the connection is gone.</summary>
    public void FailAll(StatusCode status, string message)
    {
        PendingRequest[] failed;
        lock (_lock)
        {
            if (!_closed)
            {
                _closed = true;
                _closedStatus = status;
                _closedMessage = message;
            }
            if (_pending.Count == 0)
                return;
            failed = new PendingRequest[_pending.Count];
            _pending.Values.CopyTo(failed, 0);
            _pending.Clear();
        }
        foreach (var request in failed)
            request.OnFailure(status, message);
    }

    /// <summary>Fails the requests whose deadline has passed with <see cref="StatusCode.Timeout"/>; called by a periodic sweeper.</summary>
    /// <returns>How many timed out.</returns>
    public int FailExpired(long nowTicks, string message)
    {
        List<KeyValuePair<uint, PendingRequest>>? expired = null;
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
        }
        foreach (var entry in expired)
            entry.Value.OnFailure(StatusCode.Timeout, message);
        return expired.Count;
    }
}
