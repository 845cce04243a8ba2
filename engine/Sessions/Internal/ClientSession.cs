using FastDht.Engine.Connections;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Mesh.Internal;
using FastDht.Engine.Security;
using FastDht.Engine.Transport;
using FastDht.Protocol;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>
/// An application client's connection to a node: answers only what a client may send
/// (<see cref="OpcodeDirections.FromClient"/>). Requests for keys this node owns run here, synchronously on the read
/// loop; others are forwarded to the owner; MultiPut, MultiGet and explicit locks are coordinated by this node.
/// </summary>
/// <remarks>
/// Split by concern: this file is the opcode table, single-key routing and the close; Forwarding relays the owners'
/// answers; Transactions hands multi-key requests and locks to the coordinator. A node never sends a client a
/// request, so a frame with RESPONSE set is a client's mistake, refused like any malformed header.
/// The session owes its client an answer for every request it took; answers given off the read loop (forwards,
/// coordinated requests) are counted, so a client that half-closes its side still gets every one before the close.
/// </remarks>
internal sealed partial class ClientSession : FrameSession
{
    private readonly ClientSessions _host;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RequestOrder _order = new();
    private int _owed;
    private int _closing;
    // Set once by BeginDrain (the node is stopping): every request read from then on is refused ShuttingDown, unrun.
    private string? _drainMessage;
    private long _batchCommands;
    private TaskCompletionSource? _drained;
    private readonly Diagnostics.NodeMetrics? _metrics;
    // Requests of this batch answered on the read loop, per latency group: timed together when the batch is flushed.
    private readonly int[] _answeredInBatch = new int[4];
    private long _batchStarted;

    public ClientSession(ClientSessions host, SocketConnection connection, int sendLimit, AclUser? user)
        : base(connection, host.Limits)
    {
        _host = host;
        _user = user;
        SendLimit = sendLimit;
        // A client's unread replies are bounded (a peer link, another type, keeps only the pause threshold).
        connection.BoundAsClient();
        // A client that pipelines reads of large values and reads nothing stops this loop at a mebibyte of answers.
        MaxHeldResponseBytes = 1024 * 1024;
        _metrics = host.Mesh.Statistics.Metrics;
        host.Register(this);
        host.Mesh.Statistics.ClientConnected();
    }

    /// <summary>Completes when the session has closed and released everything.</summary>
    public Task Completion => _closed.Task;

    protected override ReplyGuard? Durability => _host.Mesh.Keyspace.Durability;

    /// <summary>Answers owed off the read loop: forwards and coordinated requests not yet answered.</summary>
    public int AnswersOwed => Volatile.Read(ref _owed);

    // A client never answers requests (the node sends it none): a response frame is handed on to OnRequestAsync,
    // whose header check refuses it with BadRequest and keeps the connection.
    protected override bool OnResponse(in Frame frame) => false;

