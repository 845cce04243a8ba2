using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Engine.Transport;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// One RESP client connection: parses every command of a read in place, runs local keys on the store at once,
/// sends the others to their owners, and writes the replies back in command order.
/// </summary>
/// <remarks>
/// Requirements: Redis clients pipeline and expect replies in order, even when some commands wait on another node;
/// a batch with many remote keys must not wait for one round trip per key.
/// Design: the read loop holds the connection's writer lock for the whole batch (one lock and one flush per read).
/// While no remote reply is outstanding, replies go straight into the output pipe. A command for another node gets a
/// pooled <see cref="ReplySlot"/> in an ordered queue and its RespExecute frame is written (unflushed) to that
/// node's link; every later reply of the connection is queued behind it (local ones are written into the queue at
/// once, complete). At the end of the batch the touched links are flushed once each, and the completed prefix of
/// the queue is copied to the output. When an owner answers later, its slot is completed and, if it is now the
/// head, the completed prefix is written out by whoever gets the writer lock.
/// Invariant: slots leave the queue only under the writer lock, so within a batch the read loop may write into the
/// queue's tail without racing a drain. Lock order: writer lock, then the queue lock.
/// </remarks>
internal sealed partial class RespSession
{
    private readonly RespHost _host;
    private readonly RespServer _server;
    private readonly SocketConnection _connection;
    // Swapped only while EXEC runs a queued node command through the node's code (RespSession.RunQueue.cs).
    private RespCommand _command = new();
    private readonly RespLimits _limits;
    private readonly Lock _queueLock = new();
    private readonly Queue<ReplySlot> _queue = new();
    private readonly RequestOrder _order = new();
    private FrameSession?[] _touchedLinks;
    private int _touchedCount;
    private bool _inBatch;
    private bool _drainScheduled;
    private int _outstanding;
    private PipeWriter? _writer;
    private ReplySlot? _localTail;
    private long _batchCommands;
    // Set while the read loop waits for every remote reply ahead of a full local tail (HoldLessAsync).
    private TaskCompletionSource? _drained;

    // The reply bytes one batch may hold before the read loop sends them and waits for the client to take them.
    // Without it a read of pipelined GETs of a large value (the input pipe holds up to twice the maximum frame) built
    // every reply before sending any: gigabytes for a client that reads nothing (Redis's client-output-buffer-limit
    // case).
    private const long MaxHeldReplyBytes = 1024 * 1024;

    // Late replies count in what a batch holds too (HeldReplyBytes): the bytes of those completed and still queued
    // (under _queueLock), and, for those still owed, the recent largest late reply each (NoteLateReplySize; racy on
    // purpose). Without them a read of pipelined GETs of a large value another node owns forwarded every GET, and every
    // reply waited in its slot until the batch ended: up to the link's forward window (1,024) of values per read. The
    // estimate starts at 8 KiB, as a native session's floor (128 late replies owed before the first shows its size;
    // starting at the whole bound would make every new connection's pipelined commands wait behind its first remote
    // reply), and falls by an eighth per smaller reply with no floor, so deep pipelines of small replies are never held
    // back (HoldLessAsync waits for every late reply, not half).
    private const int InitialLateEstimate = 8 * 1024;
    private long _lateHeld;
    private int _lateEstimate = InitialLateEstimate;

    public RespSession(RespHost host, SocketConnection connection)
    {
        _host = host;
        _metrics = host.Statistics.Metrics;
        _server = host.Server;
        _connection = connection;
        ClientId = SessionIds.Next();
        _users = host.Users;
        _user = InitialUser;
        // A value travels to its owner inside one frame, so the frame size bounds a bulk argument too.
        _limits = host.RespLimits;
        // Grown on demand: the members (and so the links one batch can touch) change with the cluster state.
        _touchedLinks = new FrameSession?[4];
    }

    public long ClientId { get; }

