using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Engine.Mesh.Internal;
using FastDht.Engine.Security;
using FastDht.Engine.Security.Internal;
using FastDht.Engine.Transport;
using FastDht.Protocol;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>
/// The first step of every accepted native connection: reads exactly one frame, which must be a valid Hello within
/// the handshake timeout, and decides what the connection becomes: a <see cref="ClientSession"/> or a
/// <see cref="PeerLink"/>. Anything else is answered with an error and the connection closed.
/// </summary>
/// <remarks>
/// The Hello is consumed here (the pipe is advanced past it and no further), so the session's read loop starts at
/// the first request after it, including requests the client pipelined behind its Hello.
/// Security: the handshake timeout bounds how long a connection that never completes a Hello (silent, or trickling
/// one byte at a time) holds a socket and its buffers; a frame over MaxFrameSize is refused from its header alone.
/// </remarks>
internal sealed class InboundHandshake(ClientSessions clients)
{
    private readonly PeerMesh _mesh = clients.Mesh;

    /// <summary>Runs the handshake on an accepted connection, then the session it becomes, until it closes.</summary>
    public async ValueTask RunAsync(SocketConnection connection)
    {
        var settings = clients.Settings;
        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(clients.Stopping);
        // One bound for the whole handshake, authentication included: until then the connection is anonymous.
        expiry.CancelAfter(settings.HandshakeTimeout);
        if (await ReadFrameAsync(connection, expiry.Token).ConfigureAwait(false) is not { } hello)
            return;
        var outcome = Decide(connection, hello.Header, hello.Body);
        if (outcome.Refusal is { } refusal)
        {
            // A lost tie-break is routine, not a refusal worth a warning.
            if (refusal.Kind != LinkRefusalKind.DuplicateLink)
                SessionLog.HandshakeRefused(clients.Logger, connection.RemoteEndPoint, refusal.Message);
            await RefuseAsync(connection, refusal.Reply).ConfigureAwait(false);
            return;
        }
        if (outcome.Peer is { } peer)
        {
            if (!await AcceptAsync(connection, outcome.RequestId).ConfigureAwait(false))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }
            var link = await AuthenticatePeerAsync(connection, peer, outcome.SendLimit, expiry.Token).ConfigureAwait(false);
            if (link is null)
                return;
            _mesh.OnLinkReady(link);
            await link.RunAsync().ConfigureAwait(false);
            return;
        }
        if (clients.Users is { RequiresAuthentication: true } users)
        {
            if (!await AcceptAsync(connection, outcome.RequestId).ConfigureAwait(false))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }
            if (await AuthenticateClientAsync(connection, users, expiry.Token).ConfigureAwait(false) is not { } user)
                return;
            await new ClientSession(clients, connection, outcome.SendLimit, user).RunAsync().ConfigureAwait(false);
            return;
        }
        // No authentication needed: the session exists before the client hears Ok, so it can count on it at once.
        var session = new ClientSession(clients, connection, outcome.SendLimit, clients.Users?.Default);
        if (!await AcceptAsync(connection, outcome.RequestId).ConfigureAwait(false))
            connection.Abort();
        await session.RunAsync().ConfigureAwait(false);
    }

    /// <summary>Judges the Hello: what the connection becomes, or the refusal.</summary>
    private Outcome Decide(SocketConnection connection, in FrameHeader header, ReadOnlySpan<byte> body)
    {
        if (header.Opcode != Opcode.Hello)
            return Outcome.Refuse(header, StatusCode.HandshakeRequired, "the first frame on a connection must be Hello");
        if (header.IsResponse || header.Status != StatusCode.Ok || header.Flags != FrameFlags.None)
            return Outcome.Refuse(header, StatusCode.BadRequest, "a Hello request has no flags set and status 0");
        if (!RequestDecoder.TryReadHello(body, out var hello, out var error))
            return Outcome.Refuse(header, error.Status, error.Message);
        if (_mesh.Identity.CheckHello(hello, out var joining) is { } mismatch)
            return Outcome.Refuse(header, new LinkRefusal(LinkRefusalKind.Refused, mismatch));
        var sendLimit = (int)Math.Min(hello.MaxFrameSize, ProtocolLimits.MaxFrameSizeCap);
        if (hello.Role == NodeRole.Client)
            return new Outcome(header.RequestId, sendLimit, null, null);
        if (_mesh.Identity.Secret is null)
            return Outcome.Refuse(header, new LinkRefusal(LinkRefusalKind.Refused, "this node has no cluster secret: it accepts no peer links (docs/security.md)"));
        if (clients.Tls is { RequirePeerCertificates: true } && connection.RemoteCertificate is null)
            return Outcome.Refuse(header, new LinkRefusal(LinkRefusalKind.Refused, "this node requires peers to present a trusted TLS certificate (mutual TLS)"));
        if (hello.Role == NodeRole.Consensus)
        {
            // A connection of the Raft group: handed whole to it once the peer proves the secret, never a peer link.
            return _mesh.Proposals is null
                ? Outcome.Refuse(header, new LinkRefusal(LinkRefusalKind.Refused, $"node {_mesh.Identity.SelfId} runs no Raft group"))
                : new Outcome(header.RequestId, sendLimit, new PendingPeer(hello.NodeId, hello.Incarnation, Consensus: true), null);
        }
        if (joining)
        {
            // Not a member: once it proves the secret it may ask to join (or tell this node a newer state), nothing else.
            return clients.Membership is null
                ? Outcome.Refuse(header, new LinkRefusal(LinkRefusalKind.Refused, $"node {hello.NodeId} is not a member and node {_mesh.Identity.SelfId} admits no new members"))
                : new Outcome(header.RequestId, sendLimit, new PendingPeer(hello.NodeId, hello.Incarnation, Consensus: false, Joining: true), null);
        }
        // Refused now if it could never become the link; adopted only after the peer proves the secret.
        if (_mesh.CheckAdoptable(hello.NodeId, hello.Incarnation) is { } refusal)
            return Outcome.Refuse(header, refusal);
        return new Outcome(header.RequestId, sendLimit, new PendingPeer(hello.NodeId, hello.Incarnation, Consensus: false), null);
    }

    /// <summary>
    /// The acceptor's side of the cluster-secret challenge-response (docs/protocol.md section 3.1): the dialer's
    /// challenge is answered with this node's nonce and proof, the dialer's proof is checked, and only then is the link
    /// adopted. Anything else is answered and the connection closed; null then.
    /// </summary>
    private async ValueTask<PeerLink?> AuthenticatePeerAsync(SocketConnection connection, PendingPeer peer, int sendLimit, CancellationToken expiry)
    {
        var secret = _mesh.Identity.Secret!;
        var cluster = _mesh.Identity.ClusterName;
        var selfId = _mesh.Identity.SelfId;
        if (await ReadFrameAsync(connection, expiry).ConfigureAwait(false) is not { } challenge)
            return null;
        if (!TryReadPeerStep(challenge, AuthMechanism.PeerChallenge, out var dialerNonce, out var problem))
        {
            await RefusePeerAsync(connection, challenge.Header, StatusCode.AuthRequired, peer, problem).ConfigureAwait(false);
            return null;
        }
        var acceptorNonce = PeerProof.NewNonce();
        var proof = new byte[AuthFrames.ProofSize];
        PeerProof.Acceptor(secret, cluster, peer.NodeId, selfId, dialerNonce, acceptorNonce, proof);
        if (!await WriteAsync(connection, new ChallengeAnswer(challenge.Header.RequestId, acceptorNonce, proof)).ConfigureAwait(false))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        if (await ReadFrameAsync(connection, expiry).ConfigureAwait(false) is not { } answer)
            return null;
        if (!TryReadPeerStep(answer, AuthMechanism.PeerProof, out var dialerProof, out problem))
        {
            await RefusePeerAsync(connection, answer.Header, StatusCode.AuthRequired, peer, problem).ConfigureAwait(false);
            return null;
        }
        PeerProof.Dialer(secret, cluster, peer.NodeId, selfId, dialerNonce, acceptorNonce, proof);
        if (!PeerProof.Equal(proof, dialerProof))
        {
            await RefusePeerAsync(connection, answer.Header, StatusCode.HandshakeRefused, peer, "the cluster secret proof is wrong: this node and its peer were given different secrets").ConfigureAwait(false);
            return null;
        }
        if (peer.Joining)
        {
            if (await WriteAsync(connection, new AuthOkReply(answer.Header.RequestId)).ConfigureAwait(false))
                await ServeJoiningAsync(connection, peer.NodeId).ConfigureAwait(false);
            else
                await connection.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        if (peer.Consensus)
        {
            // From here on the Raft library owns the connection; AuthOk is the last frame this node writes on it.
            if (!await WriteAsync(connection, new AuthOkReply(answer.Header.RequestId)).ConfigureAwait(false)
                || _mesh.Proposals?.TryAcceptConnection(connection, peer.NodeId) != true)
                await connection.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        var link = new PeerLink(_mesh, connection, peer.NodeId, peer.Incarnation, sendLimit);
        if (_mesh.TryAdopt(link) is { } refusal)
        {
            _mesh.Unregister(link);
            if (refusal.Kind != LinkRefusalKind.DuplicateLink)
                SessionLog.HandshakeRefused(clients.Logger, connection.RemoteEndPoint, refusal.Message);
            await RefuseAsync(connection, new ErrorReply(answer.Header.RequestId, Opcode.Auth, refusal.WireStatus, refusal.Message)).ConfigureAwait(false);
            return null;
        }
        if (!await WriteAsync(connection, new AuthOkReply(answer.Header.RequestId)).ConfigureAwait(false))
            link.Connection.Abort();
        return link;
    }

    /// <summary>
    /// A node that is not a member and proved the cluster secret: it may ask to join (ClusterJoin, answered with the
    /// voters and the committed state that lists it) and tell this node a newer state (ClusterPush: a member that joined
    /// or was removed at an epoch this node has not installed yet); anything else is refused and the connection closed.
    /// The whole exchange is bounded by the handshake timeout, counted again from the proof.
    /// </summary>
    private async ValueTask ServeJoiningAsync(SocketConnection connection, ushort nodeId)
    {
        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(clients.Stopping);
        expiry.CancelAfter(clients.Settings.HandshakeTimeout + clients.Settings.ForwardTimeout);
        while (await ReadFrameAsync(connection, expiry.Token).ConfigureAwait(false) is { } frame)
        {
            var header = frame.Header;
            IReply reply;
            if (header.IsResponse || header.Flags != FrameFlags.None)
            {
                reply = new ErrorReply(header.RequestId, header.Opcode, StatusCode.BadRequest, "a request has no flags set");
            }
            else if (header.Opcode == Opcode.ClusterJoin)
            {
                reply = await AdmitAsync(header, frame.Body, nodeId, expiry.Token).ConfigureAwait(false);
            }
            else if (header.Opcode == Opcode.ClusterPush)
            {
                if (!Cluster.Internal.ClusterStateCodec.TryDecode(frame.Body, out var state, out var error))
                {
                    reply = new ErrorReply(header.RequestId, header.Opcode, StatusCode.BadRequest, error);
                }
                else
                {
                    _mesh.Cluster.TryInstall(state); // an older or equal one changes nothing
                    reply = new StatusReply(header.RequestId, header.Opcode, StatusCode.Ok);
                }
            }
            else
            {
                var state = _mesh.Cluster.Current;
                await RefuseAsync(connection, new ErrorReply(header.RequestId, header.Opcode, StatusCode.HandshakeRefused,
                    $"node {nodeId} is not a member at epoch {state.Epoch} ({state.Members}): it may only ask to join")).ConfigureAwait(false);
                return;
            }
            if (!await WriteAsync(connection, reply).ConfigureAwait(false))
                break;
        }
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask<IReply> AdmitAsync(FrameHeader header, byte[] body, ushort nodeId, CancellationToken cancellationToken)
    {
        if (!RequestDecoder.TryReadClusterJoin(body, out var address, out var error))
            return new ErrorReply(header.RequestId, header.Opcode, error.Status, error.Message);
        try
        {
            var answer = await clients.Membership!.AdmitAsync(nodeId, address, cancellationToken).ConfigureAwait(false);
            return new BodyReply(header.RequestId, header.Opcode, answer);
        }
        catch (FormatException e)
        {
            return new ErrorReply(header.RequestId, header.Opcode, StatusCode.BadRequest, e.Message);
        }
        catch (Cluster.ClusterChangeException e)
        {
            return new ErrorReply(header.RequestId, header.Opcode, StatusCode.Aborted, e.Message);
        }
        catch (OperationCanceledException)
        {
            return new ErrorReply(header.RequestId, header.Opcode, StatusCode.NodeUnavailable, "the node is stopping, or the join took longer than its bound");
        }
    }

    /// <summary>
    /// A client of a node that requires authentication: every frame before a successful Auth is answered
    /// AuthRequired (Auth itself AuthFailed when wrong) and nothing else happens. Null when the connection ended first.
    /// </summary>
    private async ValueTask<AclUser?> AuthenticateClientAsync(SocketConnection connection, UserDirectory users, CancellationToken expiry)
    {
        while (await ReadFrameAsync(connection, expiry).ConfigureAwait(false) is { } frame)
        {
            var header = frame.Header;
            ErrorReply? refusal = null;
            AclUser? user = null;
            if (header.Opcode != Opcode.Auth || header.IsResponse || header.Flags != FrameFlags.None)
                refusal = new ErrorReply(header.RequestId, header.Opcode, StatusCode.AuthRequired, "NOAUTH Authentication required: send Auth first");
            else if (!AuthFrames.TryReadRequest(frame.Body, out var auth, out var error))
                refusal = new ErrorReply(header.RequestId, header.Opcode, error.Status, error.Message);
            else if (auth.Mechanism != AuthMechanism.Password)
                refusal = new ErrorReply(header.RequestId, header.Opcode, StatusCode.BadRequest, "a client authenticates with a user and password (mechanism 1)");
            else if ((user = users.Authenticate(auth.GetUser(), auth.Secret)) is null)
                refusal = new ErrorReply(header.RequestId, header.Opcode, StatusCode.AuthFailed, "WRONGPASS invalid username-password pair or user is disabled");
            if (refusal is { } reply)
            {
                if (!await WriteAsync(connection, reply).ConfigureAwait(false))
                    break;
                continue;
            }
            if (!await WriteAsync(connection, new AuthOkReply(header.RequestId)).ConfigureAwait(false))
                break;
            return user;
        }
        await connection.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    private static bool TryReadPeerStep(in HandshakeFrame frame, AuthMechanism expected, out byte[] bytes, out string problem)
    {
        bytes = [];
        var header = frame.Header;
        if (header.Opcode != Opcode.Auth || header.IsResponse || header.Flags != FrameFlags.None)
        {
            problem = $"a peer proves the cluster secret before anything else: expected Auth ({expected}), got {header.Opcode}";
            return false;
        }
        if (!AuthFrames.TryReadRequest(frame.Body, out var auth, out var error))
        {
            problem = error.Message;
            return false;
        }
        if (auth.Mechanism != expected)
        {
            problem = $"expected Auth ({expected}), got Auth ({auth.Mechanism})";
            return false;
        }
        bytes = auth.Secret.ToArray();
        problem = "";
        return true;
    }

    private async ValueTask RefusePeerAsync(SocketConnection connection, FrameHeader header, StatusCode status, PendingPeer peer, string why)
    {
        SessionLog.HandshakeRefused(clients.Logger, connection.RemoteEndPoint, $"node {peer.NodeId}: {why}");
        await RefuseAsync(connection, new ErrorReply(header.RequestId, header.Opcode, status, why)).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads exactly one frame (the pipe advanced just past it, so what follows stays for the session) and copies it;
    /// null when the connection ended, the handshake timed out or the frame was malformed, each handled here.
    /// </summary>
    private async ValueTask<HandshakeFrame?> ReadFrameAsync(SocketConnection connection, CancellationToken expiry)
    {
        var input = connection.Input;
        var limits = clients.Limits;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(expiry).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                var why = clients.Stopping.IsCancellationRequested
                    ? "the node is stopping"
                    : $"no whole handshake (Hello, and Auth where required) within {clients.Settings.HandshakeTimeout.TotalSeconds:0.###} s (the node's HandshakeTimeout)";
                SessionLog.Closed(clients.Logger, connection.RemoteEndPoint, why);
                connection.Abort(new TimeoutException(why));
                await connection.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            var buffer = result.Buffer;
            if (FrameReader.TryReadFrame(ref buffer, limits, out var frame, out var error))
            {
                // Handshake frames are few and small next to a socket: a copy keeps the pipe's memory out of the decisions.
                var copy = new HandshakeFrame(frame.Header, frame.Body.ToArray());
                connection.OnInputConsumed(result.Buffer.Length - buffer.Length, 0);
                input.AdvanceTo(buffer.Start);
                return copy;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (!error.IsNone)
            {
                SessionLog.BadInput(clients.Logger, connection.RemoteEndPoint, error.Message);
                await RefuseAsync(connection, new ErrorReply(frame.Header.RequestId, frame.Header.Opcode, error.Status, error.Message)).ConfigureAwait(false);
                return null;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return null;
            }
        }
    }

    /// <summary>Answers the Hello with Ok; false when the connection closed meanwhile.</summary>
    private ValueTask<bool> AcceptAsync(SocketConnection connection, uint requestId) => WriteAsync(connection, new HelloOk(_mesh.Identity, requestId));

    /// <summary>Writes one handshake answer and flushes it; false when the connection closed meanwhile.</summary>
    private static async ValueTask<bool> WriteAsync<TReply>(SocketConnection connection, TReply reply)
        where TReply : IReply
    {
        var writer = connection.TryEnterWrite(out var free) ? free : await FrameSession.EnterSlowAsync(connection).ConfigureAwait(false);
        if (writer is null)
            return false;
        reply.Write(writer);
        try
        {
            await connection.ExitWriteAsync(flush: true).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Answers the first frame with an error, then closes once the answer is sent.</summary>
    private static async ValueTask RefuseAsync(SocketConnection connection, ErrorReply reply)
    {
        var writer = connection.TryEnterWrite(out var free) ? free : await FrameSession.EnterSlowAsync(connection).ConfigureAwait(false);
        if (writer is not null)
        {
            reply.Write(writer);
            // Released unflushed: the graceful close sends what is buffered, then closes.
            _ = connection.ExitWriteAsync(flush: false);
        }
        await connection.CloseAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
    }

    /// <summary>A handshake frame, copied out of the pipe.</summary>
    private readonly record struct HandshakeFrame(FrameHeader Header, byte[] Body);

    /// <summary>A node whose Hello was acceptable and which must now prove the cluster secret.</summary>
    private readonly record struct PendingPeer(ushort NodeId, ulong Incarnation, bool Consensus, bool Joining = false);

    /// <summary>The Ok answer to a Hello: this node's identity.</summary>
    private readonly struct HelloOk(NodeIdentity identity, uint requestId) : IReply
    {
        public void Write(PipeWriter writer) => identity.WriteHelloResponse(writer, requestId);
    }

    /// <summary>The Ok answer to a peer's challenge: this node's nonce and proof.</summary>
    private readonly struct ChallengeAnswer(uint requestId, byte[] nonce, byte[] proof) : IReply
    {
        public void Write(PipeWriter writer) => AuthFrames.WriteChallengeResponse(writer, requestId, nonce, proof);
    }

    /// <summary>What the Hello decided.</summary>
    private readonly record struct Outcome(uint RequestId, int SendLimit, PendingPeer? Peer, (LinkRefusalKind Kind, string Message, ErrorReply Reply)? Refusal)
    {
        /// <summary>A frame that is not an acceptable Hello: refused as the protocol says, before any identity is looked at.</summary>
        public static Outcome Refuse(in FrameHeader header, StatusCode status, string message) =>
            new(header.RequestId, 0, null, (LinkRefusalKind.Refused, message, new ErrorReply(header.RequestId, header.Opcode, status, message)));

        /// <summary>A Hello refused for what it says: the status carries the kind to the dialer.</summary>
        public static Outcome Refuse(in FrameHeader header, LinkRefusal refusal) =>
            new(header.RequestId, 0, null, (refusal.Kind, refusal.Message, new ErrorReply(header.RequestId, header.Opcode, refusal.WireStatus, refusal.Message)));
    }
}
