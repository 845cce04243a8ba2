using System.Buffers;
using System.Net;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Mesh.Internal;
using FastDht.Engine.Security.Internal;
using FastDht.Engine.Transport;
using FastDht.Protocol;
using Microsoft.AspNetCore.Connections;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// The Raft group's transport, multiplexed on the node's native port: the dialing side connects there and runs the
/// peer handshake with role Consensus (Hello, then the cluster-secret challenge-response of docs/protocol.md section
/// 3.1, and TLS underneath when the node uses it); the accepting side is the node's InboundHandshake, which hands
/// the proven connection to <see cref="Listener"/>. Only then does the Raft library read or write a byte.
/// </summary>
/// <remarks>
/// Why not the library's own TCP transport on a port of its own: that port would accept votes and entries from anyone
/// who can reach it. Running over the native port reuses the one authentication (and TLS) every peer link already
/// passes, adds no port to configure or firewall, and keeps the Raft traffic on connections of its own (not on the
/// peer links), so a large data stream never delays a heartbeat of the election.
/// </remarks>
internal sealed class ConsensusTransport : IConnectionListenerFactory, IConnectionFactory
{
    private readonly NodeIdentity _identity;
    private readonly ClusterStateHolder _cluster;
    private readonly ConnectionOptions _connectionOptions;
    private readonly TimeSpan _timeout;
    private ConsensusListener? _listener;

    public ConsensusTransport(NodeIdentity identity, ClusterStateHolder cluster, ConnectionOptions connectionOptions, TimeSpan timeout)
    {
        _identity = identity;
        _cluster = cluster;
        _connectionOptions = connectionOptions;
        _timeout = timeout;
    }

    /// <summary>When this node last read from each voter on these connections, both ways.</summary>
    public RaftContacts Contacts { get; } = new();

    /// <summary>Where proven inbound connections go; null until the library binds.</summary>
    public ConsensusListener? Listener => Volatile.Read(ref _listener);

    /// <summary>The Raft address of a member: its native address.</summary>
    public static EndPoint EndPointOf(ClusterMember member) =>
        IPAddress.TryParse(member.Host, out var ip) ? new IPEndPoint(ip, member.Port) : new DnsEndPoint(member.Host, member.Port);

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var listener = new ConsensusListener(endpoint);
        Volatile.Write(ref _listener, listener);
        return new ValueTask<IConnectionListener>(listener);
    }

    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var peer = MemberAt(endpoint) ?? throw new IOException($"{endpoint} is not a member of the cluster");
        var secret = _identity.Secret ?? throw new IOException("this node has no cluster secret: it dials no peers (docs/security.md)");
        var connection = await SocketConnector.ConnectAsync(endpoint, _timeout, cancellationToken, _connectionOptions).ConfigureAwait(false);
        try
        {
            using var expiry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            expiry.CancelAfter(_timeout);
            await WriteAsync(connection, static (w, identity) => FrameWriter.WriteHello(
                w, 1, NodeRole.Consensus, identity.SelfId, identity.ClusterName, identity.LockStrategy,
                (uint)identity.Limits.MaxFrameSize, identity.Incarnation, identity.Cluster.Current.Members.Digest), _identity).ConfigureAwait(false);
            var hello = await ReadAsync(connection, expiry.Token).ConfigureAwait(false);
            if (!ResponseDecoder.TryReadHello(hello, out var answer, out _))
                throw new IOException($"node {peer.NodeId}: malformed Hello response");
            if (_identity.CheckHelloResponse(answer, peer.NodeId, peer.Address) is { } refusal)
                throw new IOException(refusal);
            var nonce = PeerProof.NewNonce();
            await WriteAsync(connection, static (w, n) => AuthFrames.WritePeerStep(w, 2, AuthMechanism.PeerChallenge, n), nonce).ConfigureAwait(false);
            var challenge = await ReadAsync(connection, expiry.Token).ConfigureAwait(false);
            if (!AuthFrames.TryReadChallengeResponse(challenge, out var peerNonce, out var peerProof))
                throw new IOException($"node {peer.NodeId}: malformed answer to the cluster-secret challenge");
            var proof = new byte[AuthFrames.ProofSize];
            PeerProof.Acceptor(secret, _identity.ClusterName, _identity.SelfId, peer.NodeId, nonce, peerNonce, proof);
            if (!PeerProof.Equal(proof, peerProof))
                throw new IOException($"node {peer.NodeId} does not know the cluster secret: it was given a different one");
            PeerProof.Dialer(secret, _identity.ClusterName, _identity.SelfId, peer.NodeId, nonce, peerNonce, proof);
            await WriteAsync(connection, static (w, p) => AuthFrames.WritePeerStep(w, 3, AuthMechanism.PeerProof, p), proof).ConfigureAwait(false);
            await ReadAsync(connection, expiry.Token).ConfigureAwait(false);
            return new ConsensusConnection(connection, peer.NodeId, Contacts);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"the consensus handshake with {endpoint} took longer than {_timeout.TotalMilliseconds:0} ms");
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private ClusterMember? MemberAt(EndPoint endpoint)
    {
        foreach (var m in _cluster.Current.Members.Members)
        {
            if (EndPointOf(m).Equals(endpoint))
                return m;
        }
        return null;
    }

    private static async ValueTask WriteAsync<T>(SocketConnection connection, Action<IBufferWriter<byte>, T> write, T argument)
    {
        var writer = await connection.EnterWriteAsync().ConfigureAwait(false);
        write(writer, argument);
        if (!await connection.ExitWriteAsync(flush: true).ConfigureAwait(false))
            throw new IOException("the connection closed during the consensus handshake");
    }

    /// <summary>Reads one handshake answer (the pipe advanced just past it, so the Raft bytes after it stay); an error answer throws with its message.</summary>
    private async ValueTask<byte[]> ReadAsync(SocketConnection connection, CancellationToken cancellationToken)
    {
        var input = connection.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (FrameReader.TryReadFrame(ref buffer, _identity.Limits, out var frame, out var error))
            {
                var header = frame.Header;
                var body = frame.Body.ToArray();
                input.AdvanceTo(buffer.Start);
                if (header.IsError)
                {
                    var message = ResponseDecoder.TryReadError(body, out var text, out _) ? System.Text.Encoding.UTF8.GetString(text) : header.Status.ToString();
                    throw new IOException($"the consensus handshake was refused ({header.Status}): {message}");
                }
                return body;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (!error.IsNone)
                throw new IOException($"malformed handshake answer: {error.Message}");
            if (result.IsCompleted)
                throw new IOException("the connection closed during the consensus handshake");
        }
    }
}
