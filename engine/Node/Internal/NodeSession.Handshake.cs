using System.Runtime.CompilerServices;
using FastDht.Protocol;

namespace FastDht.Engine.Node.Internal;

/// <summary>The inbound handshake: the first frame must be Hello, from a client or from a peer node.</summary>
internal sealed partial class NodeSession
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> HandshakeAsync(Frame frame)
    {
        var header = frame.Header;
        if (header.Opcode != Opcode.Hello || header.IsResponse)
            return await RefuseAsync(header, StatusCode.HandshakeRequired, "the first frame on a connection must be Hello").ConfigureAwait(false);

        string? refusal;
        NodeRole role;
        ushort nodeId;
        ulong incarnation;
        uint maxFrameSize;
        {
            if (!RequestDecoder.TryReadHello(BodyOf(frame), out var hello, out var error))
                return await RefuseAsync(header, error.Status, error.Message).ConfigureAwait(false);
            refusal = _core.CheckHello(hello);
            role = hello.Role;
            nodeId = hello.NodeId;
            incarnation = hello.Incarnation;
            maxFrameSize = hello.MaxFrameSize;
        }
        if (refusal is not null)
            return await RefuseAsync(header, StatusCode.HandshakeRefused, refusal).ConfigureAwait(false);
        SendLimit = (int)Math.Min(maxFrameSize, int.MaxValue);

        if (role == NodeRole.Node)
        {
            PeerId = nodeId;
            PeerIncarnation = incarnation;
            DialerId = nodeId;
            refusal = _core.Mesh.TryAdopt(this);
            if (refusal is not null)
                return await RefuseAsync(header, StatusCode.HandshakeRefused, refusal).ConfigureAwait(false);
            _role = SessionRole.Peer;
        }
        else
        {
            _role = SessionRole.Client;
            _core.Statistics.ClientConnected();
        }

        var writer = await BeginResponseAsync().ConfigureAwait(false);
        if (writer is null)
            return false;
        var state = _core.Cluster.Current;
        FrameWriter.WriteHelloResponse(
            writer, header.RequestId, _core.SelfId, _core.Options.ClusterName, _core.Options.LockStrategy,
            (uint)ReceiveLimits.MaxFrameSize, state.Epoch, _core.Incarnation, state.Members.Digest);
        EndResponse();
        if (_role == SessionRole.Peer)
            _core.Mesh.OnLinkReady(this);
        return true;
    }

    /// <summary>Answers the first frame with an error, logs one line, and ends the session (the answer is flushed first).</summary>
    private async ValueTask<bool> RefuseAsync(FrameHeader header, StatusCode status, string message)
    {
        if (!message.StartsWith(PeerMesh.DuplicateLinkPrefix, StringComparison.Ordinal))
            NodeLog.HandshakeRefused(_core.Logger, Connection.RemoteEndPoint, message);
        var writer = await BeginResponseAsync().ConfigureAwait(false);
        if (writer is not null)
        {
            FrameWriter.WriteErrorResponse(writer, header.RequestId, header.Opcode, status, message);
            EndResponse();
        }
        return false;
    }
}
