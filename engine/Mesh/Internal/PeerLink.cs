using FastDht.Engine.Connections;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Transactions.Internal;
using FastDht.Engine.Transport;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// A link to another node of the cluster, inbound or dialed: it carries requests both ways (forwards and transaction
/// calls one way, wounds the other) and answers only what a node may send (<see cref="OpcodeDirections.FromNode"/>).
/// </summary>
/// <remarks>
/// Split by concern: this file is the opcode table and the close; Dial holds the dialer's handshake, heartbeats and
/// retirement; Forwarding sends a client session's forwards; Participant answers a coordinator's transaction calls;
/// Resp runs RespExecute; Consensus carries cluster-state proposals and pushes; Replication applies a primary's ReplicaSync and holds answers to writes for the replicas. A link never forwards a request again: a key it does not own is answered WrongNode.
/// </remarks>
internal sealed partial class PeerLink : FrameSession
{
    private readonly PeerMesh _mesh;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // The locks a peer's coordinator takes here through this link: marked closed, then released, when the link closes.
    private readonly LinkLockSession _locks;

    /// <summary>A link whose Hello this node accepted (the peer dialed); it serves at once.</summary>
    public PeerLink(PeerMesh mesh, SocketConnection connection, ushort peerId, ulong peerIncarnation, int sendLimit)
        : this(mesh, connection, peerId, dialerId: peerId)
    {
        PeerIncarnation = peerIncarnation;
        SendLimit = sendLimit;
        IsUp = true;
    }

    /// <summary>A link this node dialed; it serves once the peer has answered <see cref="DialHandshakeAsync"/>.</summary>
    public PeerLink(PeerMesh mesh, SocketConnection connection, ushort peerId)
        : this(mesh, connection, peerId, dialerId: mesh.Identity.SelfId)
    {
    }

    private PeerLink(PeerMesh mesh, SocketConnection connection, ushort peerId, ushort dialerId)
        : base(connection, mesh.Identity.Limits)
    {
        _mesh = mesh;
        _locks = new LinkLockSession(mesh.Participant.Table, SessionId);
        PeerId = peerId;
        DialerId = dialerId;
        mesh.Register(this);
    }

    /// <summary>The peer's node id.</summary>
    public ushort PeerId { get; }

    /// <summary>When the peer's process started, from its Hello.</summary>
    public ulong PeerIncarnation { get; private set; }

    /// <summary>Which of the two nodes dialed this link; the tie-break between two links to one peer.</summary>
    public ushort DialerId { get; }

    /// <summary>Whether the handshake is done (a dialed link is not, until the peer answers).</summary>
    public bool IsUp { get; private set; }

    /// <summary>Whether the peer said, at the last heartbeat, that it is still loading its data (its Ping answered Loading).</summary>
    public bool PeerLoading { get; private set; }

    /// <summary>Completes when the link has closed and released everything.</summary>
    public Task Completion => _closed.Task;

    /// <summary>Whether the link serves: its connection is open and its close has not begun.</summary>
    public bool IsOpen => !Connection.IsClosed && !_locks.IsClosed && !_closed.Task.IsCompleted;

    // The log alone: replicas are waited for per reply (PeerLink.Replication), never by holding the link's output.
    protected override ReplyGuard? Durability => _mesh.Keyspace.LogDurability;