    protected override ValueTask<bool> OnRequestAsync(Frame frame)
    {
        // One clock read per batch: a request answered on the read loop is timed from here to the batch's flush.
        if (_batchCommands++ == 0 && _metrics is not null)
            _batchStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var header = frame.Header;
        // One volatile read: a draining node runs nothing it reads from now on, and says so (docs/protocol.md §3).
        if (Volatile.Read(ref _drainMessage) is { } draining)
            return ReplyErrorAsync(header, StatusCode.ShuttingDown, draining);
        if (!RequestDecoder.TryValidateHeader(header, out var error))
            return ReplyErrorAsync(header, error.Status, error.Message);
        if (!OpcodeDirections.FromClient(header.Opcode))
            return ReplyErrorAsync(header, StatusCode.BadRequest, $"{header.Opcode} is a node-to-node operation: refused on a client connection");
        if ((header.Flags & FrameFlags.Forwarded) != 0)
            return ReplyErrorAsync(header, StatusCode.BadRequest, "FORWARDED is set only by a node forwarding to a peer: refused on a client connection");
        // One null test when the node has no users; one more read when the user may do everything.
        if (_user is { } user && !user.Permissions.AllowsEverything && header.Opcode != Opcode.Auth && Refusal(frame, user) is { } refused)
        {
            OnAnswered(header.Opcode, refused.Status);
            return ReplyAsync(refused);
        }
        if (_host.Mesh.Loading.IsLoading && LoadingGate.ReadsOrWritesKeys(header.Opcode))
            return ReplyErrorAsync(header, StatusCode.Loading, LoadingGate.Message);
        if (_host.Mesh.Lease is { IsExpired: true } && LoadingGate.ReadsOrWritesKeys(header.Opcode) && header.Opcode != Opcode.Auth)
            return ReplyErrorAsync(header, StatusCode.NodeUnavailable, ServingLease.Message);
        // Requests that share a key take effect in the order sent: while a MultiPut, MultiGet or Lock of this
        // connection is still running, a request on one of its keys waits for it (and, the read loop being in order,
        // so does everything sent after). Nothing is checked while none runs.
        if (!_order.IsIdle && MustWait(frame))
            return DispatchInOrderAsync(frame);
        return Dispatch(frame);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> DispatchInOrderAsync(Frame frame)
    {
        do
        {
            await _order.WhenSomeEndsAsync().ConfigureAwait(false);
        }
        while (MustWait(frame));
        return await Dispatch(frame).ConfigureAwait(false);
    }

    private ValueTask<bool> Dispatch(Frame frame)
    {
        var header = frame.Header;
        ProtocolError error;
        switch (header.Opcode)
        {
            case Opcode.Get:
            case Opcode.Put:
            case Opcode.PutIfAbsent:
            case Opcode.Delete:
                return KeyOperationAsync(frame);
            case Opcode.MultiPut:
            case Opcode.MultiGet:
            case Opcode.Lock:
            case Opcode.Unlock:
            case Opcode.RenewLease:
                return TransactionAsync(frame);
            case Opcode.Ping:
                OnAnswered(Opcode.Ping, StatusCode.Ok);
                return ReplyAsync(new PingReply(header.RequestId, frame.Body));
            case Opcode.ClusterInfo:
                if (!RequestDecoder.TryReadEmpty(BodyOf(frame), out error))
                    return ReplyErrorAsync(header, error.Status, error.Message);
                OnAnswered(Opcode.ClusterInfo, StatusCode.Ok);
                return ReplyAsync(_host.Mesh.DescribeCluster(header.RequestId));
            case Opcode.NodeInfo:
                if (!RequestDecoder.TryReadEmpty(BodyOf(frame), out error))
                    return ReplyErrorAsync(header, error.Status, error.Message);
                OnAnswered(Opcode.NodeInfo, StatusCode.Ok);
                return ReplyAsync(new NodeInfoReply(header.RequestId, _host.Mesh.Listeners.Own));
            case Opcode.Auth:
                return ReauthenticateAsync(frame);
            case Opcode.Snapshot:
                return SnapshotAsync(frame);
            case Opcode.MoveSlots:
                return MoveSlotsAsync(frame);
            case Opcode.RemoveNode:
                return RemoveNodeAsync(frame);
            case Opcode.Hello:
                return ReplyErrorAsync(header, StatusCode.BadRequest, "the handshake is already done: Hello is only valid as the first frame");
            default:
                return ReplyErrorAsync(header, StatusCode.InternalError, $"{header.Opcode} is not available on this node yet");
        }
    }

    /// <summary>Whether the request touches a key (or, for Unlock and RenewLease, the transaction) of a running request of this connection.</summary>
    /// <remarks>A body that does not decode waits for nothing: it is refused when dispatched.</remarks>
    private bool MustWait(in Frame frame)
    {
        var body = BodyOf(frame);
        var limits = ReceiveLimits;
        switch (frame.Header.Opcode)
        {
            case Opcode.Get:
            case Opcode.Put:
            case Opcode.PutIfAbsent:
            case Opcode.Delete:
            {
                var reader = new BodyReader(body);
                return reader.TryReadKey(limits.MaxKeySize, out var key) && _order.MustWait(key);
            }
            case Opcode.MultiPut:
                if (RequestDecoder.TryReadMultiPut(body, limits, out var entries, out _))
                {
                    foreach (var e in entries)
                    {
                        if (_order.MustWait(e.Key))
                            return true;
                    }
                }
                return false;
            case Opcode.MultiGet:
                return RequestDecoder.TryReadMultiGet(body, limits, out var keys, out _) && AnyRunning(keys);
            case Opcode.Lock:
                return RequestDecoder.TryReadLock(body, limits, out var txn, out _, out _, out var locked, out _)
                    && (AnyRunning(locked) || _order.MustWaitForTransaction(TransactionKey(txn)));
            case Opcode.Unlock:
                return RequestDecoder.TryReadUnlock(body, limits, out txn, out _, out _) && _order.MustWaitForTransaction(TransactionKey(txn));
            case Opcode.RenewLease:
                return RequestDecoder.TryReadRenewLease(body, limits, out txn, out _, out _, out _) && _order.MustWaitForTransaction(TransactionKey(txn));
            default:
                return false;
        }
    }

    private bool AnyRunning(KeyList keys)
    {
        foreach (var key in keys)
        {
            if (_order.MustWait(key))
                return true;
        }
        return false;
    }

    /// <summary>A client transaction id as <see cref="RequestOrder"/> tracks it: never 0 (0 means none).</summary>
    private static ulong TransactionKey(Protocol.TxnId txn) =>
        (txn.Timestamp ^ ((ulong)txn.Sequence << 32) ^ ((ulong)txn.NodeId << 16)) | 1;

    private ValueTask<bool> KeyOperationAsync(Frame frame)
    {
        var mesh = _host.Mesh;
        var self = mesh.Identity.SelfId;
        ushort owner;
        var moving = false;
        // Read once: the owner and the epoch a WrongNode answer names must come from the same state.
        var state = mesh.Cluster.Current;
        {
            // Every single-key body starts with the key. A body too short to hold one is executed locally, where the
            // full decode reports exactly what is wrong with it.
            var reader = new BodyReader(BodyOf(frame));
            if (reader.TryReadKey(ReceiveLimits.MaxKeySize, out var key))
            {
                var assignment = state.Slots.AssignmentOf(KeySlot.Of(key));
                owner = assignment.Primary;
                moving = assignment.IsMoving;
                if (moving && owner == self && (frame.Header.Flags & FrameFlags.Routed) == 0 && mesh.Keyspace.IsHandedAway(key))
                {
                    // This node is handing the slot over (a few ms): a client that keeps no table could do nothing with
                    // Moving, so the request waits here and then runs at whoever owns the slot by then.
                    return DeferAsync(frame);
                }
            }
            else
            {
                owner = self;
            }
        }
        if (owner != self)
            return ForwardAsync(frame, owner, state, moving);
        return ReplyAsync(new LocalKeyReply(this, mesh.Keys, frame, ReceiveLimits, mayDefer: true));
    }

    /// <summary>Adds the batch's requests to the node's statistics: one interlocked add per batch, as RESP does.</summary>
    protected override void OnBatchEnd()
    {
        if (_batchCommands != 0)
        {
            _host.Mesh.Statistics.AddCommands(_batchCommands);
            _batchCommands = 0;
            if (_metrics is not null)
                RecordBatchLatency(_metrics);
        }
    }

    /// <summary>Counts a request answered on the read loop; its time is taken with its batch's (<see cref="OnBatchEnd"/>).</summary>
    protected internal override void OnAnswered(Opcode opcode, StatusCode status)
    {
        if (_metrics is null)
            return;
        _metrics.CountNative(opcode, status);
        _answeredInBatch[(int)Diagnostics.NodeMetrics.ClassOf(opcode)]++;
    }

    /// <summary>Counts a request answered off the read loop (a forward, a coordinated request) and its time since its batch was read.</summary>
    internal void AnsweredLater(Opcode opcode, StatusCode status, long started)
    {
        if (_metrics is null)
            return;
        _metrics.CountNative(opcode, status);
        _metrics.RecordLatency(Diagnostics.NodeMetrics.ClassOf(opcode), System.Diagnostics.Stopwatch.GetTimestamp() - started);
    }

    /// <summary>When the request being dispatched was read (its batch's start); 0 without metrics.</summary>
    internal long BatchStarted => _batchStarted;

    private void RecordBatchLatency(Diagnostics.NodeMetrics metrics)
    {
        var elapsed = System.Diagnostics.Stopwatch.GetTimestamp() - _batchStarted;
        for (var c = 0; c < _answeredInBatch.Length; c++)
        {
            if (_answeredInBatch[c] != 0)
            {
                metrics.RecordLatency((Diagnostics.RequestClass)c, elapsed, _answeredInBatch[c]);
                _answeredInBatch[c] = 0;
            }
        }
    }

    protected override async ValueTask OnMalformedFrameAsync(FrameHeader header, ProtocolError error)
    {
        SessionLog.BadInput(_host.Logger, Connection.RemoteEndPoint, error.Message);
        // The header was read, so the error can be addressed; the stream cannot be trusted past it, so then close.
        await ReplyErrorAsync(header, error.Status, error.Message).ConfigureAwait(false);
    }

    protected override async ValueTask OnClosedAsync(Exception? failure)
    {
        _host.Mesh.Statistics.ClientDisconnected();
        if (failure is not null)
            SessionLog.SessionFailed(_host.Logger, Connection.RemoteEndPoint, failure);
        // The client stopped sending (it half-closed, it went away, or the node is stopping): answers it is owed are
        // still on their way, so give them time to land before the connection closes.
        await WaitForAnswersAsync().ConfigureAwait(false);
        // Locks taken through this connection go with it.
        _host.Locks.ReleaseSession(SessionId);
        _host.Coordinator.OnSessionClosed(SessionId);
        await Connection.CloseAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        _host.Unregister(this);
        _closed.TrySetResult();
    }

    /// <summary>Whether the session has been told to close (idle, or the node is draining).</summary>
    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>Closes a session that sent nothing for the idle timeout: stops reading; the close then flushes and releases as usual.</summary>
    public void CloseIdle()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
            return;
        SessionLog.Closed(_host.Logger, Connection.RemoteEndPoint, $"no request for {_host.Settings.IdleTimeout.TotalSeconds:0.###} s (the node's ClientIdleTimeout)");
        Connection.Input.CancelPendingRead();
    }

