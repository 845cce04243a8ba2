using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using FastDht.Engine.Connections;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Transport;
using FastDht.Protocol;

namespace FastDht.Engine.Node.Internal;

/// <summary>
/// One native-protocol connection of a node: an application client, or a link to a peer node (inbound or dialed).
/// Requests for keys this node owns run here, synchronously on the read loop; others are forwarded to the owner.
/// </summary>
/// <remarks>
/// Split by concern: this file dispatches and executes; Handshake, Forwarding and Peer hold the rest. A peer link is
/// the same class as a client session because both directions of a link carry requests: forwards and transaction
/// calls one way, their answers the other.
/// </remarks>
internal sealed partial class NodeSession : FrameSession
{
    private readonly NodeCore _core;
    private SessionRole _role;
    private long _batchCommands;

    public NodeSession(NodeCore core, SocketConnection connection, ushort? dialedPeer)
        : base(connection, core.Limits)
    {
        _core = core;
        SessionId = core.NextSessionId();
        if (dialedPeer is { } peer)
        {
            _role = SessionRole.Dialing;
            PeerId = peer;
            DialerId = core.SelfId;
        }
        core.Register(this);
    }

    /// <summary>Identifies the session to the lock table: a session's locks go when it closes.</summary>
    public long SessionId { get; }

    public SessionRole Role => _role;

    protected override ReplyGuard? Durability => _core.Keyspace.Durability;

