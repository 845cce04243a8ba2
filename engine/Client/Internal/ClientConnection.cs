using System.Net;
using System.Runtime.CompilerServices;
using FastDht.Engine.Cluster;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Engine.Transport;
using FastDht.Protocol;

namespace FastDht.Engine.Client.Internal;

/// <summary>
/// The client's connection to one node: the shared frame read loop completes responses, and any number of threads
/// send requests on it at once, each under its own request id (pipelining).
/// </summary>
/// <remarks>
/// A request is a pooled <see cref="AwaitableRequest"/> registered in <see cref="FrameSession.Requests"/> before its
/// frame is written, so a response can never arrive for an id nobody waits on. The frame is written and flushed under
/// the connection's writer lock; frames flushed while a send is in progress leave in one send. When the read loop
/// ends (the node closed, a malformed frame, disposal) every waiting request fails with NodeUnavailable, and the
/// multiplexer refuses new ones, so nothing waits on a dead connection; the client's sweeper fails requests that
/// outlive the timeout on a connection that stays open but silent.
/// </remarks>
internal sealed class ClientConnection : FrameSession
{
    /// <summary>The failure message of a request its caller cancelled; compared by reference.</summary>

    /// <summary>The node id a connection has before its Hello tells it which node it reached (a seed).</summary>
    internal const ushort UnknownNodeId = ClusterMember.ClientNodeId;

    private readonly ClientSettings _settings;
    private readonly ConnectionSet _owner;
    private Task _run = Task.CompletedTask;
    private volatile bool _closed;
    private volatile bool _retiring;

    private ClientConnection(SocketConnection connection, string address, ushort nodeId, ClientSettings settings, ConnectionSet owner)
        : base(connection, settings.ReceiveLimits)
    {
        Address = address;
        NodeId = nodeId;
        _settings = settings;
        _owner = owner;
    }

    /// <summary>The node's member id (from its Hello).</summary>
    public ushort NodeId { get; private set; }

    /// <summary>The "host:port" this connection dialled.</summary>
    public string Address { get; }

    /// <summary>The node's cluster state epoch at the handshake (it may have risen since).</summary>
    public ulong Epoch { get; private set; }

    /// <summary>False once the read loop has ended; a closed connection is replaced on the next use.</summary>
    public bool IsOpen => !_closed;

    /// <summary>
    /// Whether new requests may go on this connection: it is open and the node has not said it is going away
    /// (<see cref="Retire"/>). A retiring connection still completes the requests it sent, then closes.
    /// </summary>
    public bool CanSend => !_closed && !_retiring;

    /// <summary>The node said it is shutting down (its going-away notice, or a ShuttingDown answer): see <see cref="Retire"/>.</summary>
    public bool IsRetiring => _retiring;

    /// <summary>
    /// Takes the connection out of use because its node is stopping (docs/protocol.md §3): nothing new is sent on it (a
    /// request that tries is refused ShuttingDown, unsent), and it closes once the last answer it waits for is in, which
    /// tells the node that every request this client sent it has been read and answered.
    /// </summary>
    public void Retire()
    {
        _retiring = true;
        CloseIfRetiredAndIdle();
    }

    /// <summary>Closes a retiring connection that waits for no answer any more; called after each answer and by the sweeper.</summary>
    public void CloseIfRetiredAndIdle()
    {
        if (_retiring && Requests.TryCloseIfIdle(StatusCode.ShuttingDown, $"{this} is shutting down: nothing was sent"))
            Connection.Abort(new OperationCanceledException($"{this} is shutting down"));
    }