    public async Task RunAsync()
    {
        var stats = _host.Statistics;
        stats.ClientConnected();
        _server.Register(this);
        var input = _connection.Input;
        var pushes = _host.Keyspace.Pushes;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                _connection.OnInputArrived();
                var buffer = result.Buffer;
                var stop = false;
                // One clock read per command: each command's time runs from the end of the one before it.
                var started = Stopwatch.GetTimestamp();
                try
                {
                    while (!stop)
                    {
                        // Closed under the loop (the client reset the connection, or the node closed it: eviction, an
                        // output limit): the commands still in the input are dropped, as Redis drops a freed client's
                        // query buffer. Running them answered no one: a client that pipelined GETs of a 4 MiB value
                        // for a few seconds and hung up left hundreds of thousands queued here, and the session spent
                        // minutes building replies for a closed pipe while it held its buffers (hundreds of MB each).
                        if (_connection.IsClosed)
                        {
                            stop = true;
                            break;
                        }
                        if (_prefetchLeft == 0)
                            PrefetchKeys(buffer);
                        if (!RespRequestReader.TryRead(ref buffer, _command, _limits, out var error))
                        {
                            if (error.IsError)
                            {
                                // Framing is lost: answer as Redis does, then hang up once the reply is out.
                                if (await EnterBatchAsync().ConfigureAwait(false))
                                    error.WriteTo(Target());
                                RespLog.ProtocolError(_host.Logger, _connection.RemoteEndPoint, error.Message);
                                stop = true;
                            }
                            break;
                        }
                        _batchCommands++;
                        if (_prefetchLeft > 0)
                            _prefetchLeft--;
                        if (_writer is null && !await EnterBatchAsync().ConfigureAwait(false))
                        {
                            stop = true;
                            break;
                        }
                        if (_server.HasMonitors)
                            FeedMonitors();
                        var pushed = pushes.Generation;
                        if (_replyMode is ReplyMode.Off or ReplyMode.Skip)
                            BeginSilentReply();
                        _tap.Arm();
                        var outcome = Execute();
                        if (outcome == Outcome.MustWait)
                            outcome = await ExecuteInOrderAsync().ConfigureAwait(false);
                        if (outcome == Outcome.NeedRoom)
                            outcome = await ExecuteWithRoomAsync().ConfigureAwait(false);
                        if (outcome == Outcome.AwaitHandover)
                            outcome = await AwaitHandoverAsync().ConfigureAwait(false);
                        if (outcome == Outcome.NeedLink)
                            outcome = await SendRemoteSlowAsync().ConfigureAwait(false);
                        if (outcome == Outcome.RunQueue)
                            outcome = await RunQueueAsync().ConfigureAwait(false);
                        if (outcome == Outcome.Block)
                            outcome = await BlockAsync().ConfigureAwait(false);
                        if (outcome == Outcome.WaitReplicas)
                            outcome = await WaitReplicasAsync().ConfigureAwait(false);
                        stop = outcome == Outcome.Stop;
                        if (_tracking != 0)
                            EndCachingHint();
                        if (!_tap.Error.IsEmpty)
                            CountError(_command.Kind, _tap.Error, _refused);
                        _tap.Disarm();
                        var finished = Stopwatch.GetTimestamp();
                        Account(_command.Kind, finished - started);
                        started = finished;
                        if (pushes.Generation != pushed && MayPush(_command.Kind))
                            await SettleBlockedAsync(pushes).ConfigureAwait(false);
                        if (_replyMode != ReplyMode.On || _silent)
                            EndReplyModeCommand();
                        if (!stop && HeldReplyBytes >= MaxHeldReplyBytes)
                            await HoldLessAsync().ConfigureAwait(false);
                    }
                }
                finally
                {
                    // The client memory budget counts what the input holds, and how long a command stays unfinished.
                    _connection.OnInputConsumed(result.Buffer.Length - buffer.Length, buffer.Length);
                    _connection.OnParserMemory(_command.RetainedBytes);
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
                await EndBatchAsync().ConfigureAwait(false);
                if (stop || result.IsCompleted || result.IsCanceled)
                    break;
                _connection.OnWaitingForInput();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            RespLog.SessionFailed(_host.Logger, _connection.RemoteEndPoint, e);
            await EndBatchAsync().ConfigureAwait(false);
        }
        finally
        {
            await CloseAsync().ConfigureAwait(false);
            _server.Unregister(this);
            stats.ClientDisconnected();
        }
    }