    protected override ValueTask<bool> OnRequestAsync(Frame frame)
    {
        if (_role == SessionRole.AwaitingHello)
            return HandshakeAsync(frame);
        if (_role == SessionRole.Client)
            _batchCommands++; // a client's request; a peer's was counted where its client sent it
        var header = frame.Header;
        if (!RequestDecoder.TryValidateHeader(header, out var error))
            return ReplyErrorAsync(header, error.Status, error.Message);
        if (_core.IsLoading && ReadsOrWritesKeys(header.Opcode))
            return ReplyErrorAsync(header, StatusCode.Loading, NodeCore.LoadingMessage);
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
            case Opcode.TxnLock:
            case Opcode.TxnPrepare:
            case Opcode.TxnCommit:
            case Opcode.TxnAbort:
            case Opcode.TxnWound:
            case Opcode.TxnRead:
            case Opcode.TxnStatus:
            case Opcode.TxnPin:
                return TransactionAsync(frame);
            case Opcode.Ping:
                return PingAsync(frame);
            case Opcode.ClusterInfo:
                return ClusterInfoAsync(frame);
            case Opcode.NodeInfo:
                return NodeInfoAsync(frame);
            case Opcode.RespExecute:
                return RespExecuteAsync(frame);
            case Opcode.Hello:
                return ReplyErrorAsync(header, StatusCode.BadRequest, "the handshake is already done: Hello is only valid as the first frame");
            default:
                return ReplyErrorAsync(header, StatusCode.InternalError, $"{header.Opcode} is not available on this node yet");
        }
    }

    /// <summary>Whether an opcode touches the keyspace or its locks (refused with Loading while the log replays); Ping, ClusterInfo and NodeInfo are answered.</summary>
    private static bool ReadsOrWritesKeys(Opcode opcode) =>
        opcode is not (Opcode.Ping or Opcode.ClusterInfo or Opcode.NodeInfo or Opcode.Hello);

    private ValueTask<bool> KeyOperationAsync(Frame frame)
    {
        ushort owner;
        // Read once: the owner and the epoch a WrongNode answer names must come from the same state.
        var state = _core.Cluster.Current;
        {
            var body = BodyOf(frame);
            // Every single-key body starts with the key. A body too short to hold one is executed locally, where the
            // full decode reports exactly what is wrong with it.
            var reader = new BodyReader(body);
            owner = reader.TryReadKey(ReceiveLimits.MaxKeySize, out var key) ? state.OwnerOf(key) : _core.SelfId;
        }
        if (owner != _core.SelfId)
            return ForwardAsync(frame, owner, state);
        if (Connection.TryEnterWrite(out var writer))
        {
            ExecuteLocal(writer, frame);
            EndResponse();
            return new ValueTask<bool>(true);
        }
        return ExecuteLocalSlowAsync(frame);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ExecuteLocalSlowAsync(Frame frame)
    {
        var writer = await BeginResponseAsync().ConfigureAwait(false);
        if (writer is null)
            return false;
        ExecuteLocal(writer, frame);
        EndResponse();
        return true;
    }

    /// <summary>Runs a single-key operation on this node's keyspace and writes its response.</summary>
    private void ExecuteLocal(PipeWriter writer, in Frame frame)
    {
        var header = frame.Header;
        var body = BodyOf(frame);
        var limits = ReceiveLimits;
        var keyspace = _core.Keyspace;
        var id = header.RequestId;
        ProtocolError error;
        switch (header.Opcode)
        {
            case Opcode.Get:
                if (!RequestDecoder.TryReadGet(body, limits, out var key, out error))
                    break;
                if (keyspace.TryGet(key, out var value))
                    FrameWriter.WriteValueResponse(writer, id, Opcode.Get, value.Span);
                else
                    FrameWriter.WriteStatusResponse(writer, id, Opcode.Get, StatusCode.NotFound);
                return;
            case Opcode.Put:
            case Opcode.PutIfAbsent:
                if (!RequestDecoder.TryReadPut(body, header.Flags, limits, out key, out var newValue, out var fence, out error))
                    break;
                WriteResult(writer, id, header.Opcode, header.Opcode == Opcode.Put
                    ? keyspace.Put(key, newValue, fence)
                    : keyspace.PutIfAbsent(key, newValue, fence));
                return;
            case Opcode.Delete:
                if (!RequestDecoder.TryReadDelete(body, header.Flags, limits, out key, out fence, out error))
                    break;
                WriteResult(writer, id, Opcode.Delete, keyspace.Delete(key, fence));
                return;
            default:
                FrameWriter.WriteErrorResponse(writer, id, header.Opcode, StatusCode.InternalError, "not a single-key operation");
                return;
        }
        FrameWriter.WriteErrorResponse(writer, id, header.Opcode, error.Status, error.Message);
    }

    /// <summary>
    /// Answers a single-key write. A plain write to a key some transaction holds is refused (Locked, retryable),
    /// never queued; a fenced write goes ahead only for the key's exclusive holder with exactly the token it was
    /// granted (else StaleFence). The keyspace decides; this only words it.
    /// </summary>
    private static void WriteResult(PipeWriter writer, uint id, Opcode opcode, KeyWriteResult result)
    {
        switch (result)
        {
            case KeyWriteResult.Ok:
                FrameWriter.WriteStatusResponse(writer, id, opcode, StatusCode.Ok);
                break;
            case KeyWriteResult.Exists:
                FrameWriter.WriteStatusResponse(writer, id, opcode, StatusCode.Exists);
                break;
            case KeyWriteResult.NotFound:
                FrameWriter.WriteStatusResponse(writer, id, opcode, StatusCode.NotFound);
                break;
            case KeyWriteResult.Locked:
                FrameWriter.WriteErrorResponse(writer, id, opcode, StatusCode.Locked, "the key is locked by a transaction");
                break;
            case KeyWriteResult.LogUnavailable:
                FrameWriter.WriteErrorResponse(writer, id, opcode, StatusCode.LogUnavailable, "the node cannot write its log to disk (disk full or I/O error): writes are refused until it can, reads are served");
                break;
            default:
                FrameWriter.WriteErrorResponse(writer, id, opcode, StatusCode.StaleFence, "the fencing token is not the current exclusive lock's: a newer lock was granted, or the lock is gone");
                break;
        }
    }

    private ValueTask<bool> PingAsync(Frame frame)
    {
        if (!Connection.TryEnterWrite(out var writer))
            return PingSlowAsync(frame);
        FrameWriter.WritePingResponse(writer, frame.Header.RequestId, frame.Body);
        EndResponse();
        return new ValueTask<bool>(true);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> PingSlowAsync(Frame frame)
    {
        var writer = await BeginResponseAsync().ConfigureAwait(false);
        if (writer is null)
            return false;
        FrameWriter.WritePingResponse(writer, frame.Header.RequestId, frame.Body);
        EndResponse();
        return true;
    }

    private async ValueTask<bool> ClusterInfoAsync(Frame frame)
    {
        if (!RequestDecoder.TryReadEmpty(BodyOf(frame), out var error))
            return await ReplyErrorAsync(frame.Header, error.Status, error.Message).ConfigureAwait(false);
        var state = _core.Cluster.Current;
        var members = state.Members.Members;
        var infos = new MemberInfo[members.Count];
        for (var i = 0; i < infos.Length; i++)
        {
            var m = members[i];
            var up = m.NodeId == _core.SelfId || _core.Mesh.IsUp(m.NodeId);
            infos[i] = new MemberInfo(m.NodeId, m.Address, up ? MemberState.Up : MemberState.Down);
        }
        var table = state.Slots;
        var ranges = new SlotRange[table.Ranges.Count];
        for (var i = 0; i < ranges.Length; i++)
            ranges[i] = table.Ranges[i];
        var writer = await BeginResponseAsync().ConfigureAwait(false);
        if (writer is null)
            return false;
        FrameWriter.WriteClusterInfoResponse(writer, frame.Header.RequestId, state.Epoch, infos, ranges);
        EndResponse();
        return true;
    }

    /// <summary>Answers a request with an error and keeps the connection.</summary>
    private async ValueTask<bool> ReplyErrorAsync(FrameHeader header, StatusCode status, string message)
    {
        var writer = await BeginResponseAsync().ConfigureAwait(false);
        if (writer is null)
            return false;
        FrameWriter.WriteErrorResponse(writer, header.RequestId, header.Opcode, status, message);
        EndResponse();
        return true;
    }

    protected override async ValueTask OnMalformedFrameAsync(FrameHeader header, ProtocolError error)
    {
        NodeLog.BadInput(_core.Logger, Connection.RemoteEndPoint, error.Message);
        // The header was read, so the error can be addressed; the stream cannot be trusted past it, so then close.
        var writer = await BeginResponseAsync().ConfigureAwait(false);
        if (writer is not null)
        {
            FrameWriter.WriteErrorResponse(writer, header.RequestId, header.Opcode, error.Status, error.Message);
            EndResponse();
        }
    }

    /// <summary>Adds the batch's client requests to the node's statistics: one interlocked add per batch, as RESP does.</summary>
    protected override void OnBatchEnd()
    {
        if (_batchCommands != 0)
        {
            _core.Statistics.AddCommands(_batchCommands);
            _batchCommands = 0;
        }
    }

    protected override async ValueTask OnClosedAsync(Exception? failure)
    {
        if (_role == SessionRole.Client)
            _core.Statistics.ClientDisconnected();
        if (failure is not null)
            NodeLog.SessionFailed(_core.Logger, Connection.RemoteEndPoint, failure);
        var reason = PeerLinkLostMessage();
        // Locks taken through this connection (a client's explicit locks, a peer coordinator's TxnLocks) go with it.
        _core.Locks.ReleaseSession(SessionId);
        _core.Coordinator.OnSessionClosed(SessionId);
        Requests.FailAll(StatusCode.NodeUnavailable, reason);
        if (_role == SessionRole.Peer)
            _core.Mesh.OnLinkClosed(this, Connection.CloseReason?.Message ?? failure?.Message ?? "connection closed");
        // Answers to requests this session forwarded are still on their way: give them the forward timeout to land.
        await WaitForForwardsAsync(_core.Options.ForwardTimeout).ConfigureAwait(false);
        await Connection.CloseAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        _respCommand?.Dispose();
        _core.Unregister(this);
        _closed.TrySetResult();
    }
}
