using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Transport;
using FastDht.Protocol;

namespace FastDht.Engine.Connections;

/// <summary>
/// A connection that speaks the native protocol: one read loop parses frames in place, hands requests to the
/// subclass and completes responses through <see cref="Requests"/>; writers go through the connection's writer lock.
/// </summary>
/// <remarks>
/// The read loop follows the pipe contract exactly: parse every whole frame in the buffer, advance past them
/// (examined = end, so an incomplete frame waits for more bytes instead of being rescanned), flush the responses the
/// batch produced once, and only then look at IsCompleted, so the last frames before a close are still served.
/// Responses written while parsing are released without a flush and flushed together at the end of the batch:
/// one send for a pipelined batch.
/// </remarks>
internal abstract class FrameSession
{
    private byte[]? _scratch;
    private bool _dirty;
    // The response bytes the current batch has written and not flushed (counted while MaxHeldResponseBytes is on).
    private long _heldBytes;

    protected FrameSession(SocketConnection connection, ProtocolLimits receiveLimits)
    {
        Connection = connection;
        ReceiveLimits = receiveLimits;
    }

    public SocketConnection Connection { get; }

    /// <summary>Requests this side sent on the connection and is waiting for.</summary>
    public RequestMultiplexer Requests { get; } = new();

    /// <summary>What this side accepts; frames over it close the connection.</summary>
    protected ProtocolLimits ReceiveLimits { get; }

    /// <summary>The largest frame the other side accepts (from its Hello); nothing larger may be sent to it.</summary>
    public int SendLimit { get; protected set; } = ProtocolLimits.DefaultMaxFrameSize;

    /// <summary>When the session started (<see cref="Environment.TickCount64"/>): CLIENT LIST's age.</summary>
    public long StartedTicks { get; } = Environment.TickCount64;

    /// <summary>This connection's id, unique in the process: its lock-table session (its locks end with it) and its CLIENT LIST id.</summary>
    public long SessionId { get; } = SessionIds.Next();

    /// <summary>When bytes last arrived (<see cref="Environment.TickCount64"/>): a peer link that is silent for long is dead.</summary>
    public long LastReceiveTicks { get; private set; } = Environment.TickCount64;

    /// <summary>When the last whole frame arrived (<see cref="Environment.TickCount64"/>): bytes trickled without ever completing a frame do not count.</summary>
    public long LastFrameTicks { get; private set; } = Environment.TickCount64;