    /// <summary>
    /// The command touches a key of a transaction of this connection that has not taken effect yet: send out what the
    /// batch has so far, wait for the transaction, then run the command (its bytes stay in the unadvanced input).
    /// </summary>
    private async ValueTask<Outcome> ExecuteInOrderAsync()
    {
        var outcome = Outcome.MustWait;
        // Bounded: each round waits for one of this connection's transactions to end, and none starts meanwhile.
        while (outcome == Outcome.MustWait)
        {
            await EndBatchAsync().ConfigureAwait(false);
            await WhenMayGoOnAsync().ConfigureAwait(false);
            if (!await EnterBatchAsync().ConfigureAwait(false))
                return Outcome.Stop;
            outcome = Execute();
        }
        return outcome;
    }

    /// <summary>
    /// What a command answered <see cref="Outcome.MustWait"/> waits for: every reply still outstanding when forwards
    /// sent under an older cluster state are among them (<see cref="ForwardedUnderOlderState"/>), else the end of one
    /// of this connection's running transactions.
    /// </summary>
    private Task WhenMayGoOnAsync()
    {
        if (!ForwardedUnderOlderState(_host.Cluster.Current.Epoch))
            return _order.WhenSomeEndsAsync();
        lock (_queueLock)
        {
            if (_outstanding == 0)
                return Task.CompletedTask;
            return (_drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>
    /// The owner's link has a full window of forwards in flight (<see cref="RequestMultiplexer.ForwardWindow"/>): send out
    /// what the batch has so far (this connection's own forwards included), wait until the owner has answered half of
    /// them, then run the command again (its bytes stay in the unadvanced input; its owner may have changed meanwhile).
    /// This connection reads nothing more meanwhile, so a flood waits in the client's socket, not in the links' buffers.
    /// </summary>
    private async ValueTask<Outcome> ExecuteWithRoomAsync()
    {
        var outcome = Outcome.NeedRoom;
        // Bounded: each round waits for forwards in flight to end, and they end within the forward timeout.
        while (outcome is Outcome.NeedRoom or Outcome.MustWait)
        {
            await EndBatchAsync().ConfigureAwait(false);
            if (outcome == Outcome.NeedRoom)
            {
                var link = _pendingLink!;
                _pendingLink = null;
                await link.Requests.WaitForRoomAsync().ConfigureAwait(false);
            }
            else
            {
                await WhenMayGoOnAsync().ConfigureAwait(false);
            }
            if (!await EnterBatchAsync().ConfigureAwait(false))
                return Outcome.Stop;
            outcome = Execute();
        }
        return outcome;
    }

    /// <summary>
    /// The reply bytes the batch holds: where the current command's reply goes (the local tail of the queue, or the output
    /// not yet flushed), the late replies completed and still queued, and an estimate of those still owed.
    /// </summary>
    private long HeldReplyBytes =>
        (_localTail is { } tail ? tail.Written.Length : _writer?.UnflushedBytes ?? 0)
        + Volatile.Read(ref _lateHeld) + ((long)Volatile.Read(ref _outstanding) * Volatile.Read(ref _lateEstimate));

    /// <summary>Notes a late reply's size: the estimate rises to the largest and falls by an eighth per smaller reply.</summary>
    private void NoteLateReplySize(int length)
    {
        var estimate = _lateEstimate;
        var next = Math.Max(length, estimate - (estimate >> 3));
        if (next != estimate)
            Volatile.Write(ref _lateEstimate, next);
    }

    /// <summary>
    /// The batch holds <see cref="MaxHeldReplyBytes"/> of replies: send them (the flush waits while the output pipe is
    /// full, so a client that stops reading stops this loop), and when they wait behind remote replies, wait for
    /// those first. The rest of the read runs afterwards, in order.
    /// </summary>
    private async ValueTask HoldLessAsync()
    {
        await EndBatchAsync().ConfigureAwait(false);
        Task? drained = null;
        lock (_queueLock)
        {
            if (_outstanding > 0)
                drained = (_drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
        // Bounded: every remote reply ends within the forward timeout (answer, timeout or link loss).
        if (drained is not null)
            await drained.ConfigureAwait(false);
    }

    /// <summary>Takes the writer lock for the rest of the batch; false when the connection is closed.</summary>
    private ValueTask<bool> EnterBatchAsync()
    {
        if (_writer is not null)
            return new ValueTask<bool>(true);
        if (_connection.TryEnterWrite(out var writer))
        {
            BeginBatch(writer);
            return new ValueTask<bool>(true);
        }
        return EnterBatchSlowAsync();
    }

    private async ValueTask<bool> EnterBatchSlowAsync()
    {
        var writer = await FrameSession.EnterSlowAsync(_connection).ConfigureAwait(false);
        if (writer is null)
            return false;
        BeginBatch(writer);
        return true;
    }

    private void BeginBatch(PipeWriter writer)
    {
        _writer = writer;
        lock (_queueLock)
            _inBatch = true;
    }

    /// <summary>
    /// A reply slot for the current command, answered later (by an owner, a transaction or a fan-out): queued in
    /// command order, so every later reply of the connection waits behind it until it completes.
    /// </summary>
    private ReplySlot QueueLateReply()
    {
        var slot = ReplySlot.Rent(this);
        slot.Silent = _silent;
        slot.Kind = _command.Kind;
        slot.CountsErrors = true;
        lock (_queueLock)
        {
            _queue.Enqueue(slot);
            _outstanding++;
        }
        _localTail = null;
        return slot;
    }

    /// <summary>Where the current command's reply goes: the output itself, or the queue when replies are waiting ahead of it.</summary>
    private IBufferWriter<byte> Target()
    {
        if (_localTail is not null)
            return _tap.Over(_localTail);
        if (_queue.Count == 0 && !_silent)
            return _tap.Over(_writer!);
        var slot = ReplySlot.Rent(this);
        slot.Completed = true;
        slot.Silent = _silent;
        lock (_queueLock)
            _queue.Enqueue(slot);
        _localTail = slot;
        return _tap.Over(slot);
    }

    /// <summary>Flushes the links this batch wrote to, writes out the completed replies, releases the writer lock with one flush.</summary>
    private async ValueTask EndBatchAsync()
    {
        for (var i = 0; i < _touchedCount; i++)
        {
            var link = _touchedLinks[i]!;
            _touchedLinks[i] = null;
            if (!link.Connection.TryEnterWrite(out _) && await FrameSession.EnterSlowAsync(link.Connection).ConfigureAwait(false) is null)
                continue;
            await ObserveAsync(link.Connection.ExitWriteAsync(flush: true)).ConfigureAwait(false);
        }
        _touchedCount = 0;

        _host.Statistics.AddCommands(_batchCommands);
        _batchCommands = 0;
        HandOverLatencies();

        var writer = _writer;
        if (writer is null)
            return;
        lock (_queueLock)
        {
            WriteCompletedPrefix(writer);
            _inBatch = false;
        }
        _localTail = null;
        _writer = null;
        await ObserveAsync(_connection.ExitWriteAsync(flush: true)).ConfigureAwait(false);
    }

    /// <summary>A remote reply arrived (or failed): write out the completed prefix unless someone else will.</summary>
    /// <remarks>Runs on a peer link's read loop, which must never wait: a busy writer lock defers the write.</remarks>
    public void OnSlotCompleted(ReplySlot slot)
    {
        NoteLateReplySize(slot.Written.Length);
        if (slot.CountsErrors && slot.Written is [(byte)'-', ..])
            CountError(slot.Kind, slot.Written, refused: false);
        lock (_queueLock)
        {
            slot.Completed = true;
            slot.HeldCount = slot.Written.Length;
            _lateHeld += slot.HeldCount;
            _outstanding--;
            if (_outstanding == 0 && _drained is { } drained)
            {
                _drained = null;
                drained.TrySetResult();
            }
            // The read loop drains at the end of its batch; a scheduled drain will see this slot too.
            if (_inBatch || _drainScheduled || !_queue.TryPeek(out var head) || !head.Completed)
                return;
            _drainScheduled = true;
        }
        DrainScheduled();
    }

    /// <summary>Writes out the completed prefix now if the writer lock is free, else later; the caller set <c>_drainScheduled</c>.</summary>
    private void DrainScheduled()
    {
        if (_connection.TryEnterWrite(out var writer))
        {
            lock (_queueLock)
            {
                WriteCompletedPrefix(writer);
                _drainScheduled = false;
            }
            var flushed = _connection.ExitWriteAsync(flush: true);
            if (!flushed.IsCompletedSuccessfully)
                _ = ObserveAsync(flushed).AsTask();
            return;
        }
        _ = DrainLaterAsync();
    }

    private async Task DrainLaterAsync()
    {
        var writer = await FrameSession.EnterSlowAsync(_connection).ConfigureAwait(false);
        if (writer is null)
        {
            lock (_queueLock)
            {
                DiscardCompletedPrefix();
                _drainScheduled = false;
            }
            return;
        }
        lock (_queueLock)
        {
            WriteCompletedPrefix(writer);
            _drainScheduled = false;
        }
        await ObserveAsync(_connection.ExitWriteAsync(flush: true)).ConfigureAwait(false);
    }

    /// <summary>Under the queue lock and the writer lock: copies completed head slots to the output and recycles them.</summary>
    private void WriteCompletedPrefix(PipeWriter writer)
    {
        while (_queue.TryPeek(out var slot) && slot.Completed)
        {
            _queue.Dequeue();
            if (!slot.Silent)
                writer.Write(slot.Written);
            _lateHeld -= slot.HeldCount;
            slot.Return();
        }
    }

    private void DiscardCompletedPrefix()
    {
        while (_queue.TryPeek(out var slot) && slot.Completed)
        {
            _queue.Dequeue();
            _lateHeld -= slot.HeldCount;
            slot.Return();
        }
    }

    private async Task CloseAsync()
    {
        // Replies still owed by other nodes end within the forward timeout (the link's sweeper fails them), and
        // must be written (QUIT after a pipeline) or at least recycled before the connection goes.
        var deadline = Environment.TickCount64 + (long)_host.ForwardTimeout.TotalMilliseconds + 1000;
        while (Environment.TickCount64 < deadline)
        {
            lock (_queueLock)
            {
                if (_outstanding == 0)
                    break;
            }
            await Task.Delay(5).ConfigureAwait(false);
        }
        if (!_connection.IsClosed)
        {
            var writer = await FrameSession.EnterSlowAsync(_connection).ConfigureAwait(false);
            if (writer is not null)
            {
                lock (_queueLock)
                    WriteCompletedPrefix(writer);
                await ObserveAsync(_connection.ExitWriteAsync(flush: true)).ConfigureAwait(false);
            }
        }
        lock (_queueLock)
        {
            // Slots still pending belong to their links until they complete; only finished ones are recycled here.
            DiscardCompletedPrefix();
        }
        _command.Dispose();
        _queuedCommand?.Dispose();
        await _connection.CloseAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
    }

    private static async ValueTask ObserveAsync(ValueTask<bool> flush)
    {
        try
        {
            await flush.ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The connection closed meanwhile: nothing left to send to.
        }
    }

    /// <summary>What the read loop does after a command.</summary>
    private enum Outcome
    {
        Continue,
        Stop,
        NeedLink,
        MustWait,

        /// <summary>EXEC of a transaction holding node commands: run its queue in order (RunQueueAsync).</summary>
        RunQueue,

        /// <summary>BLPOP and its kin outside MULTI: try, and wait for a list to be written until served or timed out (BlockAsync).</summary>
        Block,

        /// <summary>A key's slot is being handed over from this node: wait for the handover, then run the command again (AwaitHandoverAsync).</summary>
        AwaitHandover,

        /// <summary>The owner's link has a full window of forwards in flight: wait for room, then run the command again (ExecuteWithRoomAsync).</summary>
        NeedRoom,

        /// <summary>WAIT outside MULTI: wait for the connection's writes to be answered, then for enough replicas, up to its timeout (WaitReplicasAsync).</summary>
        WaitReplicas,
    }
}