    /// <summary>Dials <paramref name="address"/>, starts the read loop and completes the handshake.</summary>
    /// <remarks>The expected node id is the member the address belongs to, or <see cref="UnknownNodeId"/> for a seed.</remarks>
    /// <exception cref="DhtNodeUnavailableException">The node cannot be reached.</exception>
    /// <exception cref="DhtException">The node refused the handshake (another cluster, another protocol version).</exception>
    public static async Task<ClientConnection> OpenAsync(string address, ushort expectedNodeId, ClientSettings settings, ConnectionSet owner, CancellationToken cancellationToken)
    {
        SocketConnection socket;
        try
        {
            socket = await SocketConnector.ConnectAsync(ParseEndPoint(address), settings.ConnectTimeout, cancellationToken, settings.Connection).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw ClientErrors.Unavailable(expectedNodeId, address, e.Message, e);
        }

        var connection = new ClientConnection(socket, address, expectedNodeId, settings, owner);
        if (!owner.TryAdd(connection))
        {
            await socket.DisposeAsync().ConfigureAwait(false);
            Throw.Disposed();
        }
        connection._run = Task.Run(connection.RunAsync, CancellationToken.None);
        try
        {
            var hello = await connection.SendAsync(Opcode.Hello, default, default, ResponseShape.Body, cancellationToken).ConfigureAwait(false);
            connection.CompleteHandshake(hello, cancellationToken);
            if (settings.Password is { } password)
                await connection.AuthenticateAsync(settings.User ?? "default", password, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.CloseAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Rejects a request whose frame the node would refuse as too large, before anything is sent.</summary>
    public void CheckFits(Opcode opcode, int keyLength, int valueLength, ulong timeToLiveMs = 0)
    {
        // Frame length field = 8 header bytes after it + body; a key is u16 length + bytes, a value u32 length + bytes,
        // a time to live 8 bytes.
        long body = opcode switch
        {
            Opcode.Put or Opcode.PutIfAbsent => 2L + keyLength + 4L + valueLength + (timeToLiveMs == 0 ? 0 : 8),
            Opcode.Ping => keyLength,
            _ => 2L + keyLength,
        };
        var frameLength = 8 + body;
        if (frameLength > SendLimit)
            Throw.FrameTooLarge((int)Math.Min(frameLength, int.MaxValue), keyLength, valueLength, NodeId, SendLimit);
    }

    /// <summary>Asks the node to move slots it owns to <paramref name="target"/>: answered once the move ended, within <paramref name="timeout"/>.</summary>
    public ValueTask<ResponseResult> SendMoveSlotsAsync(ushort firstSlot, ushort lastSlot, ushort target, TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync(new MoveSlotsRequest(firstSlot, lastSlot, target), ResponseShape.Body, timeout, NodeId, _settings.InlineContinuations, cancellationToken);

    public ValueTask<ResponseResult> SendRemoveNodeAsync(ushort nodeId, bool forget, TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync(new RemoveNodeRequest(nodeId, forget), ResponseShape.Body, timeout, NodeId, _settings.InlineContinuations, cancellationToken);

    /// <summary>Asks the node for a snapshot: answered once it started, or (<paramref name="wait"/>) once it is in place.</summary>
    public ValueTask<ResponseResult> SendSnapshotAsync(bool wait, CancellationToken cancellationToken) =>
        CallAsync(new SnapshotRequest(wait), ResponseShape.Body, _settings.RequestTimeout, NodeId, _settings.InlineContinuations, cancellationToken);

    /// <summary>
    /// Sends one request and waits for its response. <paramref name="key"/> is the key (or the Ping payload),
    /// <paramref name="value"/> the value of a Put; both must stay unchanged until the call completes.
    /// </summary>
    /// <remarks>
    /// Failures come back as a <see cref="ResponseResult"/> with an error status, not as exceptions, so the caller maps
    /// them once, knowing the operation. A cancelled call completes with <see cref="CancelRequest.CanceledMessage"/>;
    /// its response, if it still arrives, is dropped.
    /// </remarks>
    public ValueTask<ResponseResult> SendAsync(Opcode opcode, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, ResponseShape shape, CancellationToken cancellationToken, ulong timeToLiveMs = 0)
    {
        var timeout = _settings.RequestTimeout;
        var inline = _settings.InlineContinuations;
        return opcode switch
        {
            Opcode.Get => CallAsync(new GetRequest(key, FrameFlags.Routed), shape, timeout, NodeId, inline, cancellationToken),
            Opcode.Put => CallAsync(new PutRequest(key, value, ifAbsent: false, FrameFlags.Routed, timeToLiveMs), shape, timeout, NodeId, inline, cancellationToken),
            Opcode.PutIfAbsent => CallAsync(new PutRequest(key, value, ifAbsent: true, FrameFlags.Routed, timeToLiveMs), shape, timeout, NodeId, inline, cancellationToken),
            Opcode.Delete => CallAsync(new DeleteRequest(key, FrameFlags.Routed), shape, timeout, NodeId, inline, cancellationToken),
            Opcode.Ping => CallAsync(new PingRequest(key), shape, timeout, NodeId, inline, cancellationToken),
            Opcode.ClusterInfo => CallAsync(new ClusterInfoRequest(), shape, timeout, NodeId, inline, cancellationToken),
            Opcode.Hello => CallAsync(new ClientHelloRequest(_settings.ClusterName, (uint)_settings.ReceiveLimits.MaxFrameSize), shape, timeout, NodeId, inline, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(opcode), opcode, "not a client request"),
        };
    }

    /// <summary>
    /// The fast path: when the writer lock is free, registers the call and writes its frame synchronously; false (and
    /// nothing sent) when the lock is busy or the connection is closed, so the caller takes the async path.
    /// </summary>
    public bool TrySend<TRequest>(TRequest request, ClientCall call)
        where TRequest : struct, IFrameRequest
    {
        if (request.FrameLength - 4 > SendLimit || !Connection.TryEnterWrite(out var writer))
            return false;
        if (!Requests.TryRegister(call, _settings.RequestTimeout, out var id, out _, out _))
        {
            _ = Connection.ExitWriteAsync(flush: false);
            return false;
        }
        request.Write(writer, id);
        Observe(Connection.ExitWriteAsync(flush: true));
        return true;
    }

    /// <summary>Unflushed batch bytes after which a batch flushes and takes the lock again: what one batch buffers stays bounded.</summary>
    private const int BatchFlushBytes = 64 * 1024;

    /// <summary>
    /// Writes every entry of <paramref name="batch"/> selected for this connection and not yet written, under one hold
    /// of the writer lock, and flushes once (every 64 KiB on a large batch, re-taking the lock). An entry that cannot
    /// be sent (too large, the connection closed or full) completes at once with the reason.
    /// </summary>
    public async ValueTask SendBatchAsync(DhtBatch batch)
    {
        var writer = Connection.TryEnterWrite(out var free) ? free : await EnterSlowAsync(Connection).ConfigureAwait(false);
        long unflushed = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = batch.EntryAt(i);
            if (!entry.Selected || entry.Sent || !ReferenceEquals(entry.Connection, this))
                continue;
            entry.Sent = true;
            if (writer is null)
            {
                entry.Complete(new ResponseResult(StatusCode.NodeUnavailable, null, $"the connection to {this} is closed"));
                continue;
            }
            unflushed += entry.Opcode switch
            {
                Opcode.Get => WriteBatched(writer, new GetRequest(entry.Key, FrameFlags.Routed), entry),
                Opcode.Delete => WriteBatched(writer, new DeleteRequest(entry.Key, FrameFlags.Routed), entry),
                _ => WriteBatched(writer, new PutRequest(entry.Key, entry.Value, ifAbsent: entry.Opcode == Opcode.PutIfAbsent, FrameFlags.Routed), entry),
            };
            if (unflushed >= BatchFlushBytes)
            {
                unflushed = 0;
                writer = await Connection.ExitWriteAsync(flush: true).ConfigureAwait(false)
                    ? Connection.TryEnterWrite(out free) ? free : await EnterSlowAsync(Connection).ConfigureAwait(false)
                    : null;
            }
        }
        Volatile.Write(ref _lastSendTicks, Environment.TickCount64);
        // A closed connection's registered entries are failed by its read loop (FailAll), so the result needs no look.
        if (writer is not null)
            await Connection.ExitWriteAsync(flush: true).ConfigureAwait(false);
    }

    /// <summary>Registers <paramref name="entry"/> and writes its frame; the bytes written (0 when it completed with an error instead).</summary>
    private int WriteBatched<TRequest>(System.IO.Pipelines.PipeWriter writer, TRequest request, BatchEntry entry)
        where TRequest : struct, IFrameRequest
    {
        if (request.FrameLength - 4 > SendLimit)
        {
            entry.Complete(new ResponseResult(StatusCode.FrameTooLarge, null, $"the request ({request.FrameLength} bytes) exceeds node {NodeId}'s frame limit of {SendLimit} bytes"));
            return 0;
        }
        if (!Requests.TryRegister(entry, _settings.RequestTimeout, out var id, out var status, out var message))
        {
            entry.Complete(new ResponseResult(status, null, message));
            return 0;
        }
        request.Write(writer, id);
        return request.FrameLength;
    }

    private long _lastSendTicks = Environment.TickCount64;

    /// <summary>When this connection last sent a request or received a frame.</summary>
    public long LastActivityTicks => Math.Max(Volatile.Read(ref _lastSendTicks), LastReceiveTicks);

    /// <summary>Sends a Ping whose answer nobody waits for: traffic, so the node does not close the connection as idle.</summary>
    public void KeepAlive()
    {
        Volatile.Write(ref _lastSendTicks, Environment.TickCount64);
        _ = CallAsync(new PingRequest(default), ResponseShape.Status, _settings.RequestTimeout, NodeId).AsTask();
    }

    /// <summary>Closes the connection and waits for its read loop to finish (which fails what is pending).</summary>
    public async Task CloseAsync()
    {
        Connection.Abort(new ObjectDisposedException(nameof(DhtClient)));
        await _run.ConfigureAwait(false);
    }

    public override string ToString() => $"node {NodeId} ({Address})";

    protected override bool OnResponse(in Frame frame)
    {
        var header = frame.Header;
        if (ProtocolConstants.IsGoAway(header))
        {
            Retire();
            return true;
        }
        Requests.Complete(header, frame.Body);
        if (_retiring)
            CloseIfRetiredAndIdle();
        return true;
    }

    protected override ValueTask<bool> OnRequestAsync(Frame frame)
    {
        // A node sends clients responses only (protocol section 3); anything else means the stream is not ours.
        Connection.Abort(new InvalidDataException($"node sent a request (opcode {frame.Header.Opcode}) to a client"));
        return new ValueTask<bool>(false);
    }

    protected override ValueTask OnMalformedFrameAsync(FrameHeader header, ProtocolError error)
    {
        Connection.Abort(new InvalidDataException($"malformed frame from the node: {error}"));
        return default;
    }

    protected override async ValueTask OnClosedAsync(Exception? failure)
    {
        _closed = true;
        var reason = (failure ?? Connection.CloseReason)?.Message ?? "the node closed the connection";
        Requests.FailAll(StatusCode.NodeUnavailable, $"connection lost: {reason}");
        _owner.Remove(this);
        await Connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Authenticates the connection as <paramref name="user"/>; a refusal is a <see cref="DhtException"/> naming the user, never the password.</summary>
    private async Task AuthenticateAsync(string user, string password, CancellationToken cancellationToken)
    {
        var result = await CallAsync(new PasswordAuthRequest(user, password), ResponseShape.Status, _settings.RequestTimeout, NodeId, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Status == StatusCode.AuthFailed)
            throw new DhtException($"the node at {Address} refused user '{user}': wrong user or password, or the user is disabled");
        ClientErrors.ThrowIfFailed(result, this, _settings.RequestTimeout, cancellationToken);
    }

    private void CompleteHandshake(in ResponseResult hello, CancellationToken cancellationToken)
    {
        if (hello.Status == StatusCode.HandshakeRefused)
            throw new DhtException($"the node at {Address} refused cluster '{_settings.ClusterName}': {hello.ErrorMessage}");
        ClientErrors.ThrowIfFailed(hello, this, _settings.RequestTimeout, cancellationToken);
        if (!ResponseDecoder.TryReadHello(hello.Payload, out var response, out var error))
            throw new DhtException($"the node at {Address} sent a malformed Hello response: {error}");
        var cluster = response.GetClusterName();
        if (!string.Equals(cluster, _settings.ClusterName, StringComparison.Ordinal))
            throw new DhtException($"the node at {Address} belongs to cluster '{cluster}', not '{_settings.ClusterName}'");
        if (NodeId != UnknownNodeId && response.NodeId != NodeId)
            throw ClientErrors.Unavailable(NodeId, Address, $"the address now answers as node {response.NodeId}", null);
        NodeId = response.NodeId;
        Epoch = response.Epoch;
        SendLimit = (int)Math.Min(response.MaxFrameSize, ProtocolLimits.MaxFrameSizeCap);
    }

    private static EndPoint ParseEndPoint(string address)
    {
        if (!ClusterMember.TrySplitHostPort(address, out var host, out var port))
            throw new DhtException($"'{address}' is not host:port");
        return IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
    }
}