    /// <summary>
    /// The first step of the node's graceful stop (docs/protocol.md §3): sends the client the going-away notice (request
    /// id 0, opcode Hello, status ShuttingDown) and from then on answers every request it reads ShuttingDown without
    /// running it, so a request that crosses the notice on the wire still gets a definite "not applied" instead of being
    /// lost with the connection. The session keeps reading until the client closes (the smart client does once its last
    /// answer is in) or the node's drain ends (<see cref="StopReading"/>). Requests read before it run and are answered as usual.
    /// </summary>
    /// <remarks>Called again on every pass of the node's drain (it also reaches sessions opened meanwhile): only the first call acts.</remarks>
    public void BeginDrain(ushort nodeId)
    {
        if (Volatile.Read(ref _drainMessage) is not null
            || Interlocked.CompareExchange(ref _drainMessage, $"node {nodeId} is shutting down: nothing was applied; send the request to another node", null) is not null)
            return;
        Send(new ErrorReply(ProtocolConstants.GoAwayRequestId, Opcode.Hello, StatusCode.ShuttingDown, $"node {nodeId} is shutting down: send nothing more on this connection"));
    }

    /// <summary>Stops reading new requests, for the node's drain; what the session owes is still answered.</summary>
    public void StopReading()
    {
        Interlocked.Exchange(ref _closing, 1);
        Connection.Input.CancelPendingRead();
    }

    /// <summary>One more answer is owed off the read loop.</summary>
    public void AnswerOwed() => Interlocked.Increment(ref _owed);

    /// <summary>An answer owed off the read loop was written (or dropped with the connection).</summary>
    private void AnswerGiven()
    {
        if (Interlocked.Decrement(ref _owed) == 0)
            Volatile.Read(ref _drained)?.TrySetResult();
    }

    /// <summary>Waits until nothing is owed, the connection is closed under the session, or the grace ends.</summary>
    private async Task WaitForAnswersAsync()
    {
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _drained, drained);
        var deadline = Environment.TickCount64 + (long)_host.Settings.AnswerGrace.TotalMilliseconds;
        // Polled every 50 ms besides the event: an abort (node stopping, socket reset) has no event of its own once
        // the receive side has ended, and then nothing more can be delivered.
        while (AnswersOwed > 0 && !Connection.IsClosed && Environment.TickCount64 < deadline)
            await Task.WhenAny(drained.Task, Task.Delay(50)).ConfigureAwait(false);
    }
}
