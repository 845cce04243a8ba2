using System.Buffers.Binary;
using FastDht.Engine.Cluster;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>RemoveNode: a client (the shell's cluster remove-node) asks a member to take another out of the cluster.</summary>
internal sealed partial class ClientSession
{
    private ValueTask<bool> RemoveNodeAsync(Frame frame)
    {
        var header = frame.Header;
        if (!RequestDecoder.TryReadRemoveNode(BodyOf(frame), out var nodeId, out var forget, out var error))
            return ReplyErrorAsync(header, error.Status, error.Message);
        if (_host.Membership is not { } membership)
            return ReplyErrorAsync(header, StatusCode.BadRequest, $"node {_host.Mesh.Identity.SelfId} cannot change the members");
        AnswerOwed();
        _ = AnswerRemoveAsync(header.RequestId, membership, nodeId, forget, _batchStarted);
        return new ValueTask<bool>(true);
    }

    /// <summary>Commits the removal off the read loop; answers Ok with the epoch (u64) of the state without the node, or Aborted with why not.</summary>
    private async Task AnswerRemoveAsync(uint requestId, Mesh.Internal.Membership membership, ushort nodeId, bool forget, long started)
    {
        ClusterState? state = null;
        string? failure = null;
        try
        {
            state = await membership.RemoveAsync(nodeId, forget, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ClusterChangeException e)
        {
            failure = e.Message;
        }
        if (state is not null)
        {
            var body = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(body, state.Epoch);
            await GiveAnswerAsync(new Mesh.Internal.BodyReply(requestId, Opcode.RemoveNode, body)).ConfigureAwait(false);
        }
        else
        {
            await GiveAnswerAsync(new ErrorReply(requestId, Opcode.RemoveNode, StatusCode.Aborted, failure!)).ConfigureAwait(false);
        }
        AnsweredLater(Opcode.RemoveNode, state is null ? StatusCode.Aborted : StatusCode.Ok, started);
    }
}
