using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// The cluster state on a link: a proposal for the Raft leader (ClusterPropose, answered off the read loop: a commit
/// takes a round of the voters), and a committed state pushed by a peer (ClusterPush, installed if newer).
/// </summary>
internal sealed partial class PeerLink
{
    private ValueTask<bool> ClusterProposeAsync(Frame frame)
    {
        var header = frame.Header;
        var proposed = BodyOf(frame).ToArray();
        if (_mesh.Proposals is not { } proposals)
        {
            // No Raft group on this node: it knows no leader (0xFFFF).
            return ReplyAsync(new BodyReply(header.RequestId, header.Opcode, [(byte)ProposalOutcome.NotLeader, 0xFF, 0xFF]));
        }
        BeginServing();
        _ = AnswerProposalAsync(proposals, header.RequestId, proposed);
        return new ValueTask<bool>(true);
    }

    private async Task AnswerProposalAsync(IClusterProposals proposals, uint requestId, byte[] proposed)
    {
        try
        {
            byte[] body;
            try
            {
                body = await proposals.AnswerAsync(proposed, _mesh.Stopping).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                await SendOwedAsync(new ErrorReply(requestId, Opcode.ClusterPropose, StatusCode.BadRequest, e.Message)).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException)
            {
                await SendOwedAsync(new ErrorReply(requestId, Opcode.ClusterPropose, StatusCode.NodeUnavailable, "the node is stopping")).ConfigureAwait(false);
                return;
            }
            await SendOwedAsync(new BodyReply(requestId, Opcode.ClusterPropose, body)).ConfigureAwait(false);
        }
        finally
        {
            EndServing();
        }
    }

    private ValueTask<bool> ClusterPushAsync(Frame frame)
    {
        var header = frame.Header;
        if (!ClusterStateCodec.TryDecode(BodyOf(frame), out var state, out var error))
            return ReplyErrorAsync(header, StatusCode.BadRequest, error);
        // Every state that is pushed was committed by the Raft group; an older or equal one changes nothing.
        _mesh.Cluster.TryInstall(state);
        return ReplyAsync(new StatusReply(header.RequestId, header.Opcode, StatusCode.Ok));
    }

    private ValueTask<bool> LeaseRenewAsync(Frame frame)
    {
        var header = frame.Header;
        if (!LeaseRenewRequest.TryRead(BodyOf(frame), out var epoch, out var trustworthy, out var report))
            return ReplyErrorAsync(header, StatusCode.BadRequest, "LeaseRenew carries the sender's epoch (u64) and whether its in-sync memberships hold (u8 0 or 1), and from a voter its term (i64), the last leader it saw before (u16), that leader's term (i64) and the milliseconds since it last heard from that leader (u32)");
        byte[] answer = _mesh.Proposals is { } proposals ? proposals.AnswerLeaseRenewal(PeerId, epoch, trustworthy, report) : [0, 0xFF, 0xFF];
        return ReplyAsync(new BodyReply(header.RequestId, header.Opcode, answer));
    }

    /// <summary>Tells the peer this node's state (a peer that has a newer one ignores it).</summary>
    public async Task PushStateAsync(ClusterState state)
    {
        var result = await CallAsync(new ClusterStateRequest(Opcode.ClusterPush, ClusterStateCodec.Encode(state)), ResponseShape.Status, _mesh.Settings.PeerTimeout, PeerId).ConfigureAwait(false);
        if (result.IsError)
            MeshLog.LinkChange(_mesh.Logger, PeerId, $"pushing the cluster state of epoch {state.Epoch} failed: {result.ErrorMessage ?? result.Status.ToString()}");
    }
}