    protected override ValueTask<bool> OnRequestAsync(Frame frame)
    {
        var header = frame.Header;
        if (!RequestDecoder.TryValidateHeader(header, out var error))
            return ReplyErrorAsync(header, error.Status, error.Message);
        if (!OpcodeDirections.FromNode(header.Opcode))
            return ReplyErrorAsync(header, StatusCode.BadRequest, $"{header.Opcode} is sent by clients only, not over a link between nodes");
        if (_mesh.Loading.IsLoading && LoadingGate.ReadsOrWritesKeys(header.Opcode))
            return ReplyErrorAsync(header, StatusCode.Loading, LoadingGate.Message);
        if (_mesh.Lease is { IsExpired: true } && ServesKeysUnderLease(header.Opcode))
            return ReplyErrorAsync(header, StatusCode.NodeUnavailable, ServingLease.Message);
        switch (header.Opcode)
        {
            case Opcode.Get:
            case Opcode.Put:
            case Opcode.PutIfAbsent:
            case Opcode.Delete:
                return KeyOperationAsync(frame);
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
            case Opcode.TxnWaitsFor:
                return ParticipantAsync(frame);
            case Opcode.Ping:
                // A peer's heartbeat learns from the status that this node is loading: its cluster view shows it so.
                return _mesh.Loading.IsLoading
                    ? ReplyErrorAsync(header, StatusCode.Loading, LoadingGate.Message)
                    : ReplyAsync(new PingReply(header.RequestId, frame.Body));
            case Opcode.ClusterInfo:
                return RequestDecoder.TryReadEmpty(BodyOf(frame), out error)
                    ? ReplyAsync(_mesh.DescribeCluster(header.RequestId))
                    : ReplyErrorAsync(header, error.Status, error.Message);
            case Opcode.NodeInfo:
                return RequestDecoder.TryReadEmpty(BodyOf(frame), out error)
                    ? ReplyAsync(new NodeInfoReply(header.RequestId, _mesh.Listeners.Own))
                    : ReplyErrorAsync(header, error.Status, error.Message);
            case Opcode.RespExecute:
                return RespExecuteAsync(frame);
            case Opcode.ReplicaSync:
                return ReplicaSyncAsync(frame);
            case Opcode.ClusterPropose:
                return ClusterProposeAsync(frame);
            case Opcode.ClusterPush:
                return ClusterPushAsync(frame);
            case Opcode.MigrateKeys:
                return MigrateKeysAsync(frame);
            case Opcode.LeaseRenew:
                return LeaseRenewAsync(frame);
            case Opcode.RespPublish:
                return RespPublishAsync(frame);
            case Opcode.Fragment:
                return FragmentAsync(frame);
            case Opcode.Hello:
            case Opcode.Auth:
                return ReplyErrorAsync(header, StatusCode.BadRequest, "the handshake is already done: Hello and Auth are only valid before it ends");
            default:
                return ReplyErrorAsync(header, StatusCode.InternalError, $"{header.Opcode} is not available on this node yet");
        }
    }

    /// <summary>What a node without a serving lease refuses from a peer: key operations and transaction calls; never the replication stream, the cluster-state traffic or Auth.</summary>
    private static bool ServesKeysUnderLease(Opcode opcode) =>
        LoadingGate.ReadsOrWritesKeys(opcode)
        && opcode is not (Opcode.ReplicaSync or Opcode.ClusterPropose or Opcode.ClusterPush or Opcode.LeaseRenew or Opcode.Auth or Opcode.TxnStatus);

    /// <summary>A single-key request from a peer: run here if this node owns the key, else WrongNode (a link never forwards again, so there are no loops).</summary>
    private ValueTask<bool> KeyOperationAsync(Frame frame)
    {
        ushort owner;
        // Read once: the owner and the epoch a WrongNode answer names must come from the same state.
        var state = _mesh.Cluster.Current;
        {
            // A body too short to hold a key is executed locally, where the full decode says exactly what is wrong.
            var reader = new BodyReader(BodyOf(frame));
            owner = reader.TryReadKey(ReceiveLimits.MaxKeySize, out var key) ? state.OwnerOf(key) : _mesh.Identity.SelfId;
        }
        if (owner != _mesh.Identity.SelfId)
            return ReplyAsync(_mesh.WrongNode(frame.Header, owner, state));
        return frame.Header.Opcode == Opcode.Get
            ? ReplyAsync(new LocalKeyReply(this, _mesh.Keys, frame, ReceiveLimits))
            : ReplyAfterReplicasAsync(new LocalKeyReply(this, _mesh.Keys, frame, ReceiveLimits));
    }

    protected override async ValueTask OnMalformedFrameAsync(FrameHeader header, ProtocolError error)
    {
        MeshLog.BadInput(_mesh.Logger, Connection.RemoteEndPoint, error.Message);
        // The header was read, so the error can be addressed; the stream cannot be trusted past it, so then close.
        await ReplyErrorAsync(header, error.Status, error.Message).ConfigureAwait(false);
    }

    protected override async ValueTask OnClosedAsync(Exception? failure)
    {
        if (failure is not null)
            MeshLog.SessionFailed(_mesh.Logger, Connection.RemoteEndPoint, failure);
        // The locks a peer's coordinator took through this link go with it; a TxnLock still taking keys here sees the
        // session closed and releases what it takes after this (LinkLockSession).
        _locks.Close();
        // Clients' commands written to the link fail as in doubt (the peer may have run them), the rest as unavailable.
        Requests.FailAll(StatusCode.NodeUnavailable, $"{_mesh.Describe(PeerId)} is unavailable: its link closed", InDoubtLostMessage);
        _mesh.OnLinkClosed(this, Connection.CloseReason?.Message ?? failure?.Message ?? "connection closed");
        await Connection.CloseAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        _respCommand?.Dispose();
        ReleaseAssembly();
        _mesh.Unregister(this);
        _closed.TrySetResult();
    }
}
