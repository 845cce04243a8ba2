using System.Buffers;
using FastDht.Engine.Cluster;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>
/// Forwarding, origin side: a request for a key another node owns goes over the link to that node, and the owner's
/// answer is relayed back under the client's request id. The read loop never waits for the answer; answers come
/// back out of order.
/// </summary>
internal sealed partial class ClientSession
{
    /// <summary>Forwards a request to <paramref name="owner"/> (its owner in <paramref name="state"/>), or answers at once when it cannot.</summary>
    private ValueTask<bool> ForwardAsync(in Frame frame, ushort owner, ClusterState state)
    {
        var header = frame.Header;
        var mesh = _host.Mesh;
        if ((header.Flags & FrameFlags.Routed) != 0)
        {
            // A smart client sent it by its own table, and would rather learn the new owner than pay a hop on every
            // later request: say who owns the key at which epoch.
            return ReplyAsync(mesh.WrongNode(header, owner, state));
        }
        var link = mesh.GetLink(owner);
        if (link is null)
        {
            // A node that left the cluster has no links: the client should learn where the key lives now.
            if (!state.Members.TryGet(mesh.Identity.SelfId, out _))
            {
                return ReplyAsync(new WrongNodeReply(header.RequestId, header.Opcode,
                    $"node {mesh.Identity.SelfId} is not a member of the cluster at epoch {state.Epoch}; node {owner} owns this key's slot", state.Epoch, owner));
            }
            return ReplyErrorAsync(header, StatusCode.NodeUnavailable, mesh.UnavailableMessage(owner));
        }
        if (header.FrameLength - 4 > link.SendLimit)
            return ReplyErrorAsync(header, StatusCode.FrameTooLarge, $"the request is larger than node {owner} accepts ({link.SendLimit} bytes)");
        _metrics?.CountForward();
        return link.SendForwardAsync(frame, ForwardRequest.Rent(this, header.RequestId, header.Opcode, owner, _batchStarted));
    }

    /// <summary>Writes the owner's answer back under the client's request id.</summary>
    /// <remarks>Runs on the link's read loop, which must not wait: a busy writer lock means copy and finish later.</remarks>
    public void Relay(uint originRequestId, in FrameHeader header, in ReadOnlySequence<byte> body)
    {
        if (TrySendNow(new RelayedReply(originRequestId, new Frame(header, body))))
        {
            AnswerGiven();
            return;
        }
        var length = (int)body.Length;
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        body.CopyTo(copy);
        _ = RelayLaterAsync(new CopiedReply(originRequestId, header, copy, length));
    }

    /// <summary>The forward failed (owner down, timeout): answer with that error.</summary>
    public void RelayError(uint originRequestId, Opcode opcode, StatusCode status, string message)
    {
        _ = GiveAnswerAsync(new ErrorReply(originRequestId, opcode, status, message));
    }

    /// <summary>Writes an owed answer now when the writer lock is free (completed task), otherwise once it is; either way counts it given.</summary>
    private Task GiveAnswerAsync<TReply>(in TReply reply)
        where TReply : struct, IReply
    {
        if (!TrySendNow(reply))
            return AnswerLaterAsync(reply);
        AnswerGiven();
        return Task.CompletedTask;
    }

    private async Task RelayLaterAsync(CopiedReply reply)
    {
        try
        {
            await SendLaterAsync(reply).ConfigureAwait(false);
        }
        finally
        {
            reply.Return();
            AnswerGiven();
        }
    }

    /// <summary>Writes an owed answer once the writer lock is free, then counts it given.</summary>
    private async Task AnswerLaterAsync<TReply>(TReply reply)
        where TReply : struct, IReply
    {
        try
        {
            await SendLaterAsync(reply).ConfigureAwait(false);
        }
        finally
        {
            AnswerGiven();
        }
    }
}