    /// <summary>Runs the read loop until the connection closes or the subclass stops it; then fails what is pending.</summary>
    public async Task RunAsync()
    {
        var input = Connection.Input;
        Exception? failure = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                Connection.OnInputArrived();
                LastReceiveTicks = Environment.TickCount64;
                var buffer = result.Buffer;
                var stop = false;
                var frames = false;
                try
                {
                    while (!stop)
                    {
                        // Closed under the loop (the peer reset the connection, or the node closed it: an output
                        // limit, a drain's end): the frames still in the input are dropped, as the RESP session drops
                        // its commands. Running them answered no one: a client that pipelined Gets of a 4 MiB value
                        // and reset kept its session building every queued reply for a closed pipe.
                        if (Connection.IsClosed)
                        {
                            stop = true;
                            break;
                        }
                        if (!FrameReader.TryReadFrame(ref buffer, ReceiveLimits, out var frame, out var error))
                        {
                            if (!error.IsNone)
                            {
                                await OnMalformedFrameAsync(frame.Header, error).ConfigureAwait(false);
                                stop = true;
                            }
                            break;
                        }
                        frames = true;
                        if (frame.Header.IsResponse && OnResponse(frame))
                            continue;
                        var handled = OnRequestAsync(frame);
                        stop = handled.IsCompletedSuccessfully ? !handled.Result : !await handled.ConfigureAwait(false);
                        if (!stop && _heldBytes >= MaxHeldResponseBytes && MaxHeldResponseBytes > 0)
                            await FlushAsync().ConfigureAwait(false);
                    }
                }
                finally
                {
                    // A client's memory budget counts what the input holds, and how long a frame stays unfinished.
                    Connection.OnInputConsumed(result.Buffer.Length - buffer.Length, buffer.Length);
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
                if (frames)
                    LastFrameTicks = LastReceiveTicks;
                OnBatchEnd();
                await FlushAsync().ConfigureAwait(false);
                if (stop || result.IsCompleted || result.IsCanceled)
                    break;
                Connection.OnWaitingForInput();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure = e;
        }
        finally
        {
            ReturnScratch();
            await OnClosedAsync(failure).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The response bytes one batch may hold before the read loop flushes them and waits for the peer to take them; 0
    /// (the default): the whole batch is flushed once, at its end. Client sessions set it: without it a read of pipelined
    /// Gets of a large value (the input pipe holds up to twice the maximum frame) built every response before sending any,
    /// gigabytes for a client that reads nothing, as the RESP session did before its own bound. A client session holds its
    /// forwards to the same bound (the answers relayed off this loop: ClientSession.RelaysOverBound).
    /// </summary>
    protected long MaxHeldResponseBytes { get; init; }

    /// <summary>The frames of one read are handled, their responses about to be flushed: the place to add per-batch counts.</summary>
    protected virtual void OnBatchEnd()
    {
    }

    /// <summary>Handles one request frame (and a response frame <see cref="OnResponse"/> did not take); false stops the session (after its responses are flushed).</summary>
    protected abstract ValueTask<bool> OnRequestAsync(Frame frame);

    /// <summary>A frame the protocol cannot read past: answer if possible, then the loop stops.</summary>
    protected abstract ValueTask OnMalformedFrameAsync(FrameHeader header, ProtocolError error);

    /// <summary>The read loop ended: the connection closed, failed, or was stopped.</summary>
    protected abstract ValueTask OnClosedAsync(Exception? failure);

    /// <summary>Completes the request a response answers; responses to nothing (timed out already) are dropped.</summary>
    /// <returns>True when the frame was taken as a response; false hands it to <see cref="OnRequestAsync"/> (a side that never sends requests refuses it there).</returns>
    protected virtual bool OnResponse(in Frame frame)
    {
        Requests.Complete(frame.Header, frame.Body);
        return true;
    }

    /// <summary>
    /// The one way the read loop answers a request: writes <paramref name="reply"/> under the writer lock, released
    /// unflushed (the end of the batch flushes once). Takes the lock synchronously when it is free; otherwise waits on a
    /// separate pooled slow path, so the uncontended answer allocates nothing.
    /// </summary>
    /// <returns>False when the connection is closed (the reply is dropped): the caller stops the session.</returns>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    protected ValueTask<bool> ReplyAsync<TReply>(TReply reply)
        where TReply : struct, IReply
    {
        if (Connection.TryEnterWrite(out var writer))
        {
            reply.Write(writer);
            CountHeld(writer);
            EndResponse();
            return new ValueTask<bool>(true);
        }
        return ReplySlowAsync(reply);
    }

    /// <summary>Answers a request with an error and keeps the connection.</summary>
    protected ValueTask<bool> ReplyErrorAsync(in FrameHeader header, StatusCode status, string message)
    {
        OnAnswered(header.Opcode, status);
        return ReplyAsync(new ErrorReply(header.RequestId, header.Opcode, status, message));
    }

    /// <summary>A request read in this batch was answered on the read loop with <paramref name="status"/>: the place to count it (client sessions do, for metrics).</summary>
    protected internal virtual void OnAnswered(Opcode opcode, StatusCode status)
    {
    }

    /// <summary>Whether a request refused as Moving is better sent on after the handover than answered (a client that keeps no slot table); peers are answered.</summary>
    protected internal virtual bool DefersMoving(in FrameHeader header) => false;

    /// <summary>Sends a request on to its key's owner once the handover of its slot is over (only where <see cref="DefersMoving"/> said so); the answer is owed meanwhile.</summary>
    protected internal virtual void DeferMoving(in Frame frame) =>
        throw new InvalidOperationException("this session answers Moving");

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReplySlowAsync<TReply>(TReply reply)
        where TReply : struct, IReply
    {
        // The reply may be written from another thread: take the log mark of what this thread appended (the request
        // that ran here) now; what the reply itself runs when written is taken by EndResponse on that thread.
        Durability?.HoldThisThreadsWrites(Connection);
        var writer = await EnterSlowAsync(Connection).ConfigureAwait(false);
        if (writer is null)
            return false;
        reply.Write(writer);
        CountHeld(writer);
        EndResponse();
        return true;
    }

    /// <summary>With the writer lock held, after a response of the read loop: how much the batch holds unflushed.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void CountHeld(PipeWriter writer)
    {
        if (MaxHeldResponseBytes > 0)
            _heldBytes = writer.UnflushedBytes;
    }

    /// <summary>
    /// Answers off the read loop (a relayed forward, a lock granted later): writes and flushes at once, since the
    /// batch's flush is long gone. Never waits on the calling thread: a busy writer lock means finishing in the
    /// background. A closed connection drops the reply.
    /// </summary>
    /// <remarks><paramref name="reply"/> must not point into a receive pipe; use <see cref="TrySendNow{TReply}"/> first for that.</remarks>
    public void Send<TReply>(TReply reply)
        where TReply : struct, IReply
    {
        if (!TrySendNow(reply))
            _ = SendLaterAsync(reply);
    }

    /// <summary>The fast path of <see cref="Send{TReply}"/> alone: writes and flushes if the writer lock is free, else returns false having written nothing.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public bool TrySendNow<TReply>(in TReply reply)
        where TReply : struct, IReply
    {
        if (!Connection.TryEnterWrite(out var writer))
            return false;
        reply.Write(writer);
        Observe(Connection.ExitWriteAsync(flush: true));
        return true;
    }

    /// <summary>The slow path of <see cref="Send{TReply}"/>: waits for the writer lock, writes, flushes; completes when done or dropped.</summary>
    public async Task SendLaterAsync<TReply>(TReply reply)
        where TReply : struct, IReply
    {
        try
        {
            var writer = await EnterSlowAsync(Connection).ConfigureAwait(false);
            if (writer is null)
                return;
            reply.Write(writer);
            await Connection.ExitWriteAsync(flush: true).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or OperationCanceledException or IOException)
        {
            // The other side went away meanwhile: nobody is left to answer.
        }
    }

    /// <summary>The body of a frame as one span: in place when it lies in one segment, else copied to a reused buffer.</summary>
    protected internal ReadOnlySpan<byte> BodyOf(in Frame frame)
    {
        if (frame.Body.IsSingleSegment)
            return frame.Body.FirstSpan;
        var length = frame.Header.BodyLength;
        if (_scratch is null || _scratch.Length < length)
        {
            ReturnScratch();
            _scratch = ArrayPool<byte>.Shared.Rent(length);
        }
        return frame.GetBodySpan(_scratch);
    }

    /// <summary>Takes the writer lock for a response, without waiting if it is free.</summary>
    /// <returns>Null when the connection is closed (the response is then dropped).</returns>
    protected ValueTask<PipeWriter?> BeginResponseAsync()
    {
        if (Connection.TryEnterWrite(out var writer))
            return new ValueTask<PipeWriter?>(writer);
        return EnterSlowAsync(Connection);
    }

    /// <summary>Holds replies until the writes they acknowledge are durable; null when the node keeps its keys in memory only (and on the client side).</summary>
    protected virtual Keyspace.ReplyGuard? Durability => null;

    /// <summary>Releases the writer lock without flushing; the end of the batch flushes.</summary>
    /// <remarks>
    /// With a log, the response just written may acknowledge a write this thread appended: the connection's flushes
    /// are held until it is durable (<see cref="Keyspace.ReplyGuard"/>). A response whose work ran on another thread
    /// must take its mark there (or hold for everything appended) before it gets here.
    /// </remarks>
    protected void EndResponse()
    {
        Durability?.HoldThisThreadsWrites(Connection);
        // A release without a flush completes synchronously; nothing to await.
        _ = Connection.ExitWriteAsync(flush: false);
        _dirty = true;
    }

    /// <summary>Flushes the responses the current batch wrote, if any.</summary>
    protected async ValueTask FlushAsync()
    {
        if (!_dirty)
            return;
        _dirty = false;
        _heldBytes = 0;
        var writer = await BeginResponseAsync().ConfigureAwait(false);
        if (writer is not null)
            await Connection.ExitWriteAsync(flush: true).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a request and returns its answer: registered under a fresh id, written under the writer lock, flushed,
    /// completed by the read loop. A closed connection, an oversized frame, the timeout or cancellation answer with an
    /// error status and a message instead of throwing (cancellation: status Timeout, <see cref="CancelRequest.CanceledMessage"/>).
    /// </summary>
    /// <remarks>
    /// The flush is not awaited: when the receiver stops reading, the caller's wait is still bounded by the request's
    /// timeout (the sweeper fails it), and the flush finishes, or fails with the connection, in the background.
    /// <paramref name="inDoubtIfLost"/>: the request is a client's command sent on to its owner; if the connection is
    /// lost once it was written, it fails as Timeout (its outcome unknown), not NodeUnavailable (<see cref="PendingRequest.InDoubtIfLost"/>).
    /// </remarks>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ResponseResult> CallAsync<TRequest>(
        TRequest request,
        ResponseShape shape,
        TimeSpan timeout,
        ushort targetNodeId,
        bool inlineContinuations = false,
        CancellationToken cancellationToken = default,
        bool inDoubtIfLost = false)
        where TRequest : struct, IFrameRequest
    {
        if (request.FrameLength - 4 > SendLimit)
            return new ResponseResult(StatusCode.FrameTooLarge, null, $"the request ({request.FrameLength} bytes) is larger than the receiver accepts ({SendLimit} bytes)");
        var pending = AwaitableRequest.Rent(shape, inlineContinuations);
        pending.TargetNodeId = targetNodeId;
        var response = pending.AsValueTask();
        if (!Requests.TryRegister(pending, timeout, out var id, out var status, out var message))
        {
            pending.OnFailure(status, message);
            return await response.ConfigureAwait(false);
        }
        var writer = Connection.TryEnterWrite(out var free) ? free : await EnterSlowAsync(Connection).ConfigureAwait(false);
        if (writer is null)
        {
            if (Requests.TryRemove(id, out _))
                pending.OnFailure(StatusCode.NodeUnavailable, "the connection closed before the request was sent");
            return await response.ConfigureAwait(false);
        }
        // Marked only now that it is written (registered first, so the sweeper bounds the wait for the writer lock): a
        // loss before this answers unavailable, after it in doubt. Safe on a pooled request: it goes back to the pool
        // only when this method reads its result.
        if (inDoubtIfLost)
            Volatile.Write(ref pending.InDoubtIfLost, true);
        request.Write(writer, id);
        Observe(Connection.ExitWriteAsync(flush: true));
        if (!cancellationToken.CanBeCanceled)
            return await response.ConfigureAwait(false);
        // Only a cancellable call pays for a registration (one small object); the usual call allocates nothing.
        using var registration = cancellationToken.UnsafeRegister(static state => ((CancelRequest)state!).Run(), new CancelRequest(this, id));
        return await response.ConfigureAwait(false);
    }

    /// <summary>Consumes a flush without waiting for it: when it did not complete at once (back-pressure), it finishes in the background.</summary>
    internal static void Observe(ValueTask<bool> flushing)
    {
        if (!flushing.IsCompletedSuccessfully)
            _ = ObserveFlushAsync(flushing);
    }

    private static async Task ObserveFlushAsync(ValueTask<bool> flushing)
    {
        try
        {
            await flushing.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The connection failed while flushing; its read loop fails every waiting request.
        }
    }

    /// <summary>Takes the writer lock, waiting if needed; null when the connection is closed.</summary>
    internal static async ValueTask<PipeWriter?> EnterSlowAsync(SocketConnection connection)
    {
        try
        {
            return await connection.EnterWriteAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    private void ReturnScratch()
    {
        if (_scratch is not null)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = null;
        }
    }
}
